"""The fixer agent, offline: template candidates at suspect lines, validated in the sandbox.

Validation runs the originally failing tests first, since most candidates fail
one of them, and only then the rest of the visible tests. Candidates of a round
are validated in parallel; among the plausible ones the smallest edit wins.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from pydantic import BaseModel

from duckfix.agents.templates import Candidate
from duckfix.deadline import out_of_time
from duckfix.models import Task, TestOutcome
from duckfix.runner import RunOptions, run_tests

__all__ = ["Validation", "candidate_files", "choose", "validate", "validate_batch"]


class Validation(BaseModel):
    """How one candidate fared against the visible tests."""

    candidate: Candidate
    plausible: bool
    failed: str = ""
    """The first test it failed, with the reason."""
    outcome: TestOutcome | None = None
    """The first originally failing test, as it ran against the candidate."""
    timed_out: bool = False
    """The test that failed it ran out of time: with timeouts cut to fit the run's
    budget, that is no verdict on the candidate."""
    fixed: list[str] = []
    """The originally failing tests it makes pass."""
    broken: list[str] | None = None
    """The originally passing tests it makes fail; None when they were not run."""
    runs: int = 0
    seconds: float = 0.0

    @property
    def partial(self) -> bool:
        """It fixes some failing tests, and is known to break no passing one."""
        return not self.plausible and bool(self.fixed) and self.broken == []


def candidate_files(program: dict[str, str], candidate: Candidate) -> dict[str, str]:
    """The program's files with the candidate's edit applied."""
    return {**program, candidate.path: candidate.apply(program.get(candidate.path, ""))}


def validate(
    task: Task,
    program: dict[str, str],
    candidate: Candidate,
    failing: Sequence[str],
    passing: Sequence[str],
    options: RunOptions,
) -> Validation:
    """Run the failing tests, then (if they pass) the rest, against the candidate.

    For C and HLS tasks every visible test runs in one go: a run's cost there
    is the compile, which two runs would pay twice, not the tests.

    A candidate that fixes some failing tests but not all is run against the
    passing tests too, to know whether it is half of a two-site fix
    (:attr:`Validation.partial`).
    """
    started = time.monotonic()
    files = candidate_files(program, candidate)
    runs = 0
    outcome: TestOutcome | None = None
    rounds = (failing, passing) if task.language == "python" else ([*failing, *passing], [])
    was_failing = set(failing)
    fixed: list[str] = []
    broken: list[str] | None = None if passing else []
    first: TestOutcome | None = None
    every_round_passed = True
    for names in rounds:
        if not names:
            continue
        report = run_tests(task, "visible", files, options, only=list(names))
        runs += 1
        if outcome is None and report.outcomes:
            outcome = report.outcomes[0]
        fixed += [o.name for o in report.passed if o.name in was_failing]
        if any(o.name not in was_failing for o in report.outcomes):
            broken = [o.name for o in report.failed if o.name not in was_failing]
        if not report.all_passed:
            every_round_passed = False
            first = first or (report.failed[0] if report.failed else None)
            if not fixed or broken is not None:
                break  # not a fix, nor half of one: the rest says nothing more
    seconds = time.monotonic() - started
    if every_round_passed:
        return Validation(
            candidate=candidate, plausible=True, outcome=outcome, fixed=fixed, broken=[],
            runs=runs, seconds=seconds,
        )  # fmt: skip
    return Validation(
        candidate=candidate,
        plausible=False,
        failed=f"{first.name}: {first.message}" if first else "no test ran",
        outcome=outcome,
        timed_out=first is not None and out_of_time(first),
        fixed=fixed,
        broken=broken,
        runs=runs,
        seconds=seconds,
    )


def validate_batch(
    task: Task,
    program: dict[str, str],
    batch: Sequence[Candidate],
    failing: Sequence[str],
    passing: Sequence[str],
    options: RunOptions,
    workers: int,
) -> list[Validation]:
    """Validate candidates ``workers`` at a time; results in the batch's order."""
    if workers <= 1 or len(batch) <= 1:
        return [validate(task, program, c, failing, passing, options) for c in batch]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [
            pool.submit(validate, task, program, c, failing, passing, options) for c in batch
        ]
        return [f.result() for f in futures]


def choose(validations: Sequence[Validation]) -> list[Validation]:
    """Plausible candidates, preferred first: the smallest edit, then the best score."""
    plausible = [v for v in validations if v.plausible]
    return sorted(plausible, key=lambda v: (v.candidate.size, -v.candidate.score))
