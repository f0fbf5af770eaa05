"""A model-concurrency limit shared by every worker process of a Ray run.

Locally the threads of a run share one semaphore per endpoint (``llm.concurrency``
requests in flight). On Ray each worker process builds its own client, so a
per-process limit lets ``workers x concurrency`` requests fly; holding it to
``concurrency`` that way means running only that many tasks, and their own test
runs then leave the model idle. Instead the driver starts one named actor per
run, :class:`Slots` (an async semaphore), and every worker's client holds one of
its slots around each request (:class:`ClusterLimit`): any number of tasks run,
``concurrency`` requests are in flight cluster-wide.

A slot is released when the request ends, on errors and on cancellation alike.
A holder that cannot release it (its worker process was killed: a forced cancel,
a lost node) loses it when its lease runs out, a request's timeout and a margin
later. The actor belongs to the driver: it is killed when the run ends, and Ray
ends it with the driver if the driver dies first.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

__all__ = ["ClusterLimit", "Slots", "actor_name"]

LEASE_MARGIN = 30.0
"""Seconds past a request's timeout before a slot its holder never released is reclaimed."""


def actor_name(run_id: str) -> str:
    """The name of a run's limit (one per run: a run talks to one endpoint; runs do not share)."""
    return f"duckfix-model-limit:{run_id}"


class Slots:
    """The actor: ``limit`` slots, each lent for at most ``lease`` seconds, oldest task first.

    A free slot goes to the waiter whose task began first, as the local limit
    does (:class:`~duckfix.llm.OldestFirst`, which says why).
    """

    def __init__(self, limit: int, lease: float) -> None:
        self.limit = limit
        self.lease = lease
        self._held: dict[str, float] = {}  # token -> when its lease ends
        self._waiting: list[tuple[float, int, str, asyncio.Future[None]]] = []
        self._turn = itertools.count()
        self._reaper: asyncio.Task[None] | None = None
        self.peak = 0
        self.granted = 0

    async def acquire(self, token: str, priority: float) -> None:
        """Wait for a free slot and lend it to ``token``."""
        loop = asyncio.get_running_loop()
        if self._reaper is None:  # started on the actor's own event loop
            self._reaper = loop.create_task(self._reap())
        turn: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._waiting, (priority, next(self._turn), token, turn))
        self._grant()
        await turn

    def release(self, token: str) -> None:
        """Give ``token``'s slot back; a token still waiting gives up its place."""
        if self._held.pop(token, None) is None:
            for i, (*_, waiting, turn) in enumerate(self._waiting):
                if waiting == token:  # its holder stopped waiting (interrupted, cancelled)
                    turn.cancel()
                    del self._waiting[i]
                    heapq.heapify(self._waiting)
                    break
        self._grant()

    def stats(self) -> dict[str, int]:
        """Slots lent now, the most lent at once, and how many were ever granted."""
        return {"held": len(self._held), "peak": self.peak, "granted": self.granted}

    def _grant(self) -> None:
        while self._waiting and len(self._held) < self.limit:
            *_, token, turn = heapq.heappop(self._waiting)
            if turn.done():
                continue
            self._held[token] = time.monotonic() + self.lease
            self.granted += 1
            self.peak = max(self.peak, len(self._held))
            turn.set_result(None)

    async def _reap(self) -> None:
        while True:
            await asyncio.sleep(min(5.0, self.lease / 4))
            now = time.monotonic()
            for token in [t for t, end in self._held.items() if end <= now]:
                self.release(token)


class ClusterLimit:
    """A worker's handle on a run's :class:`Slots` actor, found by name on first use."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._actor: Any = None
        self._lock = threading.Lock()

    def _handle(self) -> Any:
        with self._lock:
            if self._actor is None:
                import ray

                self._actor = ray.get_actor(self.name)
            return self._actor

    @contextmanager
    def slot(self, priority: float) -> Iterator[None]:
        """Hold one slot for the block (blocking this thread while none is free).

        ``priority``: when the caller's task began (the oldest task is served first).
        """
        import ray

        actor, token = self._handle(), uuid.uuid4().hex
        waiting = actor.acquire.remote(token, priority)
        try:
            ray.get(waiting)
            yield
        finally:
            # Also when the wait itself was interrupted: the slot, once granted, goes back.
            actor.release.remote(token)

    @asynccontextmanager
    async def aslot(self, priority: float) -> AsyncIterator[None]:
        """:meth:`slot` without blocking the event loop."""
        actor, token = self._handle(), uuid.uuid4().hex
        waiting = actor.acquire.remote(token, priority)
        try:
            await waiting
            yield
        finally:
            actor.release.remote(token)
