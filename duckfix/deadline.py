"""A run's wall-clock budget as one point in time, which every stage checks.

A budget in seconds becomes a :class:`Deadline` when the run starts. Each stage
asks how long is left before it starts work, and every sandboxed run it makes
gets per-test and compile timeouts cut so that the run ends by the deadline
(:meth:`Deadline.options`): a budget holds however big the program, however
slow its tests, however long its compile.

The options also carry the deadline itself, and the runner cuts every run's
wall-clock limit and compile timeout to end by it. A run's own start-up (the
interpreter loading a large program, the compiler building it) is measured on
the baseline run and set aside first (``startup``), so the per-test timeouts
leave it room.
"""

from __future__ import annotations

import dataclasses
import re
import time
from dataclasses import dataclass

from duckfix.models import Task, TestOutcome, TestReport
from duckfix.runner import TRACE_SLOWDOWN, RunOptions

__all__ = [
    "MIN_CASE_SECONDS",
    "Deadline",
    "compile_ran_out",
    "count_tests",
    "out_of_time",
    "overhead",
]

MIN_CASE_SECONDS = 0.05
"""Below this per-test timeout a run cannot judge anything: no time is left for it."""
_COMPILE_SHARE = 0.75
# A C run compiles, then runs its cases: the compile gets most of the time
# left and the cases share the rest, so the two together still end in time.
_PYTEST_DEF = re.compile(r"^\s*(?:async\s+)?def\s+test", re.MULTILINE)
_BENCH_CASE = re.compile(r"\bDUCKFIX_CASE\s*\(")


@dataclass(frozen=True)
class Deadline:
    """The moment a run's budget is spent, on the ``time.monotonic()`` clock."""

    at: float

    @classmethod
    def after(cls, seconds: float, *, started: float | None = None) -> Deadline:
        """The deadline ``seconds`` after ``started`` (default: now)."""
        return cls((time.monotonic() if started is None else started) + seconds)

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.at - time.monotonic())

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self.at

    def options(
        self,
        options: RunOptions,
        task: Task,
        *,
        tests: int,
        runs: int = 1,
        startup: float = 0.0,
        traced: bool = False,
    ) -> RunOptions | None:
        """``options`` with timeouts cut so ``runs`` runs of ``tests`` tests end by the deadline.

        ``startup`` is what one run costs before its first test (see
        :func:`overhead`). None when the time left does not cover the runs'
        start-up and a minimal time per test: such a run could judge nothing.
        Timeouts already shorter than the cut are kept.
        """
        left = self.remaining() - runs * startup
        slowdown = TRACE_SLOWDOWN if traced else 1.0
        per_test = runs * max(tests, 1) * slowdown
        if task.language == "python":
            case = left / per_test
            compile_ = options.compile_timeout
        else:
            case = left * (1 - _COMPILE_SHARE) / per_test
            benches = max(len(task.visible.bench_paths), len(task.hidden.bench_paths), 1)
            compile_ = min(options.compile_timeout, left * _COMPILE_SHARE / (runs * benches))
        if case < MIN_CASE_SECONDS:
            return None
        if case >= options.case_timeout and compile_ >= options.compile_timeout:
            return options
        return dataclasses.replace(
            options,
            case_timeout=min(options.case_timeout, case),
            compile_timeout=min(options.compile_timeout, compile_),
        )

    def bound(self, options: RunOptions) -> RunOptions:
        """``options`` whose runs the runner ends by this deadline, whatever their timeouts.

        The per-test timeouts (:meth:`options`) bound a run's tests; this bounds
        the rest, a run that hangs while loading the program say.
        """
        at = self.at if options.deadline is None else min(self.at, options.deadline)
        return dataclasses.replace(options, deadline=at)


def overhead(report: TestReport, case_timeout: float) -> float:
    """What a run of the same program cost beyond its tests: start-up, import, compile.

    ``case_timeout`` is the per-test timeout ``report`` ran with: a test that
    timed out reports no time of its own, but took that long.
    """
    timeouts = sum(o.status == "timeout" for o in report.outcomes)
    tests = sum(o.seconds for o in report.outcomes) + timeouts * case_timeout
    return max(0.0, report.seconds - tests)


def count_tests(task: Task) -> int:
    """How many visible tests a full run of ``task`` makes (cases, pytest tests, bench cases)."""
    tests = task.visible
    count = len(tests.cases)
    count += sum(len(_PYTEST_DEF.findall(text)) for text in tests.pytest_files.values())
    count += sum(len(_BENCH_CASE.findall(tests.benches[p])) for p in tests.bench_paths)
    return count + len(tests.runs)


def out_of_time(outcome: TestOutcome) -> bool:
    """Whether a test ended because its time ran out, not on a verdict of its own.

    With timeouts cut to fit a budget, such an outcome may say nothing about
    the program.
    """
    return outcome.status == "timeout" or compile_ran_out(outcome)


def compile_ran_out(outcome: TestOutcome) -> bool:
    """Whether a test bench did not run because its compile ran out of time."""
    # The bench harness's words for it (duckfix/harness/cbench.py).
    return outcome.status == "error" and "the compiler took more than" in outcome.message
