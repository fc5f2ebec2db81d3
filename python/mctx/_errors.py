# SPDX-License-Identifier: BSD-2-Clause
# Copyright (c) 2026 The mctx authors
"""The exceptions of mctx, one class per area of mctx.Errc.

Every exception carries the core's error: ``code`` (an ``mctx.Errc``),
``errno`` (of the failing system call, 0 when none failed) and ``message``
(the core's sentence, naming the value and the rule it broke).

    Error                      any mctx error
    +-- ConfigError            (also ValueError) parsing and validation: a keyword
    |                          argument or a combination of them is wrong
    +-- ContextError           duplicate_publication, publication_not_found
    +-- SetupError             (also OSError) a system call while opening failed
    +-- SendError              a datagram was not sent
        +-- WouldBlock         (also BlockingIOError) socket buffer full: wait
        |                      for writability (fileno()) and send again
        +-- PublicationClosed  the publication was closed or removed
"""

import enum

from . import _core

Errc = enum.IntEnum("Errc", _core._errc_table(), module="mctx")
Errc.__doc__ = "Error codes of libmctx-core (mctx::Errc), with the same names and values."


class Error(Exception):
    """An error of libmctx-core: code (mctx.Errc), errno and message."""

    def __new__(cls, code, message, errno=0):
        if issubclass(cls, OSError):
            return super().__new__(cls, errno, message)
        return super().__new__(cls, message)

    def __init__(self, code, message, errno=0):
        if isinstance(self, OSError):
            super().__init__(errno, message)
        else:
            super().__init__(message)
        try:
            self.code = Errc(code)
        except ValueError:
            self.code = code
        self.message = message
        self.errno = errno

    @property
    def name(self):
        """The code's stable name, e.g. "group_not_multicast"."""
        return self.code.name if isinstance(self.code, Errc) else str(self.code)

    def __str__(self):
        return self.message

    def __repr__(self):
        return f"{type(self).__name__}({self.name}, {self.message!r}, errno={self.errno})"

    def __reduce__(self):
        return (type(self), (int(self.code), self.message, self.errno))


class ConfigError(Error, ValueError):
    """A keyword argument, or a combination of them, breaks a rule."""


class ContextError(Error):
    """A context refused the operation (duplicate flow, unknown publication)."""


class SetupError(Error, OSError):
    """A system call failed while a publication (or a metrics file) was opened."""


class SendError(Error):
    """A datagram was not sent."""

    @property
    def would_block(self):
        return self.code == Errc.would_block

    @property
    def fatal(self):
        """True when no later send on this publication can succeed."""
        return self.code == Errc.publication_closed


class WouldBlock(SendError, BlockingIOError):
    """The socket buffer is full: wait until fileno() is writable and send again."""


class PublicationClosed(SendError):
    """The publication was closed or removed from its context."""


def _class_for(code):
    if code == Errc.would_block:
        return WouldBlock
    if code == Errc.publication_closed:
        return PublicationClosed
    if code in (Errc.metrics_invalid_value, Errc.metrics_bad_header):
        return ConfigError
    if code in (Errc.metrics_io_failed, Errc.metrics_locked):
        return SetupError
    if code < 70:
        return ConfigError
    if code < 90:
        return ContextError
    if code < 110:
        return SetupError
    if code < 130:
        return SendError
    return Error


def _from_core(code, message, errno):
    """Called by mctx._core: the exception instance for a core error."""
    return _class_for(code)(code, message, errno)
