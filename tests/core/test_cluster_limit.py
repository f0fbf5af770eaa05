"""The cluster-wide model limit's actor, driven on an event loop as Ray drives it."""

from __future__ import annotations

import asyncio

from duckfix.cluster_limit import Slots, actor_name


def test_slots_go_to_the_oldest_task_and_come_back_on_release() -> None:
    async def scenario() -> list[str]:
        slots = Slots(limit=2, lease=60)
        served: list[str] = []

        async def ask(token: str, began: float) -> None:
            await slots.acquire(token, began)
            served.append(token)

        await ask("a", 5.0)
        await ask("b", 6.0)
        waiting = [asyncio.create_task(ask(t, p)) for t, p in (("late", 9.0), ("old", 1.0))]
        await asyncio.sleep(0.01)
        assert served == ["a", "b"] and slots.stats()["held"] == 2
        slots.release("a")
        await asyncio.sleep(0.01)
        assert served[-1] == "old", "the task that began first is served first"
        slots.release("a")  # a second release gives nothing back
        await asyncio.sleep(0.01)
        assert served[-1] == "old" and slots.stats()["held"] == 2
        slots.release("b")
        await asyncio.gather(*waiting)
        assert slots.stats() == {"held": 2, "peak": 2, "granted": 4}
        return served

    assert asyncio.run(scenario()) == ["a", "b", "old", "late"]


def test_a_waiter_that_gives_up_leaves_its_place_and_a_dead_holder_loses_its_slot() -> None:
    async def scenario() -> None:
        slots = Slots(limit=1, lease=0.2)
        await slots.acquire("killed", 1.0)  # its worker dies: it never releases
        quitter = asyncio.create_task(slots.acquire("quitter", 2.0))
        patient = asyncio.create_task(slots.acquire("patient", 3.0))
        await asyncio.sleep(0.01)
        slots.release("quitter")  # interrupted while waiting
        await asyncio.wait_for(patient, timeout=5)  # granted once the lease ran out
        assert quitter.cancelled()
        assert slots.stats()["held"] == 1

    asyncio.run(scenario())


def test_each_run_has_its_own_limit() -> None:
    assert actor_name("bench-1") != actor_name("bench-2")


def test_the_actor_keeps_the_runs_budget_for_every_worker() -> None:
    from duckfix.cluster_limit import budget_limits
    from duckfix.llm import Budget

    limits = budget_limits(Budget(2, 100, max_cost=1.0, price_prompt=10_000.0))
    slots = Slots(limit=1, lease=60, budget=limits)
    assert slots.covers(2, 100) and not slots.covers(3, 0) and not slots.covers(1, 101)
    assert slots.reserve(paid=True) is None
    slots.charge(40, 10, paid=True)  # 0.4 of the money limit
    assert slots.spent() == (1, 50, 0.4)
    assert not slots.covers(1, 51)
    assert slots.reserve(paid=False) is None  # a cache hit counts as a call, costs nothing
    refused = slots.reserve(paid=True)
    assert refused == "LLM budget spent: 2 of 2 calls"
    assert slots.spent() == (2, 50, 0.4)
