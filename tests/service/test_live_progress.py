"""Live progress as a user sees it: on a terminal (a pty) the steps show; piped, nothing extra."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.datasets.test_folder import write_task

DUCKFIX = [sys.executable, "-m", "duckfix"]
ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]")


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUCKFIX_")}
    return {**env, "DUCKFIX_HOME": str(home), "COLUMNS": "100", "TERM": "xterm"}


def _on_a_terminal(args: list[str], env: dict[str, str], timeout: float = 240) -> str:
    """Run duckfix with a pty as its stdout and stderr; what the terminal showed."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([*DUCKFIX, *args], stdout=follower, stderr=follower, env=env)
    os.close(follower)
    chunks: list[bytes] = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                data = os.read(leader, 65536)
            except OSError:  # the other side closed
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    proc.wait(timeout=30)
    os.close(leader)
    return ANSI.sub("", b"".join(chunks).decode("utf-8", "replace"))


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    folder = tmp_path / "suite"
    write_task(folder, "double")
    write_task(folder, "other")
    return folder


def test_debug_shows_its_steps_on_a_terminal_and_nothing_extra_when_piped(
    suite: Path, tmp_path: Path
) -> None:
    env = _env(tmp_path / "home")
    shown = _on_a_terminal(["debug", str(suite / "double")], env)
    assert "reproduce: 1 of 2 visible tests fail" in shown or "reproduce: 2 of 2" in shown
    assert "localize:" in shown and "candidates tried" in shown
    piped = subprocess.run(
        [*DUCKFIX, "debug", str(suite / "double")], env=env, capture_output=True, text=True
    )
    assert piped.returncode == 0, piped.stderr
    assert "reproduce:" not in piped.stdout + piped.stderr
    assert "candidates tried" not in piped.stdout + piped.stderr


def test_bench_names_running_tasks_with_an_eta_and_prints_each_outcome(
    suite: Path, tmp_path: Path
) -> None:
    env = _env(tmp_path / "home")
    shown = _on_a_terminal(["--jobs", "1", "bench", str(suite)], env)
    assert "running: double" in shown and "eta" in shown
    assert re.search(r"✓ correct +double +[\d.]+ s, \d+ candidates", shown)
    assert re.search(r"✓ correct +other ", shown)
