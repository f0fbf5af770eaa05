"""A model-concurrency limit shared by every worker process of a Ray run.

Locally the threads of a run share one semaphore per endpoint (``llm.concurrency``
requests in flight). On Ray each worker process builds its own client, so a
per-process limit lets ``workers x concurrency`` requests fly; holding it to
``concurrency`` that way means running only that many tasks, and their own test
runs then leave the model idle. Instead the driver starts one named actor per
run, :class:`Slots` (an async semaphore), and every worker's client holds one of
its slots around each request (:class:`ClusterLimit`): any number of tasks run,
``concurrency`` requests are in flight cluster-wide.

The same actor keeps the run's budget (``llm.max_calls``, ``max_tokens``,
``max_cost``): each worker's client reserves its calls and charges its tokens
there (:class:`ClusterBudget`), so a Ray run spends what a local run of the
same settings may, not that much per worker process.

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

from duckfix.errors import BudgetExhausted
from duckfix.llm import Budget

__all__ = ["ClusterBudget", "ClusterLimit", "Slots", "actor_name", "budget_limits"]

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

    def __init__(self, limit: int, lease: float, budget: dict[str, Any] | None = None) -> None:
        self.limit = limit
        self.lease = lease
        self._budget = Budget(**(budget or {}))
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

    def reserve(self, paid: bool) -> str | None:
        """Count one call of the run, or say why the budget refuses it."""
        try:
            self._budget.reserve(paid=paid)
        except BudgetExhausted as exc:
            return str(exc)
        return None

    def charge(self, prompt_tokens: int, completion_tokens: int, paid: bool) -> None:
        """Add what a finished call of the run used."""
        self._budget.charge(prompt_tokens, completion_tokens, paid=paid)

    def covers(self, calls: int, tokens: int) -> bool:
        """Whether the run's budget has room for ``calls`` more calls of ``tokens`` in all."""
        return self._budget.covers(calls, tokens)

    def spent(self) -> tuple[int, int, float]:
        """The run's calls, tokens and money so far."""
        return self._budget.calls, self._budget.tokens, self._budget.cost

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

    def actor(self) -> Any:
        """The run's actor, found by name on first use."""
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

        actor, token = self.actor(), uuid.uuid4().hex
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
        actor, token = self.actor(), uuid.uuid4().hex
        waiting = actor.acquire.remote(token, priority)
        try:
            await waiting
            yield
        finally:
            actor.release.remote(token)


def budget_limits(budget: Budget) -> dict[str, Any]:
    """What the run's :class:`Slots` needs to keep ``budget`` (its limits and prices)."""
    return {
        "max_calls": budget.max_calls,
        "max_tokens": budget.max_tokens,
        "max_cost": budget.max_cost,
        "price_prompt": budget.price_prompt,
        "price_completion": budget.price_completion,
    }


class ClusterBudget(Budget):
    """A worker's view of the run's budget, which the run's :class:`Slots` actor keeps.

    Every call is reserved and charged at the actor (a round trip of about a
    millisecond, beside a model call's seconds), so the limits hold for the
    whole cluster; this object's own counts are this process's share.
    """

    def __init__(self, limit: ClusterLimit, budget: Budget) -> None:
        super().__init__(**budget_limits(budget))
        self._limit = limit

    def covers(self, calls: int, tokens: int) -> bool:
        import ray

        covered: bool = ray.get(self._limit.actor().covers.remote(calls, tokens))
        return covered

    def reserve(self, *, paid: bool = True) -> None:
        import ray

        refused = ray.get(self._limit.actor().reserve.remote(paid))
        if refused is not None:
            raise BudgetExhausted(f"{refused} (the whole Ray run's)")
        with self._lock:
            self.calls += 1

    def charge(self, prompt_tokens: int, completion_tokens: int = 0, *, paid: bool = True) -> None:
        import ray

        # Waited for: the next reservation must see these tokens.
        ray.get(self._limit.actor().charge.remote(prompt_tokens, completion_tokens, paid))
        super().charge(prompt_tokens, completion_tokens, paid=paid)
