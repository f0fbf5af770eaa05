"""Mutation-based fault localization: the lines whose mutants change what failing tests see.

Spectrum-based scores tie whenever every test runs the same lines, which is
how golden-output test benches always run: every line of the kernel gets the
same Ochiai score. Mutants tell such lines apart (Metallaxis, Papadakis & Le
Traon 2015; MUSE, Moon et al. 2014): a line is suspect when changing it changes
the outcome of the failing tests, the more so when the change brings their
output closer to what was expected, and without breaking the tests that pass.
A line whose every mutant leaves the failing tests' output exactly as it was
cannot be what makes them wrong.

The mutants are the fixer's own templates at each line (operator swaps,
off-by-one, negations, another variable, the statement deleted...), a few per
line, different templates first. Each runs against every visible test; what
each failing test shows is compared with the unmutated run:

======== ====== =============================================================
effect   weight the failing test, against the mutant
======== ====== =============================================================
fixed    1.0    passes
closer   0.75   fails with output nearer the expected: fewer wrong elements of
                a list, string or mapping; for a C bench's array check, its
                first wrong element further along
same     0.5    C bench: the same first wrong element, with another value
changed  0.3    fails differently (another value, error or status)
earlier  0.2    C bench: an earlier element goes wrong (the line feeds elements
                that were right)
none     0      fails exactly as before
======== ====== =============================================================

A mutant's score is Metallaxis' with the effects as weights,
``sum(weights) / sqrt(F * (killed + broken))``, where ``F`` counts the failing
tests, ``killed`` those the mutant changed at all and ``broken`` the passing
tests it makes fail; a line's score is its best mutant's. A mutant that does not
compile says nothing and is left out.

Every mutant is a candidate patch validated against all visible tests: one that
passes them all is a plausible fix, and one that fixes some failing tests
without breaking any passing one is half of a two-site fix
(:mod:`duckfix.agents.pairs`). The runs are counted among the run's candidates.
"""

from __future__ import annotations

import itertools
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pydantic import BaseModel, Field

from duckfix.agents.templates import Candidate, generate
from duckfix.models import Suspect, Task, TestOutcome, TestReport
from duckfix.runner import RunOptions, run_tests

__all__ = [
    "EFFECT_WEIGHTS",
    "MutantRun",
    "choose_mutants",
    "effect",
    "line_scores",
    "run_mutants",
]

EFFECT_WEIGHTS: Mapping[str, float] = {
    "fixed": 1.0,
    "closer": 0.75,
    "same": 0.5,
    "changed": 0.3,
    "earlier": 0.2,
    "none": 0.0,
}
"""What a mutant's effect on one failing test says about its line (module docstring)."""

_NOT_MUTANTS = frozenset(
    {"insert-stmt", "duplicate-stmt", "move-stmt", "dedent-stmt", "indent-stmt"}
)
# Templates that move or add whole statements change the lines around the
# suspect, not the suspect itself: they say nothing about its line.
_FIRST_TEMPLATES = ("delete-stmt", "c-delete")
# Deleting a statement is the classic mutation operator: whatever the line
# computes stops flowing on. It goes second at each line, after the line's
# likeliest edit.
_ELEMENT = re.compile(r"^\[(\d+)\]")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+|\b\d+(?:\.\d+)?s\b")
_NOT_COMPILED = "does not compile"


class MutantRun(BaseModel):
    """One mutant run against every visible test, compared with the unmutated run."""

    candidate: Candidate
    plausible: bool = False
    """Every visible test passes: a fix."""
    fixed: list[str] = Field(default_factory=list)
    """Originally failing tests that pass."""
    broken: list[str] = Field(default_factory=list)
    """Originally passing tests that fail."""
    killed: int = 0
    """Originally failing tests whose outcome changed at all."""
    effect: float = 0.0
    """Sum of the failing tests' effect weights."""
    score: float = 0.0
    """How suspect the mutant makes its line (module docstring)."""
    compiled: bool = True
    """False when the mutant did not build: it is no evidence."""
    failed: str = ""
    """The first test it failed, with the reason (as the fixer reports a candidate)."""
    outcome: TestOutcome | None = None
    """The first originally failing test as it ran against the mutant."""
    seconds: float = 0.0


