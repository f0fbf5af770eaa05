"""A real ``duckfix serve`` on a loopback port, started as a user starts it, and its tokens."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

_ADDRESS = re.compile(r"serving on (http://\S+)")


def duckfix(home: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run the duckfix command with ``home``; its stdout (it must succeed)."""
    done = subprocess.run(
        [sys.executable, "-m", "duckfix", "--isolated", *args],
        env={**os.environ, "DUCKFIX_HOME": str(home), **(env or {})},
        cwd=home, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@dataclass
class LiveServer:
    """``duckfix serve --port 0`` in a child process; ``url`` once it says where it listens."""

    home: Path
    env: dict[str, str] = field(default_factory=dict)
    workers: int = 2
    process: subprocess.Popen[str] | None = None
    url: str = ""
    log: Path | None = None

    def start(self) -> LiveServer:
        self.home.mkdir(parents=True, exist_ok=True)
        self.log = self.home / f"server-{time.monotonic_ns()}.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "duckfix", "--isolated", "serve", "--port", "0",
             "--workers", str(self.workers)],
            env={**os.environ, "DUCKFIX_HOME": str(self.home), **self.env},
            cwd=self.home, stdout=subprocess.PIPE, stderr=self.log.open("w"), text=True,
            start_new_session=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # blocks until it listens, or dies
        found = _ADDRESS.search(line)
        assert found, f"no address from duckfix serve: {line!r}\n{self.log.read_text()}"
        self.url = found.group(1)
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)  # the server and any sandbox run it started
        self.process.wait(timeout=30)
        assert self.process.stdout is not None
        self.process.stdout.close()
        self.process = None

    @property
    def database(self) -> str:
        return self.env.get("DUCKFIX_DATABASE_URL", f"sqlite:///{self.home / 'duckfix.db'}")

    def token(self, name: str, *scopes: str) -> str:
        """A new token's secret (made in-process: the command is tested on its own)."""
        from duckfix.service.server.tokens import create_token
        from duckfix.store import open_store

        store = open_store(self.database)
        try:
            return create_token(store, name, scopes or ("review",))[1]
        finally:
            store.close()

    def client(self, token: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def wait_done(client: httpx.Client, job_id: str, timeout: float = 60) -> dict[str, Any]:
    """Poll the job until it has ended; its JSON."""
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = client.get(f"/v1/jobs/{job_id}").raise_for_status().json()
        if job["state"] in ("succeeded", "failed", "cancelled"):
            return job
        assert time.monotonic() < deadline, f"job still {job['state']} after {timeout} s"
        time.sleep(0.1)


def read_events(client: httpx.Client, job_id: str, last: int | None = None) -> list[dict[str, Any]]:
    """The job's server-sent events, to its ``end``, parsed into {id, event, data}."""
    import json

    headers = {"Last-Event-ID": str(last)} if last is not None else {}
    events: list[dict[str, Any]] = []
    with client.stream("GET", f"/v1/jobs/{job_id}/events", headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        current: dict[str, Any] = {}
        for line in response.iter_lines():
            if not line:
                if current:
                    events.append(current)
                current = {}
                continue
            key, _, value = line.partition(": ")
            if key == "id":
                current["id"] = int(value)
            elif key == "event":
                current["event"] = value
            elif key == "data":
                current["data"] = json.loads(value)
    return events


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for a module's tests: SQLite store, a tight rate for the 429 test."""
    home = tmp_path_factory.mktemp("serve")
    suite = _tiny_suite(home / "suite")
    live = LiveServer(
        home,
        env={"DUCKFIX_SERVER__MAX_UPLOAD_MB": "1", "DUCKFIX_SERVER__RATE_PER_MINUTE": "6000",
             "DUCKFIX_SERVER__RATE_BURST": "200", "DUCKFIX_LLM__PROVIDER": "none",
             "DUCKFIX_CASE_TIMEOUT": "1", "OPENAI_API_KEY": "sk-" + "s3cr3t" * 6,
             "DUCKFIX_SERVER__SUITES": str(suite),
             "DUCKFIX_SERVER__REPO_ROOTS": str(home / "repos")},
    ).start()  # fmt: skip
    yield live
    live.stop()


def _tiny_suite(root: Path) -> Path:
    """Two one-line bugs as a suite: a bench job that ends in seconds."""
    from tests.datasets.test_folder import write_task

    write_task(root)
    write_task(
        root, "triple",
        **{"buggy/double.py": "def double(n):\n    return n * 3\n",
           "tests/hidden/test_more.py": "<delete>"},
    )  # fmt: skip
    return root
