"""The candidate budget makes results reproducible: a busy machine finds the same fixes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from duckfix.models import Task
from duckfix.pipelines.debug import DebugContext, debug_task
from duckfix.runner import RunOptions

from tests.pipelines.conftest import largest_task
from tests.pipelines.search_tasks import MISSING, two_site_task

CONTEXT = DebugContext(options=RunOptions(case_timeout=2.0), workers=2)


@contextmanager
def busy(processes: int) -> Iterator[None]:
    """``processes`` CPU-bound processes running for the block's length."""
    spinners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(processes)
    ]
    try:
        yield
    finally:
        for p in spinners:
            p.kill()
            p.wait()


def outcome(task: Task) -> tuple[str, int, int, dict[str, str] | None]:
    """What a user compares between two runs: status, how many candidates, which one was kept
    (its index among those tried), and the fix."""
    result = debug_task(task, None, CONTEXT)
    kept = next(
        (i for i, a in enumerate(result.attempts) if result.stop_reason == f"fixed: "
         f"{a.description}"), -1,
    )  # fmt: skip
    return result.status, result.candidates, kept, result.fix


def test_the_same_tasks_get_the_same_fixes_on_an_idle_and_a_loaded_machine() -> None:
    tasks = [largest_task(), MISSING["return"], MISSING["guard"], two_site_task()]
    idle = [outcome(t) for t in tasks]
    assert all(status == "fixed" and kept >= 0 for status, _, kept, _ in idle), idle
    with busy(2):
        loaded = [outcome(t) for t in tasks]
    assert loaded == idle
