// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Umbrella header of libmctx-core.

#include "mctx/address.hpp"
#include "mctx/amt.hpp"
#include "mctx/amt_driad.hpp"
#include "mctx/amt_tunnel.hpp"
#include "mctx/config.hpp"
#include "mctx/context.hpp"
#include "mctx/error.hpp"
#include "mctx/export.hpp"
#include "mctx/interface.hpp"
#include "mctx/jsonl.hpp"
#include "mctx/log.hpp"
#include "mctx/metrics.hpp"
#include "mctx/publication.hpp"
#include "mctx/raw.hpp"
#include "mctx/raw_ip.hpp"
#include "mctx/result.hpp"
#include "mctx/sap.hpp"
#include "mctx/sdp.hpp"
#include "mctx/version.hpp"