def choose_mutants(
    program: Mapping[str, str],
    lines: Sequence[tuple[str, int]],
    *,
    limit: int,
    per_line: int = 3,
    skip: Iterable[tuple[str, int, int, str]] = (),
    make: Callable[[dict[str, str], list[Suspect]], list[Candidate]] | None = None,
    stop: Callable[[], bool] | None = None,
) -> list[Candidate]:
    """At most ``limit`` mutants of ``lines``, spread over as many lines as the limit allows.

    The lines come in the order they should be covered first. Each line's
    mutants are its template candidates that edit the line itself, one per
    template in prior order (the statement's deletion second); the first
    mutant of every line is taken before the second of any, so a tight limit
    covers many lines thinly rather than a few thoroughly. ``skip`` holds the
    keys of candidates already tried; ``make`` stands in for the templates
    (tests). Lines past the ``limit``-th that has a mutant are not looked at
    (their mutants could not be chosen), nor any once ``stop`` says so (a
    deadline: a program of megabytes has thousands of lines to look at).
    """
    make = make or (lambda sources, suspects: generate(sources, suspects))
    sources = dict(program)
    seen = set(skip)
    per: list[list[Candidate]] = []
    for path, line in lines:
        if sum(1 for p in per if p) >= limit or (stop is not None and stop()):
            break
        if path not in sources:
            continue
        made = make(sources, [Suspect(path=path, line=line, score=1.0)])
        own = [c for c in made if c.line == line and c.template not in _NOT_MUTANTS]
        per.append(_diverse(own, per_line, seen))
    chosen: list[Candidate] = []
    for tier in range(per_line):
        for mutants in per:
            if len(chosen) >= limit:
                return chosen
            if tier < len(mutants) and mutants[tier].key not in seen:
                seen.add(mutants[tier].key)
                chosen.append(mutants[tier])
    return chosen


def _diverse(candidates: list[Candidate], count: int, seen: set[Any]) -> list[Candidate]:
    """Up to ``count`` candidates, every template's best before any template's second best,
    the deletion second."""
    by_template: dict[str, list[Candidate]] = {}
    for c in candidates:  # best first already
        if c.key not in seen:
            by_template.setdefault(c.template, []).append(c)
    rounds = itertools.zip_longest(*by_template.values())
    ordered = [c for row in rounds for c in row if c is not None]
    deletion = next((c for c in ordered if c.template in _FIRST_TEMPLATES), None)
    if deletion is not None and len(ordered) > 1:
        ordered.remove(deletion)
        ordered.insert(1, deletion)
    return ordered[:count]


def run_mutants(
    task: Task,
    program: Mapping[str, str],
    mutants: Sequence[Candidate],
    baseline: TestReport,
    options: RunOptions,
    workers: int,
    *,
    stop: Callable[[], bool] | None = None,
) -> list[MutantRun]:
    """Run each mutant against every visible test, ``workers`` at a time, in order.

    ``stop`` is asked before each mutant starts (a deadline); mutants it stops
    are left out of the result.
    """

    def one(mutant: Candidate) -> MutantRun | None:
        if stop is not None and stop():
            return None
        started = time.monotonic()
        files = {**program, mutant.path: mutant.apply(program.get(mutant.path, ""))}
        report = run_tests(task, "visible", files, options)
        run = compare(mutant, baseline, report)
        run.seconds = time.monotonic() - started
        return run

    if workers <= 1 or len(mutants) <= 1:
        done = [one(m) for m in mutants]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            done = list(pool.map(one, mutants))
    return [r for r in done if r is not None]


