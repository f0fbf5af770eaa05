"""Offline repair on the built-in suite: fixes per category, time per task, overhead."""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

from duckfix import sandbox
from duckfix.datasets.suites import load_suite
from duckfix.pipelines.bench import BenchContext, BenchResult, run_bench, summarize
from duckfix.pipelines.debug import DebugContext
from duckfix.runner import RunOptions

JOBS = 2


class _SandboxClock:
    """Adds up the wall time spent inside sandbox.run, across threads."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self.real = real
        self.seconds = 0.0
        self.runs = 0
        self.lock = threading.Lock()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return self.real(*args, **kwargs)
        finally:
            with self.lock:
                self.seconds += time.perf_counter() - started
                self.runs += 1


def _single_site(task: Any) -> bool:
    import difflib

    diff = difflib.unified_diff(
        task.buggy[task.program].splitlines(), task.fixed[task.program].splitlines(), lineterm=""
    )
    body = [d for d in diff if not d.startswith(("---", "+++", "@@"))]
    return max(sum(d.startswith("-") for d in body), sum(d.startswith("+") for d in body)) == 1


def main() -> None:
    tasks = sorted(load_suite("builtin"), key=lambda t: t.id)
    clock = _SandboxClock(sandbox.run)
    sandbox.run = clock  # type: ignore[assignment]
    workers = max(1, (os.cpu_count() or 1) // JOBS)
    context = DebugContext(
        options=RunOptions(), max_candidates=400, max_seconds=60, workers=workers
    )
    started = time.perf_counter()
    try:
        results = run_bench(tasks, BenchContext(debug=context), JOBS)
    finally:
        sandbox.run = clock.real  # type: ignore[assignment]
    wall = time.perf_counter() - started
    ordered: list[BenchResult] = [results[t.id] for t in tasks]
    print(f"{'category':22} tasks plausible correct")
    for row in summarize(ordered):
        print(f"{row.category:22} {row.tasks:5} {row.plausible:9} {row.correct:7}")
    single = {t.id for t in tasks if _single_site(t)}
    correct_single = sum(r.correct for r in ordered if r.task_id in single)
    seconds = sorted(r.seconds for r in ordered)
    p95 = seconds[min(len(seconds) - 1, round(0.95 * (len(seconds) - 1)))]
    validations = sum(r.validations for r in ordered)
    task_time = sum(seconds)
    print()
    print(f"single-site bugs fixed correctly  {correct_single}/{len(single)} (target >= half)")
    print(f"median seconds per task           {statistics.median(seconds):.2f} (target < 5)")
    print(f"95th percentile seconds per task  {p95:.2f}")
    print(f"wall time, {JOBS} jobs               {wall:.1f} s")
    print(f"validation runs per second        {validations / wall:.1f}")
    print(f"sandbox runs                      {clock.runs}")
    share = clock.seconds / task_time if task_time else 0.0
    print(f"time running tests / task time    {share:.2f} (target >= 0.80)")


if __name__ == "__main__":
    main()
