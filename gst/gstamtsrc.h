/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The mctx authors */
#pragma once

#include <gst/base/gstpushsrc.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_AMT_SRC (gst_amt_src_get_type())
G_DECLARE_FINAL_TYPE(GstAmtSrc, gst_amt_src, GST, AMT_SRC, GstPushSrc)

GST_ELEMENT_REGISTER_DECLARE(amtsrc);

G_END_DECLS
