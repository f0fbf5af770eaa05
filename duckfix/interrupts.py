"""Ctrl-C and SIGTERM as exceptions, and the short sections they must not split.

The CLI installs :func:`install`: SIGTERM then ends a run the way Ctrl-C does
(runs are marked interrupted, exit handlers stop what duckfix started), and
code that starts something it must later stop wraps the start in
:func:`held`, so the interrupt lands after the handle is kept, not between.

Python raises the interrupt in the main thread only. Work running in other
threads (a bench's tasks, a dataset build's programs) would go on to the end,
each worker finishing its task or its model call, so the handler also raises a
flag that such work checks at its natural steps: :func:`check` before each
sandboxed run, and :func:`wait_for` around a blocking call such as a model
request. A worker then ends within one test run, and the run exits.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, TypeVar, cast

from duckfix.errors import Terminated

__all__ = ["check", "held", "install", "wait_for"]

R = TypeVar("R")
_POLL = 0.2
"""Seconds between looks at the flag while a worker waits on a blocking call."""

_depth = 0
_pending: KeyboardInterrupt | None = None
_stopping = threading.Event()
_signal = signal.SIGINT


def install() -> None:
    """Raise :class:`KeyboardInterrupt` on SIGINT and :class:`Terminated` on SIGTERM."""
    _stopping.clear()
    signal.signal(signal.SIGINT, _interrupted)
    signal.signal(signal.SIGTERM, _interrupted)


def check() -> None:
    """In a worker thread, raise the interrupt the main thread got (if any): stop here."""
    if _stopping.is_set() and threading.current_thread() is not threading.main_thread():
        raise Terminated() if _signal == signal.SIGTERM else KeyboardInterrupt()


def wait_for(call: Callable[[], R]) -> R:
    """``call()``, given up as soon as an interrupt arrives when this is a worker thread.

    The call goes on in a daemon thread, which the process does not wait for at
    exit; its result is dropped. In the main thread (which gets the interrupt
    itself) or without :func:`install`, ``call()`` runs here.
    """
    if threading.current_thread() is threading.main_thread() or not _installed():
        return call()
    check()
    done = threading.Event()
    box: list[Any] = []

    def run() -> None:
        try:
            box.append((True, call()))
        except BaseException as exc:  # handed to the waiting thread, whatever it is
            box.append((False, exc))
        finally:
            done.set()

    threading.Thread(target=run, name="duckfix-interruptible", daemon=True).start()
    while not done.wait(_POLL):
        check()
    ok, value = box[0]
    if ok:
        return cast(R, value)
    raise value


def _installed() -> bool:
    return signal.getsignal(signal.SIGTERM) is _interrupted


def _interrupted(signum: int, frame: FrameType | None) -> None:
    global _pending, _signal
    _signal = signal.Signals(signum)
    _stopping.set()
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
