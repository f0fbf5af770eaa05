"""A hook review through ``duckfix serve`` vs the same review here, and a job's submit-to-done time.

One repository under the server's ``server.repo_roots`` (the disk it shares),
one commit adding 200 lines of Python (bench_hook's case (a)). Each round runs
``duckfix hook pre-push`` on that commit's ref line twice, once local and once
with ``--server`` (alternating, so drift on a busy machine hits both alike); no
model either way. Then no-model review jobs of the same commit's diff are
submitted through the client and followed to their end, one at a time: the
time from submit to done as a client sees it, and as the job's own
timestamps say it (created to finished).
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from tests.perf.bench_hook import py_block

REPEATS = 7
JOBS = 20


def _run(cwd: Path, env: dict[str, str], *args: str, stdin: str = "") -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "duckfix", *args], cwd=cwd, env=env,
                          input=stdin, capture_output=True, text=True, timeout=300)  # fmt: skip
    took = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    return took


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout  # fmt: skip


def main() -> None:
    from duckfix.service.remote.client import ServerClient
    from duckfix.service.server.tokens import create_token
    from duckfix.store import open_store

    with tempfile.TemporaryDirectory(prefix="duckfix-bench-serve-") as scratch:
        root = Path(scratch)
        shared, home = root / "shared", root / "serve"
        repo = shared / "proj"
        repo.mkdir(parents=True)
        home.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "DUCKFIX_"))}
        env.update(HOME=str(root), GIT_CONFIG_NOSYSTEM="1", DUCKFIX_HOME=str(home))
        _git(repo, "init", "-q", "-b", "main")
        _git(repo, "config", "user.name", "Bench")
        _git(repo, "config", "user.email", "bench@example.org")
        (repo / "pkg").mkdir()
        (repo / "pkg" / "base.py").write_text('"""Base."""\n')
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", "Base\n\nWhy: a start.")
        base = _git(repo, "rev-parse", "HEAD").strip()
        (repo / "pkg" / "more.py").write_text('"""More."""\n' + py_block("a", 200))
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", "Add more\n\nWhy: the benchmark needs a change.")
        tip = _git(repo, "rev-parse", "HEAD").strip()
        lines = f"refs/heads/main {tip} refs/heads/main {base}\n"

        server = subprocess.Popen(
            [sys.executable, "-m", "duckfix", "--isolated", "serve", "--port", "0"],
            env={**env, "DUCKFIX_SERVER__REPO_ROOTS": str(shared),
                 "DUCKFIX_SERVER__RATE_BURST": "1000"},
            cwd=home, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            start_new_session=True,
        )  # fmt: skip
        try:
            assert server.stdout is not None
            found = re.search(r"serving on (http://\S+)", server.stdout.readline())
            assert found, "the server did not start"
            url = found.group(1)
            store = open_store(f"sqlite:///{home / 'duckfix.db'}")
            secret = create_token(store, "bench", ("review",))[1]
            store.close()
            client_env = {**env, "DUCKFIX_HOME": str(root / "client"), "DUCKFIX_TOKEN": secret}
            hook = ("hook", "pre-push", "origin")
            local, remote = [], []
            _run(repo, client_env, *hook, "--server", url, stdin=lines)  # warm the server
            for _ in range(REPEATS):
                local.append(_run(repo, client_env, *hook, stdin=lines))
                remote.append(_run(repo, client_env, *hook, "--server", url, stdin=lines))
            lm, rm = statistics.median(local), statistics.median(remote)
            print(f"hook pre-push, 1 commit of 200 lines, no model, median of {REPEATS}:")
            print(f"  local          {lm * 1000:7.0f} ms")
            print(f"  via the server {rm * 1000:7.0f} ms  (+{(rm - lm) * 1000:.0f} ms, "
                  f"x{rm / lm:.2f})")  # fmt: skip

            diff = _git(repo, "diff", base, tip)
            seen, own = [], []
            with ServerClient(url, secret) as client:
                for _ in range(JOBS):
                    started = time.perf_counter()
                    job = client.submit("/v1/reviews", json={"diff": diff, "no_model": True})
                    done = client.follow(job)
                    seen.append(time.perf_counter() - started)
                    own.append(
                        (datetime.fromisoformat(done["finished_at"])
                         - datetime.fromisoformat(done["created_at"])).total_seconds()
                    )  # fmt: skip
            print(f"no-model review job (200 added lines), submit to done, median of {JOBS}:")
            client_ms, job_ms = statistics.median(seen) * 1000, statistics.median(own) * 1000
            print(f"  as the client sees it (submit, events, result)  {client_ms:6.0f} ms")
            print(f"  by the job's own timestamps (created..finished) {job_ms:6.0f} ms")
        finally:
            os.killpg(server.pid, 15)
            server.wait(timeout=30)
