"""Jobs survive their server: kill -9 mid-job, restart, and each job ends exactly once."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import text

from duckfix.service.server.queue import JobQueue
from duckfix.service.server.workers import TAKEN_OVER
from duckfix.store import open_store

from tests.pipelines.conftest import LARGEST
from tests.service.server.conftest import LiveServer, read_events, wait_done

SLOW = LARGEST.replace(
    "    best = xs[0]\n", "    import time\n    time.sleep(0.05)\n    best = xs[0]\n"
)
TESTS = "".join(
    f"from largest import largest\n\n\ndef test_{n}():\n    assert largest({case}) == {want}\n\n\n"
    for n, (case, want) in enumerate([([3, 1, 2], 3), ([7], 7), ([1, 9, 4], 9), ([5, 5], 5),
                                      ([2, 8, 6, 4], 8), ([0, -1], 0)])
)  # fmt: skip


def _attempts(database: str, job_id: str) -> list[tuple[int, str | None]]:
    store = open_store(database)
    try:
        with store.transaction() as conn:
            rows = conn.execute(
                text(
                    "SELECT attempt, outcome FROM job_attempts WHERE job_id = :id ORDER BY attempt"
                ),
                {"id": job_id},
            )
            return [(r[0], r[1]) for r in rows]
    finally:
        store.close()


def test_a_job_killed_with_its_server_resumes_once_on_restart(tmp_path: Path) -> None:
    env = {"DUCKFIX_SERVER__LEASE_SECONDS": "2", "DUCKFIX_CASE_TIMEOUT": "2",
           "DUCKFIX_LLM__PROVIDER": "none"}  # fmt: skip
    live = LiveServer(tmp_path / "home", env=env, workers=1).start()
    token = live.token("survivor", "debug", "review")
    with live.client(token) as client:
        job = client.post("/v1/debug", json={"program": SLOW, "filename": "largest.py",
                                             "tests": TESTS}).json()  # fmt: skip
        # Follow the events until the run is past localize (a checkpoint is stored), then kill.
        past = threading.Event()

        def follow() -> None:
            events = f"/v1/jobs/{job['id']}/events"
            with contextlib.suppress(httpx.HTTPError), client.stream("GET", events) as response:
                for line in response.iter_lines():
                    if line.startswith("data: ") and '"localize: ' in line:
                        past.set()
                        return

        watcher = threading.Thread(target=follow, daemon=True)
        watcher.start()
        assert past.wait(120), "the debug run never got past localize"
        live.stop(signal.SIGKILL)
    # A review job the dead server held too: a review has no checkpoint, so it fails, saying why.
    queue = JobQueue(open_store(live.database))
    owner = queue.jobs(state="running")[0].token_id
    review = queue.submit("review", owner, {"diff": "x"})
    assert queue.claim("a-server-that-died", 0.01) is not None
    queue.store.close()
    time.sleep(2.5)  # both leases run out

    live.start()
    try:
        with live.client(token) as client:
            done = wait_done(client, job["id"], timeout=180)
            failed = wait_done(client, review.id, timeout=30)
            events = read_events(client, job["id"])
    finally:
        live.stop()
    assert done["state"] == "succeeded", done["reason"]
    assert done["result"]["status"] == "fixed" and done["attempt"] == 2
    assert failed["state"] == "failed" and failed["reason"] == TAKEN_OVER
    # Once each: the first attempt lost with its server, the second finished; one end event.
    assert _attempts(live.database, job["id"]) == [(1, "lost"), (2, "succeeded")]
    assert _attempts(live.database, review.id) == [(1, "lost"), (2, "failed")]
    assert [e["event"] for e in events].count("end") == 1
    resumed = [e["data"] for e in events if e["event"] == "state" and e["data"].get("resumed")]
    assert resumed == [{"state": "running", "attempt": 2, "resumed": True}]
    # It went on from its checkpoint: the second attempt did not reproduce again.
    after = events[events.index(next(e for e in events if e["data"] in resumed)) :]
    assert not any(e["event"] == "step" and e["data"]["text"].startswith("reproduce")
                   for e in after)  # fmt: skip
