"""Which plausible patch to trust: the one that changes behaviour only where the failing tests
needed it.

A patch that passes the visible tests may still be wrong on every other input.
Before one is accepted, the plausible patches found so far and the original
program run on inputs derived from the visible JSON cases: each argument moved
to a neighbouring value (an int by one, a list reversed, sorted, shortened or
lengthened, one element moved by one, a string shortened or reversed), so the
inputs keep the visible inputs' shapes. Inputs derived from a case the original
passes are where its behaviour is believed right: a patch whose output differs
from the original's there changed behaviour no failing test asked to change,
and one that raises or loops where the original returned broke something. Each
such input counts against the patch (a crash twice), and the patches are tried
in order of fewest counts; among equals, one that makes no operation idle
(``x // 1``, ``a == a``: :mod:`duckfix.agents.degenerate`) before one that
does, then one whose outputs on every derived input more plausible patches
of the other origin share (the model's and the templates': agreement between
patches made apart is evidence, as in CodeT's ranking; a program whose
original crashes on every input gives no counts at all, and the smallest of
six plausible patches was a wrong one that the model's rewrite and a template
both disagreed with), then the fixer's own preference (the smallest edit).
Templates are not counted as agreeing with each other: many edits that
disable the same logic behave alike, and would outvote the fix. When plausible
patches give different outputs on some derived input, the result says so.

Tasks tested only by pytest files or C benches have no inputs to derive: their
patches keep the fixer's order, those that make an operation idle last.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pydantic import BaseModel, Field

from duckfix.agents.degenerate import introduced
from duckfix.models import Task, TestCase, TestOutcome, TestSet
from duckfix.runner import RunOptions, run_tests

__all__ = ["MAX_INPUTS", "PatchComparison", "compare_patches", "derived_inputs"]

MAX_INPUTS = 80
"""Derived inputs run per patch at most."""
_PER_CASE = 10
_CRASH = 2
"""What a crash or a loop where the original returned counts, against a changed output's 1."""


class PatchComparison(BaseModel):
    """How plausible patches behave on inputs derived from the visible tests."""

    order: list[int] = Field(default_factory=list)
    """Indices of the patches, the one to try first first."""
    changed: list[int] = Field(default_factory=list)
    """Per patch: derived inputs near passing cases whose output differs from the original's."""
    crashed: list[int] = Field(default_factory=list)
    """Per patch: derived inputs on which it raised or looped where the original returned."""
    idle: list[int] = Field(default_factory=list)
    """Per patch: operations it makes do nothing (``x // 1``), which break ties."""
    disagree: int = 0
    """Derived inputs on which the patches' outputs differ among themselves."""
    inputs: int = 0
    """Derived inputs run."""
    example: str = ""
    """One input the patches disagree on, with what each returned."""


