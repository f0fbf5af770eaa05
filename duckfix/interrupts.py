"""Ctrl-C and SIGTERM as exceptions, and the short sections they must not split.

The CLI installs :func:`install`: SIGTERM then ends a run the way Ctrl-C does
(runs are marked interrupted, exit handlers stop what duckfix started), and
code that starts something it must later stop wraps the start in
:func:`held`, so the interrupt lands after the handle is kept, not between.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from duckfix.errors import Terminated

__all__ = ["held", "install"]

_depth = 0
_pending: KeyboardInterrupt | None = None


def install() -> None:
    """Raise :class:`KeyboardInterrupt` on SIGINT and :class:`Terminated` on SIGTERM."""
    signal.signal(signal.SIGINT, _interrupted)
    signal.signal(signal.SIGTERM, _interrupted)


def _interrupted(signum: int, frame: FrameType | None) -> None:
    global _pending
    exc = Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()
    if _depth:
        _pending = _pending or exc
        return
    raise exc


@contextmanager
def held() -> Iterator[None]:
    """Delay Ctrl-C and SIGTERM until the block ends (keep the block short).

    Python runs signal handlers in the main thread only, so elsewhere this
    does nothing; it also does nothing unless :func:`install` was called.
    """
    global _depth, _pending
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if not _depth and _pending is not None:
            exc, _pending = _pending, None
            raise exc
