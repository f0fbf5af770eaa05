"""Patch templates over the built-in suite: candidates per line, cost, and reference fixes found.

Suspects are the true buggy lines (buggy vs fixed, by difflib; for a missing
statement, the lines around the gap), all with score 1, so the figures measure
the templates alone, not fault localization. A task is *single-site* when its
fix is one hunk. A reference fix counts as found when a candidate's program has
the same AST as the fixed program (``ast.dump`` equality); its rank is its
position in the generated list.
"""

from __future__ import annotations

import ast
import difflib
import statistics
import time
from collections import Counter
from dataclasses import dataclass

from duckfix.agents.templates import Candidate, generate
from duckfix.datasets.suites import load_suite
from duckfix.models import Suspect, Task

REPEATS = 5


@dataclass
class Case:
    task: Task
    suspects: list[Suspect]
    hunks: int


def buggy_lines(buggy: str, fixed: str) -> tuple[list[int], int]:
    """The 1-based lines of ``buggy`` a fix touches, and how many hunks the fix has."""
    old, new = buggy.splitlines(), fixed.splitlines()
    lines: list[int] = []
    hunks = 0
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        hunks += 1
        if tag == "insert":
            # A missing statement: the lines on either side of the gap.
            lines += [n for n in (i1, i1 + 1) if 1 <= n <= len(old)]
        else:
            lines += range(i1 + 1, i2 + 1)
    return sorted(set(lines)), hunks


def cases() -> list[Case]:
    out = []
    for task in load_suite("builtin"):
        if task.fixed is None:
            continue
        suspects: list[Suspect] = []
        hunks = 0
        for path, text in sorted(task.buggy.items()):
            lines, n = buggy_lines(text, task.fixed.get(path, text))
            hunks += n
            suspects += [Suspect(path=path, line=line, score=1.0) for line in lines]
        out.append(Case(task, suspects, hunks))
    return out


def rank_of_fix(case: Case, candidates: list[Candidate]) -> int | None:
    assert case.task.fixed is not None
    wanted = {p: ast.dump(ast.parse(t)) for p, t in case.task.fixed.items()}
    for rank, candidate in enumerate(candidates, 1):
        text = candidate.apply(case.task.buggy[candidate.path])
        if ast.dump(ast.parse(text)) == wanted[candidate.path]:
            return rank
    return None


def main(repeats: int = REPEATS) -> None:
    all_cases = cases()
    results = {c.task.id: generate(c.task.buggy, c.suspects) for c in all_cases}
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for c in all_cases:
            generate(c.task.buggy, c.suspects)
        best = min(best, time.perf_counter() - started)

    lines = sum(len(c.suspects) for c in all_cases)
    total = sum(len(r) for r in results.values())
    single = [c for c in all_cases if c.hunks == 1]
    found: dict[str, tuple[int, str]] = {}
    for c in single:
        rank = rank_of_fix(c, results[c.task.id])
        if rank is not None:
            found[c.task.id] = (rank, results[c.task.id][rank - 1].template)
    ranks = sorted(r for r, _ in found.values())
    by_template = Counter(t for _, t in found.values())

    print(f"tasks                {len(all_cases)} ({len(single)} single-site)")
    print(f"suspect lines        {lines}")
    print(f"candidates           {total} ({total / lines:.1f} per suspect line)")
    print(f"time per candidate   {best / total * 1e6:7.1f} us (best of {repeats})")
    print(f"time per task        {best / len(all_cases) * 1e3:7.2f} ms")
    print(f"reference fix found  {len(found)} of {len(single)} single-site bugs")
    if ranks:
        top = ", ".join(f"top-{k} {sum(r <= k for r in ranks)}" for k in (1, 5, 10, 25))
        print(f"  rank               median {statistics.median(ranks):g}, {top}")
        print(f"  ranks              {' '.join(str(r) for r in ranks)}")
        print(f"  by template        {', '.join(f'{t} {n}' for t, n in by_template.most_common())}")
    missed = [f"{c.task.id} ({c.task.category})" for c in single if c.task.id not in found]
    if missed:
        print(f"  not found          {', '.join(missed)}")


if __name__ == "__main__":
    main()
