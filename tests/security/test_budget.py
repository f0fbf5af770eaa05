"""``--max-seconds`` is a contract: a debug run ends in time, in bounded memory, on any input.

Each test runs the installed ``duckfix debug TASK --max-seconds N --json`` on a
program of megabytes (tests/security/bigtasks.py) and checks that it ends
within N x 1.1 seconds plus the interpreter's start-up, with a clear outcome
(fixed, or not fixed because the budget is spent), and that the process and
everything it started never held more than ``MEMORY_BOUND`` at once.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.security.bigtasks import c_task, long_function_task, python_task

START_UP = 4.0
"""Seconds the interpreter and duckfix's imports take before the budget's clock starts."""
MEMORY_BOUND = 1536 << 20
"""Bytes the debug run and its sandboxed children may hold at once."""
SUITE = Path(__file__).resolve().parents[2] / "datasets" / "suites" / "builtin"


@dataclass
class Finished:
    seconds: float
    exit_code: int
    result: dict[str, object]
    peak_rss: int
    """Most bytes the process tree held at once (sampled)."""
    peak_one: int
    """Most bytes any one process of the tree held (from the kernel's accounting), or 0
    when an earlier child of this process held more (the kernel keeps only the most)."""
    stderr: str


def _children() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        out.setdefault(parent, []).append(int(entry))
    return out


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _tree_rss(root: int) -> int:
    children, todo, total = _children(), [root], 0
    while todo:
        pid = todo.pop()
        total += _rss(pid)
        todo.extend(children.get(pid, []))
    return total


def debug(task: Path, seconds: float, home: Path) -> Finished:
    """Run ``duckfix debug`` on ``task`` as a user would, watching its memory."""
    exe = Path(sys.executable).with_name("duckfix")
    argv = [str(exe), "debug", str(task), "--max-seconds", f"{seconds:g}", "--json"]
    env = {**os.environ, "DUCKFIX_HOME": str(home)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    peak = 0
    done = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            done.wait(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        out, err = proc.communicate(timeout=seconds * 3 + 60)
    finally:
        proc.kill()
        done.set()
        watcher.join()
    elapsed = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    one = after * 1024 if after > before else 0
    result = json.loads(out) if out.strip() else {}
    return Finished(elapsed, proc.returncode, result, peak, one, err.decode(errors="replace"))


def assert_kept(run: Finished, seconds: float) -> None:
    """The budget held, the outcome is clear, and memory stayed bounded."""
    assert run.exit_code in (0, 1), run.stderr[-2000:]
    assert run.result.get("status") in ("fixed", "not_fixed"), run.stderr[-2000:]
    if run.result["status"] == "not_fixed":
        assert f"the budget of {seconds:g} seconds is spent" in str(run.result["stop_reason"])
    assert run.seconds <= seconds * 1.1 + START_UP, run.result.get("stop_reason")
    assert run.peak_rss < MEMORY_BOUND, f"{run.peak_rss >> 20} MB at once"
    assert run.peak_one < MEMORY_BOUND, f"{run.peak_one >> 20} MB in one process"


@pytest.mark.slow
def test_a_python_program_of_megabytes_ends_within_its_budget(tmp_path: Path) -> None:
    task = python_task(tmp_path / "big", 4_500_000)
    run = debug(task, 20, tmp_path / "home")
    assert_kept(run, 20)
    # What was found and tried is reported, not lost: the faulty function's lines.
    suspects = run.result["suspects"]
    assert isinstance(suspects, list) and suspects
    assert suspects[0]["line"] > 160_000


@pytest.mark.slow
def test_one_long_function_ends_within_its_budget(tmp_path: Path) -> None:
    task = long_function_task(tmp_path / "long", 2_000_000)
    run = debug(task, 15, tmp_path / "home")
    assert_kept(run, 15)


@pytest.mark.slow
def test_a_c_program_too_big_to_compile_in_time_ends_within_its_budget(tmp_path: Path) -> None:
    task = c_task(tmp_path / "c", 1_000_000)
    run = debug(task, 15, tmp_path / "home")
    assert_kept(run, 15)
    assert run.result["status"] == "not_fixed"


def test_a_small_budget_on_a_looping_program_ends_in_time(tmp_path: Path) -> None:
    run = debug(SUITE / "shell_sort", 5, tmp_path / "home")
    assert_kept(run, 5)
