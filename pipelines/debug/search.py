"""How the fixer's search moves between rounds: mutants taken in, pairs made, alternatives first.

- The localizer's mutants are candidates the run has tried: they become
  attempts, a plausible one waits for review, and their keys keep the fixer
  from trying them again (:func:`from_mutants`).
- A candidate that fixes some failing tests and breaks no passing one is half
  of a possible two-site fix: it is paired with the halves found before, and
  the pairs go to the front of the queue (:func:`pair_up`,
  :mod:`duckfix.agents.pairs`).
- Once a plausible patch is found, the other candidates at its line are tried
  next, so that the comparison that follows (:func:`duckfix.agents.overfit.
  compare_patches`) has its alternatives to weigh (:func:`after_plausible`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from duckfix.agents.fixer import Validation, choose
from duckfix.agents.mbfl import MutantRun
from duckfix.agents.pairs import MAX_PARTIAL, PAIR, Partial, pairs_for
from duckfix.agents.templates import Candidate
from duckfix.pipelines.debug.context import DebugContext

if TYPE_CHECKING:
    from duckfix.pipelines.debug.state import DebugState

__all__ = ["after_plausible", "alternatives_first", "from_mutants", "pair_up", "tried_keys"]

Update = dict[str, Any]


def from_mutants(state: DebugState, ctx: DebugContext, runs: Sequence[MutantRun]) -> Update:
    """The state's update for the mutants the localizer ran."""
    from duckfix.pipelines.debug.state import Attempt

    if not runs:
        return {}
    attempts = [
        Attempt(
            template=r.candidate.template,
            description=r.candidate.description,
            path=r.candidate.path,
            line=r.candidate.line,
            outcome="plausible" if r.plausible else "failed",
            reason=r.failed,
            seconds=r.seconds,
            mutant=True,
        )
        for r in runs
    ]
    found = choose(
        [
            Validation(
                candidate=r.candidate,
                plausible=True,
                outcome=r.outcome,
                fixed=r.fixed,
                broken=[],
                runs=1,
                seconds=r.seconds,
            )
            for r in runs
            if r.plausible
        ]
    )
    partial = [
        Partial(candidate=r.candidate, fixed=r.fixed)
        for r in runs
        if r.compiled and not r.plausible and r.fixed and not r.broken
    ][:MAX_PARTIAL]
    tried = [r.candidate.key for r in runs]
    update: Update = {
        "attempts": attempts,
        "validations": state.validations + len(runs),
        "tried": [*state.tried, *tried],
        "partial": partial,
    }
    failing = [o.name for o in state.baseline.failed] if state.baseline else []
    program = _program(state)
    done = set(tried)
    pairs: list[Candidate] = []
    for i, half in enumerate(partial):
        pairs += pairs_for(half, partial[:i], failing, program, done | {p.key for p in pairs})
    if pairs:
        update["queue"] = _unique([*state.queue, *pairs])
    if found:
        update["pending"] = found
        update["window"] = ctx.window
    return update


def pair_up(state: DebugState, results: Sequence[Validation], at: int) -> Update:
    """Pairs of this round's partial fixes with the earlier ones, queued at ``at``."""
    halves = [
        Partial(candidate=v.candidate, fixed=v.fixed)
        for v in results
        if v.partial and v.candidate.template != PAIR
    ]
    if not halves:
        return {}
    failing = [o.name for o in state.baseline.failed] if state.baseline else []
    program = _program(state)
    known = list(state.partial)
    done = {c.key for c in state.queue[:at]} | tried_keys(state)
    pairs: list[Candidate] = []
    for half in halves:
        pairs += pairs_for(half, known, failing, program, done | {p.key for p in pairs})
        known.append(half)
    update: Update = {"partial": known[:MAX_PARTIAL]}
    if pairs:
        queue = state.queue
        queued = {c.key for c in pairs}
        rest = [c for c in queue[at:] if c.key not in queued]
        update["queue"] = [*queue[:at], *pairs, *rest]
    return update


def after_plausible(
    state: DebugState, ctx: DebugContext, found: Sequence[Validation], update: Update
) -> Update:
    """The queue with the untried candidates at the plausible patches' lines first.

    ``update`` may already hold a new queue (pairs); the window counts the moved
    candidates, at most ``ctx.window``.
    """
    queue: list[Candidate] = update.get("queue", state.queue)
    queue, moved = alternatives_first(queue, state.next_index, found, ctx.window)
    return update | {"queue": queue, "window": moved}


def alternatives_first(
    queue: list[Candidate], at: int, found: Sequence[Validation], limit: int
) -> tuple[list[Candidate], int]:
    """``queue`` with up to ``limit`` untried candidates (from ``at`` on) at the lines of the
    ``found`` patches moved to ``at``, and how many were moved."""
    lines = {(v.candidate.path, v.candidate.line) for v in found}
    near = [c for c in queue[at:] if (c.path, c.line) in lines][:limit]
    chosen = {c.key for c in near}
    rest = [c for c in queue[at:] if c.key not in chosen]
    return [*queue[:at], *near, *rest], len(near)


def tried_keys(state: DebugState) -> set[tuple[str, int, int, str]]:
    """The keys of the candidates run as mutants (a checkpoint keeps them as lists)."""
    return {(str(k[0]), int(k[1]), int(k[2]), str(k[3])) for k in state.tried}


def _program(state: DebugState) -> dict[str, str]:
    return state.program if state.program is not None else state.task.buggy


def _unique(queue: list[Candidate]) -> list[Candidate]:
    seen: set[tuple[str, int, int, str]] = set()
    out = []
    for c in queue:
        if c.key not in seen:
            seen.add(c.key)
            out.append(c)
    return out
