"""Suspect lines from every kind of evidence: the spectrum, mutants and values.

:func:`find_suspects` is the localizer's full run. The visible tests run traced
(the spectrum, :func:`duckfix.agents.localizer.localize`); then mutants of the
lines a failing test ran, the spectrum's best lines first, as many as the
budget allows (:mod:`duckfix.agents.mbfl`); then the values the failing run
computed are traced back to the lines that wrote them
(:mod:`duckfix.agents.values`); and one ranking weighs all three
(:mod:`duckfix.agents.ranking`).

The mutants are candidate patches validated against every visible test: the
caller gets their runs back, to count them, to keep a plausible one as a fix
and to pair partial ones (:mod:`duckfix.agents.pairs`).
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, Field

from duckfix.agents.localizer import Localization, localize
from duckfix.agents.mbfl import MutantRun, choose_mutants, line_scores, run_mutants
from duckfix.agents.ranking import rank_suspects
from duckfix.agents.values import value_scores
from duckfix.budgets import MAX_MUTANTS
from duckfix.deadline import Deadline
from duckfix.models import Suspect, Task, TestReport
from duckfix.runner import RunOptions, run_tests, scaled_to

__all__ = [
    "MAX_PER_LINE",
    "MIN_PER_LINE",
    "Suspicion",
    "adaptive_per_line",
    "find_suspects",
    "mutation_order",
]

MIN_PER_LINE = 1
MAX_PER_LINE = 6
"""Mutants per line: at most this many; a line's first mutant comes before any line's second
(``python -m tests.perf bench_ranks``: on the built-in suite four to six per line placed the
buggy line first most often, one per line least)."""


class Suspicion(BaseModel):
    """Ranked suspects, and the mutant runs that helped rank them."""

    localization: Localization
    mutants: list[MutantRun] = Field(default_factory=list)
    """Every mutant run, in the order they were chosen."""
    valued: int = 0
    """Lines with value evidence (they wrote a wrong output, or fed a line that did)."""


def find_suspects(
    task: Task,
    program: Mapping[str, str] | None = None,
    options: RunOptions | None = None,
    *,
    baseline: TestReport | None = None,
    top: int = 10,
    max_mutants: int = MAX_MUTANTS,
    per_line: int | None = None,
    workers: int = 2,
    deadline: Deadline | None = None,
) -> Suspicion:
    """Rank the lines of ``program`` (default: the buggy one) by the spectrum, mutants and values.

    ``baseline`` is an untraced run of the visible tests, if the caller has
    one (it is made otherwise). ``max_mutants`` bounds the mutants run, 0 for
    none; ``per_line`` those of one line (default: as many as the budget gives
    each line, :func:`adaptive_per_line`). Past ``deadline`` no new mutant starts.
    """
    program = dict(task.buggy if program is None else program)
    options = options or RunOptions()
    if baseline is None:
        baseline = run_tests(task, "visible", program, options)
    mutants: list[MutantRun] = []
    valued = 0

    def rerank(ranked: list[Suspect], traced: TestReport) -> list[Suspect]:
        nonlocal mutants, valued
        values = value_scores(task, program, ranked, traced, baseline, options, deadline)
        valued = len(values)
        lines = mutation_order(ranked, values)
        each = per_line or adaptive_per_line(max_mutants, len(lines))
        stop = (lambda: deadline.passed) if deadline is not None else None
        chosen = choose_mutants(program, lines, limit=max_mutants, per_line=each, stop=stop)
        mutants = run_mutants(
            task, program, chosen, baseline, scaled_to(options, baseline), workers, stop=stop
        )
        scores = line_scores(mutants)
        # Value evidence weighs in where the output says which element went wrong.
        told = any(o.first_difference is not None for o in baseline.failed)
        return rank_suspects(
            ranked,
            program,
            mutation=scores,
            notes=_notes(mutants, baseline),
            values=values if told else None,
        )

    found = localize(
        task, program, options, top=top, baseline=baseline, deadline=deadline, rerank=rerank
    )
    if mutants:
        lines = len({(m.candidate.path, m.candidate.line) for m in mutants})
        found.message += f"; {len(mutants)} mutants of {lines} lines ran"
    return Suspicion(localization=found, mutants=mutants, valued=valued)


def adaptive_per_line(limit: int, lines: int) -> int:
    """Mutants per line: as many as the budget gives every line, within ``MIN_PER_LINE`` to
    ``MAX_PER_LINE`` (a few lines get several, many lines at least one each, best first)."""
    if lines <= 0:
        return MIN_PER_LINE
    return max(MIN_PER_LINE, min(MAX_PER_LINE, limit // lines))


def mutation_order(
    ranked: list[Suspect], values: Mapping[tuple[str, int], float]
) -> list[tuple[str, int]]:
    """The lines to mutate first: the spectrum's best, and among equals those nearest the
    wrong output (value evidence), then the ranking's own order."""
    order = sorted(
        enumerate(ranked),
        key=lambda item: (-item[1].score, -values.get((item[1].path, item[1].line), 0.0), item[0]),
    )
    return [(s.path, s.line) for _, s in order]


def _notes(runs: list[MutantRun], baseline: TestReport) -> dict[tuple[str, int], str]:
    """What each mutated line's best mutant did, in words for its suspect's reason."""
    best: dict[tuple[str, int], MutantRun] = {}
    for run in runs:
        key = (run.candidate.path, run.candidate.line)
        if run.compiled and (key not in best or run.score > best[key].score):
            best[key] = run
    failing, passing = len(baseline.failed), len(baseline.passed)
    notes = {}
    for key, run in best.items():
        note = f"a mutant here changed {run.killed} of {failing} failing tests"
        if run.fixed:
            note += f" ({len(run.fixed)} now pass)"
        if passing:
            note += f" and broke {len(run.broken)} of {passing} passing"
        notes[key] = note
    return notes
