"""Job workers: threads of the server process that claim jobs from the store and run them.

The heavy work of a job runs in sandbox subprocesses, so threads are enough
here. Each running job has a heartbeat that renews its lease and hears of a
cancel; the job itself stops at its next step (:class:`JobControl.check`,
called from the pipelines' progress callbacks).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from duckfix.errors import DuckfixError, JobStopped
from duckfix.service.server.queue import Claim, JobQueue

__all__ = ["JobControl", "JobOutcome", "Runner", "WorkerPool", "owner_id"]

log = logging.getLogger("duckfix.serve")

TAKEN_OVER = "the server stopped while the job ran; resubmit"


@dataclass
class JobOutcome:
    """What a job hands back: the CLI's ``--json`` document and its exit code."""

    result: Any
    exit_code: int = 0


class JobControl:
    """What a running job may do with its row: say its run, send events, hear a stop."""

    def __init__(self, queue: JobQueue, claim: Claim) -> None:
        self.queue = queue
        self.claim = claim
        self.cancelled = threading.Event()
        self.lost = threading.Event()

    def check(self) -> None:
        """Raise :class:`JobStopped` if the job was cancelled or taken from this worker."""
        if self.lost.is_set():
            raise JobStopped("another server took the job over", lost=True)
        if self.cancelled.is_set():
            raise JobStopped("cancelled while it ran")

    def emit(self, event: str, data: dict[str, Any]) -> None:
        """Append an event for the job's followers, then stop if asked to."""
        self.queue.add_event(self.claim, event, data)
        self.check()

    def set_run_id(self, run_id: str) -> None:
        self.queue.set_run_id(self.claim, run_id)
        self.queue.add_event(self.claim, "run", {"run_id": run_id})


Runner = Callable[[Claim, JobControl], JobOutcome]
"""Runs one claimed job to its outcome (a function per kind, chosen by the pool)."""


def owner_id() -> str:
    """This process's name as a lease owner: host, pid and a nonce (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class WorkerPool:
    """``count`` worker threads claiming jobs from ``queue`` for ``runners`` (kind -> runner)."""

    queue: JobQueue
    runners: dict[str, Runner]
    count: int
    lease_seconds: float
    resumable: frozenset[str] = frozenset()
    """Kinds whose runner continues a job taken over from a dead server (from its checkpoint)."""
    poll_seconds: float = 0.5
    owner: str = field(default_factory=owner_id)
    _stop: threading.Event = field(default_factory=threading.Event)
    _wake: threading.Condition = field(default_factory=threading.Condition)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for number in range(self.count):
            thread = threading.Thread(
                target=self._loop, name=f"duckfix-worker-{number}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop claiming; let the jobs still running be taken over at once by the next server."""
        self._stop.set()
        self.wake()
        self.queue.release(self.owner)

    def wake(self) -> None:
        """A job was just submitted here: look for it now rather than at the next poll."""
        with self._wake:
            self._wake.notify_all()

    def alive(self) -> bool:
        return bool(self._threads) and all(t.is_alive() for t in self._threads)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                claim = self.queue.claim(self.owner, self.lease_seconds)
            except DuckfixError as exc:  # the store is away for a moment: try again later
                log.warning("cannot claim a job: %s", exc)
                claim = None
            if claim is None:
                with self._wake:
                    self._wake.wait(self.poll_seconds)
                continue
            try:
                self.run(claim)
            except Exception:  # a worker must outlive any one job's trouble
                log.exception("job %s: the worker failed", claim.job_id)

    def run(self, claim: Claim) -> None:
        """Run one claimed job to its end, renewing its lease while it runs."""
        if claim.cancel_requested:
            self.queue.finish(claim, "cancelled", reason="cancelled while it ran")
            return
        if claim.taken_over and claim.kind not in self.resumable:
            self.queue.finish(claim, "failed", reason=TAKEN_OVER)
            return
        control = JobControl(self.queue, claim)
        beat = threading.Event()
        heart = threading.Thread(target=self._heartbeat, args=(control, beat), daemon=True)
        heart.start()
        try:
            outcome = self.runners[claim.kind](claim, control)
        except JobStopped as exc:
            if not exc.lost:
                self.queue.finish(claim, "cancelled", reason=str(exc))
            return
        except DuckfixError as exc:
            self.queue.finish(claim, "failed", reason=str(exc), exit_code=exc.exit_code)
            return
        except Exception as exc:
            from duckfix.service.jobs import failure_reason

            log.exception("job %s failed", claim.job_id)
            self.queue.finish(claim, "failed", reason=f"internal error: {failure_reason(exc)}",
                              exit_code=3)  # fmt: skip
            return
        finally:
            beat.set()
            heart.join()
        self.queue.finish(claim, "succeeded", result=outcome.result, exit_code=outcome.exit_code)

    def _heartbeat(self, control: JobControl, done: threading.Event) -> None:
        # A third of the lease between beats, at most two seconds, so a cancel is
        # heard quickly and a missed beat or two does not lose the job.
        every = min(self.lease_seconds / 3, 2.0)
        while not done.wait(every):
            try:
                held, cancel = self.queue.renew(control.claim, self.lease_seconds)
            except DuckfixError as exc:
                log.warning("job %s: cannot renew its lease: %s", control.claim.job_id, exc)
                continue
            if not held:
                control.lost.set()
                return
            if cancel:
                control.cancelled.set()
