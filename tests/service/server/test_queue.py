"""The job queue in the store, on SQLite and PostgreSQL: claim, lease, fence, cancel, events."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from duckfix.service.server.queue import JobQueue
from duckfix.service.server.tokens import create_token
from duckfix.store import Store, open_store


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def queue(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[JobQueue]:
    if request.param == "sqlite":
        store = open_store(f"sqlite:///{tmp_path / 'jobs.db'}")
    else:
        store = open_store(request.getfixturevalue("postgres_url"))
        with store.transaction() as conn:  # one PostgreSQL serves every test: start empty
            for table in ("job_events", "job_attempts", "jobs"):
                conn.execute(text(f"DELETE FROM {table}"))
    yield JobQueue(store)
    store.close()


def _token(store: Store) -> str:
    return create_token(store, f"t-{time.monotonic_ns()}", ("review",))[0].id


def test_claims_go_oldest_first_once_each(queue: JobQueue) -> None:
    owner = _token(queue.store)
    first = queue.submit("review", owner, {"diff": "a"})
    second = queue.submit("review", owner, {"diff": "b"})
    claim = queue.claim("w1", 30)
    assert claim is not None and claim.job_id == first.id and claim.attempt == 1
    assert claim.request == {"diff": "a"} and not claim.taken_over
    again = queue.claim("w2", 30)
    assert again is not None and again.job_id == second.id
    assert queue.claim("w3", 30) is None  # both running, leases fresh


def test_finishing_is_fenced_by_the_attempt(queue: JobQueue) -> None:
    job = queue.submit("review", _token(queue.store), {})
    stale = queue.claim("dead-server", 0.01)
    assert stale is not None
    time.sleep(0.05)  # its lease runs out: the server died
    fresh = queue.claim("next-server", 30)
    assert fresh is not None and fresh.taken_over and fresh.attempt == 2
    assert queue.renew(stale, 30) == (False, False)  # the old owner lost it
    assert not queue.finish(stale, "succeeded", result={"late": True})
    assert queue.finish(fresh, "failed", reason="why")
    assert not queue.finish(fresh, "succeeded")  # never twice
    done = queue.get(job.id)
    assert done is not None and done.state == "failed" and done.result is None
    with queue.store.transaction() as conn:
        rows = conn.execute(text("SELECT attempt, owner, outcome FROM job_attempts "
                                 "ORDER BY attempt")).all()  # fmt: skip
    assert [tuple(r) for r in rows] == [(1, "dead-server", "lost"), (2, "next-server", "failed")]


def test_a_renewed_lease_is_not_taken_over(queue: JobQueue) -> None:
    queue.submit("review", _token(queue.store), {})
    claim = queue.claim("alive", 0.3)
    assert claim is not None
    for _ in range(3):
        time.sleep(0.1)
        assert queue.renew(claim, 0.3) == (True, False)
    assert queue.claim("other", 30) is None


def test_cancel_queued_at_once_running_at_the_next_step(queue: JobQueue) -> None:
    owner = _token(queue.store)
    waiting = queue.submit("review", owner, {})
    running = queue.submit("review", owner, {})
    cancelled = queue.cancel(waiting.id)
    assert cancelled is not None and cancelled.state == "cancelled"
    claim = queue.claim("w", 30)
    assert claim is not None and claim.job_id == running.id  # the cancelled one is skipped
    asked = queue.cancel(running.id)
    assert asked is not None and asked.state == "running" and asked.cancel_requested
    assert queue.renew(claim, 30) == (True, True)
    assert queue.finish(claim, "cancelled", reason="cancelled while it ran")
    assert queue.events(waiting.id)[-1].data == {"state": "cancelled"}
    assert [e.event for e in queue.events(running.id)] == ["state", "state", "end"]


def test_events_are_numbered_per_job_and_read_after_a_number(queue: JobQueue) -> None:
    job = queue.submit("review", _token(queue.store), {})
    claim = queue.claim("w", 30)
    assert claim is not None
    for n in range(5):
        queue.add_event(claim, "step", {"n": n})
    seqs = [e.seq for e in queue.events(job.id)]
    assert seqs == list(range(1, 8))
    assert [e.data for e in queue.events(job.id, after=5)] == [{"n": 3}, {"n": 4}]


def test_concurrent_claimers_never_share_a_job(queue: JobQueue) -> None:
    owner = _token(queue.store)
    ids = {queue.submit("review", owner, {"n": n}).id for n in range(40)}
    got: list[str] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        while (claim := queue.claim(name, 30)) is not None:
            assert queue.finish(claim, "succeeded", result={"by": name})
            with lock:
                got.append(claim.job_id)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == sorted(ids)  # each once
    with queue.store.transaction() as conn:
        attempts = conn.execute(text("SELECT COUNT(*) FROM job_attempts")).scalar_one()
    assert attempts == 40