def _variants(value: Any) -> list[Any]:
    """Neighbouring values of one argument, keeping its shape."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1, value - 1]
    if isinstance(value, float):
        return [value + 1.0, value / 2]
    if isinstance(value, str):
        return [value[:-1], value + value[-1:], value[::-1]] if value else ["a"]
    if isinstance(value, list):
        out: list[Any] = []
        if len(value) > 1:
            out += [value[::-1], value[:-1], value[1:]]
            with contextlib.suppress(TypeError):  # mixed types do not sort
                out.append(sorted(value))
            out.append([value[1], value[0], *value[2:]])
        out.append(value + value[-1:] if value else [0])
        ints = [i for i, v in enumerate(value) if isinstance(v, int) and not isinstance(v, bool)]
        if ints:
            i = ints[len(ints) // 2]
            out.append([*value[:i], value[i] + 1, *value[i + 1 :]])
        return out
    if isinstance(value, dict) and value:
        first = next(iter(value))
        return [{k: v for k, v in value.items() if k != first}]
    return []


def derived_inputs(
    cases: Sequence[TestCase], near_failing: Sequence[bool]
) -> list[tuple[list[Any], bool]]:
    """Inputs next to the visible cases' (args, whether derived from a failing case).

    Each case gives up to a few inputs, one argument changed at a time; an input
    equal to a visible case's is left out; at most ``MAX_INPUTS`` in all, taken
    from the cases in turn so every case contributes.
    """
    seen = {json.dumps(c.args, sort_keys=True) for c in cases}
    per_case: list[list[tuple[list[Any], bool]]] = []
    for case, failing in zip(cases, near_failing, strict=True):
        mine: list[tuple[list[Any], bool]] = []
        for i, arg in enumerate(case.args):
            for variant in _variants(arg):
                args = [*case.args[:i], variant, *case.args[i + 1 :]]
                key = json.dumps(args, sort_keys=True)
                if key not in seen and len(mine) < _PER_CASE:
                    seen.add(key)
                    mine.append((args, failing))
        per_case.append(mine)
    out: list[tuple[list[Any], bool]] = []
    for round_ in range(_PER_CASE):
        for mine in per_case:
            if round_ < len(mine) and len(out) < MAX_INPUTS:
                out.append(mine[round_])
    return out


def _behaviour(outcome: TestOutcome | None) -> tuple[str, str]:
    if outcome is None or outcome.status in ("error", "timeout", "skipped"):
        return ("crash", "")
    return ("ok", json.dumps(outcome.actual, sort_keys=True, default=repr))


def compare_patches(
    task: Task,
    program: Mapping[str, str],
    patches: Sequence[Mapping[str, str]],
    failing: Sequence[str],
    options: RunOptions,
    workers: int = 2,
    origins: Sequence[str] = (),
) -> PatchComparison:
    """Order ``patches`` (whole programs) by how little they change off the failing tests' path.

    ``origins``: per patch, who made it (``model``, ``template``); only patches of
    different origins count as agreeing. None given: all alike.
    """
    idle = [introduced(program, p) for p in patches]
    plain = PatchComparison(order=sorted(range(len(patches)), key=lambda i: idle[i] > 0), idle=idle)
    cases = task.visible.cases
    if not cases or task.language != "python" or not patches:
        return plain
    names = [c.name or f"case {i + 1}" for i, c in enumerate(cases)]
    inputs = derived_inputs(cases, [n in set(failing) for n in names])
    if not inputs:
        return plain
    derived = [
        TestCase(args=a, expected=None, name=f"derived {i + 1}") for i, (a, _) in enumerate(inputs)
    ]
    probe = task.model_copy(update={"visible": TestSet(cases=derived)})
    versions = [dict(program), *(dict(p) for p in patches)]

    def run(files: dict[str, str]) -> list[tuple[str, str]]:
        report = run_tests(probe, "visible", files, options)
        by_name = {o.name: o for o in report.outcomes}
        return [_behaviour(by_name.get(c.name)) for c in derived]

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        seen = list(pool.map(run, versions))
    original, found = seen[0], seen[1:]
    changed, crashed = [], []
    for behaviour in found:
        changed.append(
            sum(
                b != o and o[0] == "ok" and not near
                for b, o, (_, near) in zip(behaviour, original, inputs, strict=True)
            )
        )
        crashed.append(
            sum(b[0] == "crash" and o[0] == "ok" for b, o in zip(behaviour, original, strict=True))
        )
    made_by = list(origins) or [""] * len(found)
    votes = [
        sum(other == mine and made_by[j] != made_by[i] for j, other in enumerate(found))
        for i, mine in enumerate(found)
    ]
    order = sorted(
        range(len(patches)),
        key=lambda i: (changed[i] + _CRASH * crashed[i], idle[i] > 0, -votes[i], i),
    )
    split = [i for i in range(len(derived)) if len({f[i] for f in found}) > 1]
    example = ""
    if split:
        i = split[0]
        outputs = ", ".join(
            f"patch {k + 1}: {f[i][1] if f[i][0] == 'ok' else 'error'}" for k, f in enumerate(found)
        )
        example = f"{task.entry_point}{tuple(inputs[i][0])!r} -> {outputs}"[:300]
    return PatchComparison(
        order=order,
        changed=changed,
        crashed=crashed,
        idle=idle,
        disagree=len(split),
        inputs=len(derived),
        example=example,
    )
