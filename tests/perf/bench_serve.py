"""`duckfix serve` on this machine: requests per second, and a review job's submit-to-done time.

A real server (`duckfix serve --port 0`, SQLite store in a temporary home) on
loopback, driven by httpx with keep-alive from this process:

- ``GET /healthz`` (no token, no store: the HTTP stack's own rate, the baseline),
  ``GET /v1/jobs/{id}`` (token check and one job read), ``POST /v1/reviews``
  (token check, body validation, the job committed): requests per second, one
  client and four clients at once, on a server with no job workers;
- a no-model review of a small diff, from submit to ``succeeded`` (polled every
  10 ms) on a server with one worker, against the same review run in this
  process as ``duckfix review --json`` runs it (parse, checks, the run
  recorded in a store): the median of several, and the ratio.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

DIFF = """\
diff --git a/geo.py b/geo.py
--- a/geo.py
+++ b/geo.py
@@ -1,2 +1,4 @@
 def area(w, h):
+    # TODO: check the units
+    print("area", w, h)
     return w * h
"""
REQUESTS = 400
ROUNDS = 9


def _serve(home: Path, workers: int) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "DUCKFIX_HOME": str(home), "DUCKFIX_LLM__PROVIDER": "none",
           "DUCKFIX_SERVER__RATE_PER_MINUTE": "60000000",
           "DUCKFIX_SERVER__RATE_BURST": "1000000"}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "duckfix", "--isolated", "serve", "--port", "0", "--workers",
         str(workers)],
        env=env, cwd=home, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline()
    return process, line.rsplit(" ", 1)[-1].strip()


def _token(home: Path) -> str:
    from duckfix.service.server.tokens import create_token
    from duckfix.store import open_store

    store = open_store(f"sqlite:///{home / 'duckfix.db'}")
    return create_token(store, "bench", ("admin",))[1]


def _rate(url: str, token: str, make: object, clients: int) -> float:
    """Requests per second over REQUESTS requests shared by ``clients`` keep-alive clients."""
    each = REQUESTS // clients

    def run(_n: int) -> None:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as c:
            for _ in range(each):
                make(c).raise_for_status()  # type: ignore[operator]

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(run, range(clients)))
    return each * clients / (time.perf_counter() - started)


def _local_review_seconds(home: Path) -> float:
    from duckfix.config import load_settings
    from duckfix.pipelines.review import inputs
    from duckfix.service.review_cmd import recorded_review, review_json
    from duckfix.store import open_store

    os.environ["DUCKFIX_HOME"] = str(home)
    settings, _ = load_settings({"llm.provider": "none"}, isolated=True)
    store = open_store(settings.database)
    started = time.perf_counter()
    reviews = inputs.from_text(DIFF, "change.diff")
    _run, outcomes = recorded_review(reviews, settings, None, "change.diff", store)
    review_json(outcomes, "change.diff")
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="duckfix-bench-serve-") as tmp:
        root = Path(tmp)
        api_home, job_home, local_home = root / "api", root / "jobs", root / "local"
        for home in (api_home, job_home, local_home):
            home.mkdir()
        process, url = _serve(api_home, workers=0)
        try:
            token = _token(api_home)
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as c:
                job_id = c.post("/v1/reviews", json={"diff": DIFF}).json()["id"]
            print(f"server {url}, SQLite store, {REQUESTS} requests per figure")
            for clients in (1, 4):
                health = _rate(url, token, lambda c: c.get("/healthz"), clients)
                get = _rate(url, token, lambda c: c.get(f"/v1/jobs/{job_id}"), clients)
                post = _rate(url, token, lambda c: c.post("/v1/reviews", json={"diff": DIFF}),
                             clients)  # fmt: skip
                print(f"{clients} client(s): GET /healthz {health:7.0f}/s (baseline)   "
                      f"GET /v1/jobs/{{id}} {get:6.0f}/s ({get / health:.2f}x)   "
                      f"POST /v1/reviews {post:6.0f}/s ({post / health:.2f}x)")  # fmt: skip
        finally:
            process.terminate()
            process.wait(timeout=30)
        process, url = _serve(job_home, workers=1)
        try:
            token = _token(job_home)
            remote, local = [], []
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as c:
                for _ in range(ROUNDS):
                    local.append(_local_review_seconds(local_home))
                    started = time.perf_counter()
                    job_id = c.post("/v1/reviews", json={"diff": DIFF}).json()["id"]
                    while c.get(f"/v1/jobs/{job_id}").json()["state"] != "succeeded":
                        time.sleep(0.01)
                    remote.append(time.perf_counter() - started)
            here, there = statistics.median(local), statistics.median(remote)
            print(f"no-model review, median of {ROUNDS}: in-process {here * 1000:.0f} ms (baseline)"
                  f", server submit-to-done {there * 1000:.0f} ms ({there / here:.2f}x, "
                  f"+{(there - here) * 1000:.0f} ms)")  # fmt: skip
        finally:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
