// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Raw mode: complete IPv4/IPv6 multicast datagrams sent unchanged, with their
// original source address (for AMT gateways and relays, RFC 7450, and anything
// else that must put a datagram back on a network exactly as it was sent).
// See docs/raw.md.
//
// * validate_raw_datagram() checks one datagram and tells what it is. It reads
//   nothing outside the buffer, never allocates and never throws.
// * build_udp_datagram() writes a complete UDP-in-IP datagram with correct
//   checksums (for tools and tests).
// * RawPublication owns one raw socket for one family and sends validated
//   datagrams: IPv4 through IPPROTO_RAW (header included), IPv6 through a
//   link-layer (AF_PACKET) socket on an explicit interface. It never rewrites
//   a datagram and never falls back to UDP.
// * RawContext owns raw publications by id, like mctx::Context.
//
// This header includes the raw-mode headers, one per concept.

#include "mctx/raw_capabilities.hpp"
#include "mctx/raw_config.hpp"
#include "mctx/raw_context.hpp"
#include "mctx/raw_datagram.hpp"
#include "mctx/raw_publication.hpp"
