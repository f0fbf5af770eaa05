"""Build a dataset of validated buggy / bug-free pairs from a suite of correct programs.

For each program (a task's reference fix): enumerate candidate mutants with
the language's mutators (and a model's proposals, when a ``propose`` hook is
given), drop duplicates, then validate them in an order drawn from the seed,
round-robin over the categories so each gets its share, until ``per_program``
are kept. Kept logic mutants become task folders that ``duckfix bench`` runs
as they are; every kept mutant becomes a line of ``pairs.jsonl``; and
``summary.json`` says, per category, how many were kept and why the others
were rejected. The same seed gives the same dataset.
"""

from __future__ import annotations

import functools
import json
import random
import shutil
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from duckfix.datasets.builder.categories import categories_for, category
from duckfix.datasets.builder.mutants import Mutant
from duckfix.datasets.builder.validate import (
    Verdict,
    normalised,
    validate_mutant,
    validate_pragma,
)
from duckfix.errors import UsageError
from duckfix.executor import Executor, LocalExecutor
from duckfix.models import Patch, Task, TestSet
from duckfix.runner import RunOptions, run_tests, scaled_to

__all__ = [
    "BuildSpec",
    "CategoryCount",
    "Detect",
    "Pair",
    "ProgramResult",
    "Propose",
    "Summary",
    "build_dataset",
    "candidate_mutants",
]

Propose = Callable[[Task, str, Sequence[str]], list[Mutant]]
"""A model's proposals: (task, program text, categories wanted) -> mutants, ``mutator="llm"``."""
Detect = Callable[[Task, Mutant, str, str], list[str]]
"""The review checks that flag a mutant's line: (task, mutant, diff, mutated) -> names."""

Needs = Literal["simulation", "synthesis or static checks"]


class BuildSpec(BaseModel):
    """What ``duckfix dataset build`` was asked for."""

    suite: str
    language: Literal["python", "c", "hls"]
    per_program: int = Field(ge=1)
    seed: int = 0
    out: Path
    categories: list[str] = Field(default_factory=list)
    """Only these categories (all of the language's when empty)."""

    def wanted(self) -> list[str]:
        """The categories to inject, in taxonomy order."""
        names = [c.name for c in categories_for(self.language)]
        return [n for n in names if n in self.categories] if self.categories else names


class Pair(BaseModel):
    """One kept mutant: a line of ``pairs.jsonl``."""

    id: str
    language: str
    category: str
    kind: Literal["logic", "pragma"]
    file: str
    line: int
    buggy: str
    fixed: str
    diff: str
    failing_test: str | None = None
    failure: str = ""
    detecting_checks: list[str] | None = None
    """Review checks that flag the changed line; None when they were not run."""
    needs: Needs
    """What it takes to see the bug: a test run, or synthesis / static checks."""
    provenance: dict[str, str | int]


class CategoryCount(BaseModel):
    """Candidates, validations and outcomes of one category."""

    candidates: int = 0
    validated: int = 0
    kept: int = 0
    flagged: int = 0
    """Kept pairs whose changed line a deterministic review check flags."""
    rejected: dict[str, int] = Field(default_factory=dict)


class ProgramResult(BaseModel):
    """What one program gave."""

    task_id: str
    pairs: list[Pair] = Field(default_factory=list)
    counts: dict[str, CategoryCount] = Field(default_factory=dict)
    skipped: str | None = None
    validated: int = 0
    seconds: float = 0.0


class Summary(BaseModel):
    """``summary.json``: the build's yield per category and its speed."""

    spec: BuildSpec
    programs: int
    skipped: dict[str, str]
    candidates: int
    validated: int
    kept: int
    seconds: float
    validated_per_second: float
    categories: dict[str, CategoryCount]


def candidate_mutants(task: Task, language: str) -> list[Mutant]:
    """Every mutant the language's mutators make of ``task``'s reference program."""
    assert task.fixed is not None
    text = task.fixed[task.program]
    found: list[Mutant] = []
    if language == "python":
        from duckfix.datasets.builder.py_mutators import python_mutants

        found = python_mutants(text, task.program)
    else:
        from duckfix.datasets.builder.c_mutators import c_mutants

        found = c_mutants(text, task.program)
        if language == "hls":
            from duckfix.datasets.builder.pragma_mutators import pragma_mutants

            found += pragma_mutants(text, task.program)
    wanted = {c.name for c in categories_for(language)}
    return [m for m in found if m.category in wanted]


