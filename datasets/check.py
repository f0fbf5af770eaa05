"""Check a suite: every buggy program must fail a test, every reference fix must pass them all."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Literal

from pydantic import BaseModel, Field

from duckfix.models import Task, TestReport
from duckfix.runner import RunOptions, Side, run_tests, scaled_to

__all__ = ["Counts", "TaskCheck", "check_suite", "check_task"]


class Counts(BaseModel):
    """Failed and passed tests on one side."""

    failed: int = 0
    passed: int = 0

    @classmethod
    def of(cls, report: TestReport) -> Counts:
        return cls(failed=len(report.failed), passed=len(report.passed))


class TaskCheck(BaseModel):
    """The verdict on one task of a suite."""

    id: str
    category: str
    buggy_visible: Counts
    buggy_hidden: Counts
    fixed_visible: Counts | None = None
    fixed_hidden: Counts | None = None
    seconds: float
    verdict: Literal["ok", "bad"]
    problems: list[str] = Field(default_factory=list)
    """Why the verdict is bad, or warnings on a good one."""


def check_task(task: Task, options: RunOptions) -> TaskCheck:
    """Run the buggy program and the reference fix against both sides of the tests."""
    started = time.monotonic()
    reports: dict[tuple[str, str], TestReport] = {}
    buggy_options = options
    sides: tuple[Side, Side] = ("visible", "hidden")
    if task.fixed is not None:
        for side in sides:
            reports["fixed", side] = run_tests(task, side, task.fixed, options)
        # The reference fix sets the time scale: a buggy program that loops is
        # given up on after seconds instead of the full timeout per case.
        both = TestReport(
            outcomes=reports["fixed", "visible"].outcomes + reports["fixed", "hidden"].outcomes
        )
        buggy_options = scaled_to(options, both)
    for side in sides:
        reports["buggy", side] = run_tests(task, side, task.buggy, buggy_options)
    problems: list[str] = []
    bad = False
    buggy_failures = sum(len(reports["buggy", s].failed) for s in ("visible", "hidden"))
    if buggy_failures == 0:
        bad = True
        problems.append("the buggy program passes every test: the tests do not show the bug")
    elif not reports["buggy", "visible"].failed:
        problems.append("warning: no visible test fails, so a debugger cannot reproduce the bug")
    if task.fixed is None:
        problems.append("warning: no reference fix")
    else:
        for side in ("visible", "hidden"):
            report = reports["fixed", side]
            for outcome in report.failed[:3]:
                bad = True
                problems.append(f"fix fails {side} {outcome.name}: {outcome.message}")
    fixed_v, fixed_h = reports.get(("fixed", "visible")), reports.get(("fixed", "hidden"))
    return TaskCheck(
        id=task.id,
        category=task.category,
        buggy_visible=Counts.of(reports["buggy", "visible"]),
        buggy_hidden=Counts.of(reports["buggy", "hidden"]),
        fixed_visible=Counts.of(fixed_v) if fixed_v else None,
        fixed_hidden=Counts.of(fixed_h) if fixed_h else None,
        seconds=time.monotonic() - started,
        verdict="bad" if bad else "ok",
        problems=problems,
    )


def check_suite(
    tasks: Iterable[Task],
    options: RunOptions,
    jobs: int,
    on_result: Callable[[TaskCheck], None] | None = None,
) -> list[TaskCheck]:
    """Check tasks ``jobs`` at a time; ``on_result`` sees each verdict as it lands."""
    results: list[TaskCheck] = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(check_task, task, options) for task in tasks]
        for future in as_completed(futures):
            result = future.result()
            results.append(result)
            if on_result is not None:
                on_result(result)
    return sorted(results, key=lambda r: r.id)