def compare(mutant: Candidate, baseline: TestReport, report: TestReport) -> MutantRun:
    """What running ``mutant`` (``report``) changed against the unmutated ``baseline``."""
    now = {o.name: o for o in report.outcomes}
    failing = baseline.failed
    passing = baseline.passed
    build = next((o for o in report.outcomes if o.message.startswith(_NOT_COMPILED)), None)
    if build is not None:  # a C mutant that does not build ran no test
        return MutantRun(
            candidate=mutant, compiled=False, failed=f"{build.name}: {build.message}", outcome=build
        )
    effects = [effect(o, now.get(o.name)) for o in failing]
    fixed = [o.name for o, e in zip(failing, effects, strict=True) if e == "fixed"]
    broken = [o.name for o in passing if not _passed(now.get(o.name))]
    killed = sum(e != "none" for e in effects)
    total = sum(EFFECT_WEIGHTS[e] for e in effects)
    denominator = math.sqrt(len(failing) * (killed + len(broken)))
    first_failed = next(
        (o for o in report.outcomes if not o.passed and o.status != "skipped"), None
    )
    plausible = report.all_passed and not broken and len(fixed) == len(failing)
    return MutantRun(
        candidate=mutant,
        plausible=plausible,
        fixed=fixed,
        broken=broken,
        killed=killed,
        effect=total,
        score=total / denominator if denominator else 0.0,
        failed=f"{first_failed.name}: {first_failed.message}" if first_failed else "",
        outcome=now.get(failing[0].name) if failing else None,
    )


def _passed(outcome: TestOutcome | None) -> bool:
    return outcome is not None and outcome.passed


def effect(before: TestOutcome, after: TestOutcome | None) -> str:
    """How a mutant changed one originally failing test (a key of ``EFFECT_WEIGHTS``)."""
    if after is None:
        return "changed"  # it no longer reports at all
    if after.passed:
        return "fixed"
    if after.status == "skipped":
        return "changed"
    if before.status != after.status:
        return "changed"
    if _signature(before) == _signature(after):
        return "none"
    first_before, first_after = _first_wrong(before), _first_wrong(after)
    if first_before is not None and first_after is not None:
        if first_after > first_before:
            return "closer"
        if first_after < first_before:
            return "earlier"
        return "same"
    gap_before = distance(before.actual, before.expected)
    gap_after = distance(after.actual, after.expected)
    if gap_before is not None and gap_after is not None and gap_after < gap_before:
        return "closer"
    return "changed"


def _signature(outcome: TestOutcome) -> tuple[str, str, str]:
    """What a test showed, without what differs from run to run (addresses, timings)."""
    message = _ADDRESS.sub("#", outcome.message.split("\n", 1)[0])
    return outcome.status, repr(outcome.actual), message


def _first_wrong(outcome: TestOutcome) -> int | None:
    """The index of the first wrong element a C bench's array check reports, if it is one."""
    if not isinstance(outcome.actual, str) or not isinstance(outcome.expected, str):
        return None
    found = _ELEMENT.match(outcome.actual)
    return int(found.group(1)) if found else None


def distance(actual: Any, expected: Any) -> int | None:
    """How many elements of a list, string or mapping are wrong; None for other values.

    Positions compare one to one, and each element one list has beyond the
    other counts as wrong. Scalars have no such count: a mutant that moves a
    wrong number nearer the right one is as often luck as evidence.
    """
    if isinstance(expected, (list, str)) and isinstance(actual, type(expected)):
        wrong = sum(bool(a != e) for a, e in zip(actual, expected, strict=False))
        return int(wrong) + abs(len(actual) - len(expected))
    if isinstance(expected, dict) and isinstance(actual, dict):
        keys = set(actual) | set(expected)
        return sum(bool(actual.get(k, _MISSING) != expected.get(k, _MISSING)) for k in keys)
    return None


_MISSING = object()


def line_scores(runs: Iterable[MutantRun]) -> dict[tuple[str, int], float]:
    """Each mutated line's score: its best mutant's (mutants that did not build left out)."""
    best: dict[tuple[str, int], float] = {}
    for run in runs:
        if not run.compiled:
            continue
        key = (run.candidate.path, run.candidate.line)
        best[key] = max(best.get(key, 0.0), run.score)
    return best
