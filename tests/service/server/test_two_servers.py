"""Two servers on one PostgreSQL share the jobs out, and no job is done twice."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text

from duckfix.store import open_store

from tests.service.server.conftest import LiveServer

pytestmark = pytest.mark.postgres

DIFF = """\
diff --git a/geo.py b/geo.py
--- a/geo.py
+++ b/geo.py
@@ -1,2 +1,3 @@
 def area(w, h):
+    print("area", w, h)  # debug {n}
     return w * h
"""
JOBS = 200


def test_200_jobs_on_two_servers_each_done_once(postgres_url: str, tmp_path: Path) -> None:
    env = {"DUCKFIX_DATABASE_URL": postgres_url, "DUCKFIX_LLM__PROVIDER": "none",
           "DUCKFIX_SERVER__RATE_PER_MINUTE": "600000",
           "DUCKFIX_SERVER__RATE_BURST": "10000"}  # fmt: skip
    servers = [LiveServer(tmp_path / f"s{n}", env=env, workers=2).start() for n in range(2)]
    try:
        token = servers[0].token(f"load-{time.monotonic_ns()}")
        clients = [s.client(token) for s in servers]

        def submit(n: int) -> str:
            body = {"diff": DIFF.format(n=n), "checks": ["hygiene", "leftovers"]}  # cheap ones
            response = clients[n % 2].post("/v1/reviews", json=body)
            assert response.status_code == 202, response.text
            return str(response.json()["id"])

        with ThreadPoolExecutor(16) as pool:
            ids = set(pool.map(submit, range(JOBS)))
        assert len(ids) == JOBS
        deadline = time.monotonic() + 120
        while True:
            jobs = clients[0].get("/v1/jobs", params={"limit": 1000}).json()["jobs"]
            states = [j["state"] for j in jobs if j["id"] in ids]
            if states.count("succeeded") == JOBS:
                break
            assert "failed" not in states, [j["reason"] for j in jobs if j["state"] == "failed"]
            assert time.monotonic() < deadline, f"{states.count('succeeded')} of {JOBS} done"
            time.sleep(0.5)
        for client in clients:
            client.close()
    finally:
        for server in servers:
            server.stop()
    store = open_store(postgres_url)
    with store.transaction() as conn:
        rows = conn.execute(
            text(
                "SELECT a.job_id, a.attempt, a.owner, a.outcome FROM job_attempts a "
                "JOIN jobs j ON j.id = a.job_id JOIN api_tokens t ON t.id = j.token_id "
                "WHERE t.name LIKE 'load-%' AND j.id = ANY(:ids)"
            ),
            {"ids": list(ids)},
        ).all()
        ends = conn.execute(
            text("SELECT job_id, COUNT(*) FROM job_events WHERE event = 'end' "
                 "AND job_id = ANY(:ids) GROUP BY job_id"),
            {"ids": list(ids)},
        ).all()  # fmt: skip
    store.close()
    # One claim per job, finished once, by one of the two servers; one end event each.
    assert sorted(r[0] for r in rows) == sorted(ids)
    assert {(r[1], r[3]) for r in rows} == {(1, "succeeded")}
    owners = {r[2].rsplit(":", 1)[0] for r in rows}
    assert len(owners) == 2, "both servers took jobs"
    assert len(ends) == JOBS and {e[1] for e in ends} == {1}
