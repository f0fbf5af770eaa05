"""C / HLS candidates per second: full debug information (``-g``) vs line tables (``-g1``).

A C candidate's run is its kernel's compile, a link and the bench's cases; the
bench objects and the precompiled headers come from the build cache. Both sides
validate the same template candidates of the same tasks, alternating task by
task, after one warm-up run each (which builds the side's PCH and bench objects),
so the ratio is measured in one run on one machine load.
"""

from __future__ import annotations

import dataclasses
import time

from duckfix.agents.fixer import validate_batch
from duckfix.datasets.suites import load_suite
from duckfix.runner import RunOptions, hls_include, run_tests

from tests.perf.bench_validate import _setup

CANDIDATES = 12
WORKERS = 1
"""One candidate at a time: a run's compile is what is measured, not how two share the cores."""
TASKS = {
    "HLS bench": ("hls", ["vecsum", "aes_round", "fir"]),
    "C golden": ("golden-c", ["calc", "rle"]),
}
SIDES = ("full", "lines")


def main() -> None:
    base = RunOptions(case_timeout=2.0, hls_include=hls_include())
    print(f"{'tests':10} {'task':12} {'-g runs/s':>10} {'-g1 runs/s':>10} {'ratio':>6}")
    for label, (suite, names) in TASKS.items():
        if suite == "hls" and base.hls_include is None:
            print(f"{label:10} skipped: the hls extra is not installed")
            continue
        seconds = dict.fromkeys(SIDES, 0.0)
        count = dict.fromkeys(SIDES, 0)
        for task in [t for t in load_suite(suite) if t.id in names]:
            candidates, failing, passing, scaled = _setup(task, base)
            candidates = candidates[:CANDIDATES]
            rates = {}
            for side in SIDES:
                opts = dataclasses.replace(scaled, debug_info=side)
                run_tests(task, "visible", None, opts)  # warm-up: PCH and bench objects
                started = time.perf_counter()
                results = validate_batch(
                    task, dict(task.buggy), candidates, failing, passing, opts, WORKERS
                )
                spent = time.perf_counter() - started
                runs = sum(r.runs for r in results)
                seconds[side] += spent
                count[side] += runs
                rates[side] = runs / spent
            print(
                f"{label:10} {task.id:12} {rates['full']:10.2f} {rates['lines']:10.2f}"
                f" {rates['lines'] / rates['full']:6.2f}"
            )
        full, lines = (count[s] / seconds[s] for s in SIDES)
        print(f"{label:10} {'all':12} {full:10.2f} {lines:10.2f} {lines / full:6.2f}")


if __name__ == "__main__":
    main()