def build_dataset(
    tasks: Sequence[Task],
    spec: BuildSpec,
    options: RunOptions,
    *,
    jobs: int = 1,
    propose: Propose | None = None,
    detect: Detect | None = None,
    on_program: Callable[[ProgramResult], None] | None = None,
    force: bool = False,
    executor: Executor | None = None,
    done: Mapping[str, ProgramResult] | None = None,
) -> Summary:
    """Build the dataset ``spec`` asks for from ``tasks``; write it under ``spec.out``.

    Programs go to ``executor`` (threads here by default), ``jobs`` at once;
    ``on_program`` hears of each here, as it lands. With a remote executor
    ``propose`` and ``detect`` must pickle. ``done``: the programs a stopped
    run of the same spec built (a resume), not built again; their pairs are
    written with the rest, into the folder that run began, as it left it.
    The files are written once every program has landed.
    """
    if done is None:
        _prepare(spec.out, force)
    else:
        spec.out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    one = functools.partial(
        _build_program, spec=spec, options=options, propose=propose, detect=detect
    )
    landed: dict[str, ProgramResult] = dict(done or {})
    todo = [t for t in tasks if t.id not in landed]
    for result in (executor or LocalExecutor()).map_unordered(one, todo, jobs):
        landed[result.task_id] = result
        if on_program is not None:
            on_program(result)
    results = [landed[t.id] for t in tasks]  # the summary does not depend on who finished first
    seconds = time.monotonic() - started
    pairs = sorted((p for r in results for p in r.pairs), key=lambda p: p.id)
    for pair, task in _with_tasks(pairs, tasks):
        _write_pair(spec.out, pair, task)
    with (spec.out / "pairs.jsonl").open("w", encoding="utf-8") as fh:
        for pair in pairs:
            fh.write(pair.model_dump_json() + "\n")
    categories: dict[str, CategoryCount] = {}
    for name in spec.wanted():
        total = CategoryCount()
        for result in results:
            count = result.counts.get(name)
            if count is None:
                continue
            total.candidates += count.candidates
            total.validated += count.validated
            total.kept += count.kept
            total.flagged += count.flagged
            for reason, n in count.rejected.items():
                total.rejected[reason] = total.rejected.get(reason, 0) + n
        categories[name] = total
    validated = sum(r.validated for r in results)
    # Speed is this run's: what it validated in its own time (a resume's share).
    new = sum(r.validated for r in results if r.task_id not in (done or {}))
    summary = Summary(
        spec=spec,
        programs=len(tasks),
        skipped={r.task_id: r.skipped for r in results if r.skipped},
        candidates=sum(c.candidates for c in categories.values()),
        validated=validated,
        kept=len(pairs),
        seconds=round(seconds, 2),
        validated_per_second=round(new / seconds, 2) if seconds else 0.0,
        categories=categories,
    )
    (spec.out / "summary.json").write_text(summary.model_dump_json(indent=2) + "\n", "utf-8")
    return summary


def _prepare(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a folder; give a new folder with --out")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise UsageError(
                f"{out}: the folder is not empty; give a new one, or --force to replace it"
            )
        if not (out / "summary.json").is_file():
            # --force replaces a dataset, never a folder of something else.
            raise UsageError(f"{out}: not a dataset this command wrote; refusing to replace it")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def _build_program(
    task: Task,
    *,
    spec: BuildSpec,
    options: RunOptions,
    propose: Propose | None,
    detect: Detect | None,
) -> ProgramResult:
    started = time.monotonic()
    result = ProgramResult(task_id=task.id)
    if task.fixed is None or task.program not in task.fixed:
        result.skipped = "no reference fix to inject bugs into"
        return result
    if task.language != spec.language:
        result.skipped = f"language {task.language}, not {spec.language}"
        return result
    baseline = run_tests(task, "visible", task.fixed, options)
    if not baseline.all_passed:
        first = baseline.failed[0] if baseline.failed else None
        why = f"{first.name}: {first.message[:200]}" if first else "no test ran"
        result.skipped = f"the reference fix does not pass its visible tests ({why})"
        return result
    options = scaled_to(options, baseline)
    text = task.fixed[task.program]
    wanted = spec.wanted()
    mutants = [m for m in candidate_mutants(task, spec.language) if m.category in wanted]
    if propose is not None:
        mutants = propose(task, text, wanted) + mutants
    rng = random.Random(f"{spec.seed}/{task.id}")
    order = _round_robin(mutants, rng)
    seen = {normalised(text)}
    numbers: Counter[str] = Counter()
    for mutant in order:
        count = result.counts.setdefault(mutant.category, CategoryCount())
        count.candidates += 1
    for mutant in order:
        if len(result.pairs) >= spec.per_program:
            break
        count = result.counts[mutant.category]
        mutated = mutant.apply(text)
        key = normalised(mutated)
        if key in seen:
            count.rejected["duplicate"] = count.rejected.get("duplicate", 0) + 1
            continue
        seen.add(key)
        count.validated += 1
        result.validated += 1
        verdict = (
            validate_pragma(text, mutant)
            if mutant.kind == "pragma"
            else validate_mutant(task, mutant, options)
        )
        if not verdict.kept:
            count.rejected[verdict.reason] = count.rejected.get(verdict.reason, 0) + 1
            continue
        count.kept += 1
        numbers[mutant.category] += 1
        pair_id = f"{task.id}-{mutant.category}-{numbers[mutant.category]}"
        diff = Patch.from_sources({mutant.file: text}, {mutant.file: mutated}).diff
        checks = detect(task, mutant, diff, mutated) if detect is not None else None
        count.flagged += bool(checks)
        result.pairs.append(
            _pair(pair_id, task, spec, mutant, text, mutated, diff, verdict, checks)
        )
    result.seconds = time.monotonic() - started
    return result


