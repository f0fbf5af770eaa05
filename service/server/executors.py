"""The server's executor: where the items of its bench jobs run (``executor`` setting).

With ``executor = "ray"`` one Ray driver serves every job of the server
process: it is started with the first job that needs it (so a server whose
jobs are reviews never starts Ray) and stopped with the server. Each bench
job's tasks then run as Ray tasks on the cluster (``ray_address``, or a
local Ray of ``jobs`` CPUs), with the run's cluster-wide model limit, while
the job's recording, events and cancel checks stay in the server's worker
thread, as for the CLI's ``bench run --executor ray``. One driver per process
and not one per job: Ray allows one per process, and a job's end must not
stop another job's tasks.

Debug and review jobs stay in the worker threads: each is one item (a
program, a diff) whose steps stream events, checkpoints and cancel checks
through the server, and whose heavy parts already run in sandboxed child
processes; sending it whole to Ray would add a round trip and take nothing
off the server that a second server on the same store does not.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from duckfix.config import Settings
    from duckfix.executor import Executor

__all__ = ["ServerExecutor"]


class ServerExecutor:
    """The executor every job of one server process shares, made on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._executor: Executor | None = None
        self._lock = threading.Lock()
        self._closed = False

    def get(self) -> Executor | None:
        """The shared executor; None for ``local`` (each job then uses threads of its own)."""
        if self.settings.executor == "local":
            return None
        from duckfix.errors import ExecutorError
        from duckfix.executor import make_executor

        with self._lock:
            if self._closed:
                raise ExecutorError("the server is stopping")
            if self._executor is None:  # a failed start is tried again by the next job
                self._executor = make_executor(
                    self.settings.executor, self.settings.ray_address, cpus=self.settings.jobs
                )
            return self._executor

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._executor is not None:
                self._executor.close()
                self._executor = None
