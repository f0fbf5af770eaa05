"""Localization: the rank of the true buggy line, spectrum only (before) against spectrum and
mutants (after), per suite.

For each task of a suite the visible tests run once traced; the ranking the
landed localizer made from them (Ochiai, ties broken by line order) is the
baseline, measured in this same run. The same spectrum is then ranked with its
ties broken by the lines' content instead of their order, and finally the way
``duckfix debug`` ranks (:func:`duckfix.agents.suspects.find_suspects`:
mutants of the lines the failing tests ran, chosen with the value evidence's
help, weighed with Ochiai; "mutants only" is that ranking without the value
evidence, which weighs in where a golden-output run says which element of its
output went wrong). A task counts at rank k when one of its buggy
lines (lines the reference fix changes or deletes; for a pure insertion, the
lines either side of it) is among the first k suspects. Printed per suite:
top-1 / 3 / 5 / 10 counts with their ratio to the baseline's, the mean rank of
the tasks found, mutants run, and time.

Suites: ``builtin``, ``hls`` and ``golden-c`` by default; ``DUCKFIX_RANK_SUITES``
names others (a comma-separated list of anything ``duckfix bench`` takes, a
folder built by ``duckfix dataset build`` too).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Sequence

from duckfix.agents.localizer import localize
from duckfix.agents.mbfl import line_scores
from duckfix.agents.ranking import rank_suspects
from duckfix.agents.suspects import find_suspects
from duckfix.datasets.suites import load_suite
from duckfix.errors import DuckfixError
from duckfix.hls_headers import hls_include
from duckfix.models import Suspect, Task, TestReport
from duckfix.runner import RunOptions, run_tests

from tests.perf.bench_localizer import buggy_lines

WAYS = ("before", "content ties", "mutants only", "after")
TOPS = (1, 3, 5, 10)
WORKERS = 2


def _old_order(ranked: list[Suspect]) -> list[Suspect]:
    """The landed localizer's order: Ochiai, more failing, less passing cover, line order."""
    return sorted(ranked, key=lambda s: (-s.score, -s.failing_cover, s.passing_cover, s.line))


def task_ranks(task: Task, options: RunOptions) -> tuple[dict[str, int | None], int, float]:
    """Rank of the first buggy line each way, mutants run, seconds for the whole evidence."""
    started = time.monotonic()
    baseline = run_tests(task, "visible", None, options)
    captured: list[Suspect] = []

    def keep(ranked: list[Suspect], traced: TestReport) -> list[Suspect]:
        captured.extend(ranked)
        return ranked

    localize(task, None, options, top=10_000, baseline=baseline, rerank=keep)
    found = find_suspects(task, None, options, baseline=baseline, top=10_000, workers=WORKERS)
    orders: dict[str, list[Suspect]] = {
        "before": _old_order(captured),
        "content ties": rank_suspects(captured, task.buggy),
        "mutants only": rank_suspects(captured, task.buggy, mutation=line_scores(found.mutants)),
        "after": found.localization.suspects,
    }
    truth = buggy_lines(task)
    out = {
        way: next((i for i, s in enumerate(order, 1) if (s.path, s.line) in truth), None)
        for way, order in orders.items()
    }
    return out, len(found.mutants), time.monotonic() - started


def suite(name: str, report: Callable[[str], None] = print) -> None:
    """Ranks over one suite, each way, with the baseline's figures beside them."""
    try:
        tasks = sorted(load_suite(name), key=lambda t: t.id)
    except DuckfixError as exc:
        report(f"{name}: skipped ({exc})")
        return
    options = RunOptions(hls_include=hls_include())
    ranks: dict[str, list[int | None]] = {way: [] for way in WAYS}
    mutants, seconds = 0, 0.0
    for task in tasks:
        found, ran, spent = task_ranks(task, options)
        for way in WAYS:
            ranks[way].append(found[way])
        mutants += ran
        seconds += spent
        report(f"  {task.id:32} " + "  ".join(f"{w}={found[w]}" for w in WAYS))
    report(f"{name}: {len(tasks)} tasks, {mutants} mutants run, {seconds:.0f} s")
    _table(ranks, report)


def _table(ranks: dict[str, list[int | None]], report: Callable[[str], None]) -> None:
    head = (
        "  " + "way".ljust(14) + "".join(f"top-{k}".rjust(8) for k in TOPS) + "mean rank".rjust(11)
    )
    report(head)
    before = ranks["before"]
    for way in WAYS:
        found = ranks[way]
        cells = []
        for k in TOPS:
            hits = _within(found, k)
            base = _within(before, k)
            ratio = f"({hits / base:.2f}x)" if base and way != "before" else ""
            cells.append(f"{hits:>3}{ratio:>8}" if ratio else f"{hits:>8}")
        known = [r for r in found if r is not None]
        mean = f"{statistics.mean(known):.1f}" if known else "-"
        report("  " + way.ljust(14) + "".join(cells) + mean.rjust(11))


def _within(ranks: Sequence[int | None], k: int) -> int:
    return sum(r is not None and r <= k for r in ranks)


def main() -> None:
    names = os.environ.get("DUCKFIX_RANK_SUITES", "builtin,hls,golden-c").split(",")
    for name in (n.strip() for n in names if n.strip()):
        suite(name)


if __name__ == "__main__":
    main()
