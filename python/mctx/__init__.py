# SPDX-License-Identifier: BSD-2-Clause
# Copyright (c) 2026 The mctx authors
"""mctx: send multicast from Python, without GStreamer.

Bindings of libmctx-core (the C++ sender core of the mctx project):

    import mctx
    pub = mctx.Publication(group="239.255.0.1", port=5000, interface="lo")
    report = pub.send(b"hello")           # any bytes-like object, not copied
    print(report.source, report.destination, report.bytes)

Context, Publication, send()/send_batch(), SendReport, announce_tuple(),
metrics snapshots, MetricsFile (the JSONL metrics file), exceptions carrying the core's error code and message,
and AsyncPublication for asyncio. See docs/python.md.
"""

from ._core import (
    AnnounceTuple,
    BatchReport,
    Context,
    Delta,
    MetricsFile,
    Publication,
    SendAllReport,
    SendReport,
    Snapshot,
    __version__,
)
from ._errors import (
    ConfigError,
    ContextError,
    Errc,
    Error,
    PublicationClosed,
    SendError,
    SetupError,
    WouldBlock,
)
from .aio import AsyncPublication

for _cls in (BatchReport, Context, Delta, MetricsFile, Publication, SendAllReport, SendReport, Snapshot,
             ConfigError, ContextError, Error, PublicationClosed, SendError, SetupError,
             WouldBlock):
    _cls.__module__ = __name__
del _cls

__all__ = [
    "AnnounceTuple", "AsyncPublication", "BatchReport", "ConfigError", "Context",
    "ContextError", "Delta", "Errc", "Error", "MetricsFile", "Publication", "PublicationClosed",
    "SendAllReport", "SendError", "SendReport", "SetupError", "Snapshot", "WouldBlock",
    "__version__",
]
