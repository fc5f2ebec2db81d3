/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The mctx authors */
#pragma once

#include <gst/base/gstbasesink.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_MCTX_SINK (gst_mctx_sink_get_type())
G_DECLARE_FINAL_TYPE(GstMctxSink, gst_mctx_sink, GST, MCTX_SINK, GstBaseSink)

GST_ELEMENT_REGISTER_DECLARE(mctxsink);

G_END_DECLS