def _round_robin(mutants: Sequence[Mutant], rng: random.Random) -> list[Mutant]:
    """The mutants in the order to validate: categories in turn, each in a seeded order.

    A model's proposals stay ahead of the mutators' within their category: they
    were asked for, and are fewer.
    """
    pools: dict[str, list[Mutant]] = {}
    for mutant in mutants:
        pools.setdefault(mutant.category, []).append(mutant)
    for pool in pools.values():
        proposed = [m for m in pool if m.mutator == "llm"]
        rest = [m for m in pool if m.mutator != "llm"]
        rng.shuffle(rest)
        pool[:] = proposed + rest
    names = sorted(pools)
    rng.shuffle(names)
    order: list[Mutant] = []
    depth = max((len(p) for p in pools.values()), default=0)
    for i in range(depth):
        order.extend(pools[name][i] for name in names if i < len(pools[name]))
    return order


def _pair(
    pair_id: str,
    task: Task,
    spec: BuildSpec,
    mutant: Mutant,
    text: str,
    mutated: str,
    diff: str,
    verdict: Verdict,
    checks: list[str] | None,
) -> Pair:
    return Pair(
        id=pair_id,
        language=spec.language,
        category=mutant.category,
        kind=mutant.kind,
        file=mutant.file,
        line=mutant.line,
        buggy=mutated,
        fixed=text,
        diff=diff,
        failing_test=verdict.failing_test,
        failure=verdict.message,
        detecting_checks=checks,
        needs="simulation" if mutant.kind == "logic" else "synthesis or static checks",
        provenance={
            "suite": spec.suite,
            "task": task.id,
            "mutator": mutant.mutator,
            "description": mutant.description,
            "seed": spec.seed,
            "meaning": category(mutant.category).meaning,
        },
    )


def _with_tasks(pairs: Sequence[Pair], tasks: Sequence[Task]) -> list[tuple[Pair, Task]]:
    by_id = {t.id: t for t in tasks}
    return [(p, by_id[str(p.provenance["task"])]) for p in pairs]


def _write_pair(out: Path, pair: Pair, task: Task) -> None:
    """A task folder for a logic pair (``OUT/<id>``); buggy / fixed only for a pragma one."""
    assert task.fixed is not None
    folder = out / pair.id if pair.kind == "logic" else out / "pragma" / pair.id
    buggy = {**task.fixed, pair.file: pair.buggy}
    for side, files in (("buggy", buggy), ("fixed", task.fixed)):
        for path, content in files.items():
            _write(folder / side / path, content)
    if pair.kind == "pragma":
        _write(folder / "diff.patch", pair.diff)
        return
    for name, tests in (("visible", task.visible), ("hidden", task.hidden)):
        _write_tests(folder, name, tests)
    for path, content in task.support.items():
        _write(folder / path, content)
    description = f"{pair.provenance['description']} at line {pair.line} of {task.id}"
    meta = {
        "id": pair.id,
        "language": task.language,
        "entry_point": task.entry_point,
        "program": task.program,
        "category": pair.category,
        "description": description,
    }
    lines = [f"{key} = {json.dumps(value)}" for key, value in meta.items()]
    _write(folder / "task.toml", "\n".join(lines) + "\n")


def _write_tests(folder: Path, side: str, tests: TestSet) -> None:
    if tests.cases:
        rows = [json.dumps({"args": c.args, "expected": c.expected}) for c in tests.cases]
        _write(folder / "tests" / side / "cases.jsonl", "\n".join(rows) + "\n")
    for path, content in {**tests.pytest_files, **tests.benches}.items():
        _write(folder / path, content)


def _write(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
