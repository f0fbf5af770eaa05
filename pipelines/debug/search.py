"""How the fixer's search moves between rounds: mutants taken in, pairs made, alternatives first.

- The localizer's mutants are candidates the run has tried: they become
  attempts, a plausible one waits for review, and their keys keep the fixer
  from trying them again (:func:`from_mutants`).
- A candidate that fixes some failing tests and breaks no passing one is half
  of a possible two-site fix: it is paired with the halves found before, and
  the pairs whose halves fix every failing test go to the front of the queue,
  the others wait for the single edits to run out (:func:`pair_up`,
  :mod:`duckfix.agents.pairs`).
- Once a plausible patch is found, the other candidates at its line are tried
  next, so that the comparison that follows (:func:`duckfix.agents.overfit.
  compare_patches`) has its alternatives to weigh (:func:`after_plausible`).
- With ``llm_first``, the model's candidates and its re-ranked suspects come
  first, so the first plausible patch may be one an offline run never reaches
  first, and a wrong one (it passes only the visible tests) would then end a
  run that offline fixes. Before comparing, the run tries the template
  candidates an offline run would have tried before its own first plausible
  patch, in the offline order, so that patch is weighed too
  (:func:`offline_prefix`).
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

__all__ = [
    "after_plausible",
    "alternatives_first",
    "from_mutants",
    "offline_prefix",
    "pair_up",
    "tried_keys",
    "unique",
]

Update = dict[str, Any]
MAX_DEFERRED = 60
"""Pairs kept for when the single edits run out (see :mod:`duckfix.agents.pairs`)."""


def from_mutants(state: DebugState, ctx: DebugContext, runs: Sequence[MutantRun]) -> Update:
    """The state's update for the mutants the localizer ran."""
    from duckfix.pipelines.debug.state import Attempt

    if not runs:
        return {}
    attempts = [Attempt.tried(r.candidate, r.plausible, r.failed, r.seconds, True) for r in runs]
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
    pairs, later = _pairs(partial, [], failing, program, set(tried))
    if pairs:
        update["queue"] = unique([*state.queue, *pairs])
    if later:
        update["deferred"] = unique([*state.deferred, *later])[:MAX_DEFERRED]
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
    done = {c.key for c in [*state.queue[:at], *state.deferred]} | tried_keys(state)
    pairs, later = _pairs(halves, list(state.partial), failing, program, done)
    update: Update = {"partial": [*state.partial, *halves][:MAX_PARTIAL]}
    if later:
        update["deferred"] = unique([*state.deferred, *later])[:MAX_DEFERRED]
    if pairs:
        queue = state.queue
        queued = {c.key for c in pairs}
        rest = [c for c in queue[at:] if c.key not in queued]
        update["queue"] = [*queue[:at], *pairs, *rest]
    return update


def _pairs(
    halves: Sequence[Partial],
    known: Sequence[Partial],
    failing: Sequence[str],
    program: dict[str, str],
    done: set[tuple[str, int, int, str]],
) -> tuple[list[Candidate], list[Candidate]]:
    """Pairs of each half with the ones known and found before it: those that fix every
    failing test between them, and those that fix more than either but not all."""
    now: list[Candidate] = []
    later: list[Candidate] = []
    seen = list(known)
    for half in halves:
        taken = done | {p.key for p in [*now, *later]}
        now += pairs_for(half, seen, failing, program, taken)
        later += pairs_for(half, seen, failing, program, taken, complete=False)
        seen.append(half)
    return now, later


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


def offline_prefix(
    state: DebugState, ctx: DebugContext, order: Sequence[Candidate]
) -> list[Candidate]:
    """The candidates of ``order`` (the templates, in the offline order) that an offline
    run would try before its first plausible patch and this run has not tried yet.

    None when that patch is already found: a plausible mutant, which an offline run
    compares before any template, or the first plausible candidate in ``order``.
    """
    mutants = tried_keys(state)
    found = {v.candidate.key for v in state.pending}
    if found & mutants:
        return []
    done = mutants | {c.key for c in state.queue[: state.next_index]}
    # An offline run's budget counts its mutants first, then the templates in order.
    room = max(0, ctx.max_candidates - sum(a.mutant for a in state.attempts))
    out: list[Candidate] = []
    for candidate in [c for c in order if c.key not in mutants][:room]:
        if candidate.key in found:
            break
        if candidate.key not in done:
            out.append(candidate)
    return out


def tried_keys(state: DebugState) -> set[tuple[str, int, int, str]]:
    """The keys of the candidates run as mutants (a checkpoint keeps them as lists)."""
    return {(str(k[0]), int(k[1]), int(k[2]), str(k[3])) for k in state.tried}


def _program(state: DebugState) -> dict[str, str]:
    return state.program if state.program is not None else state.task.buggy


def unique(queue: list[Candidate]) -> list[Candidate]:
    """``queue`` without its repeated candidates, the first of each kept."""
    seen: set[tuple[str, int, int, str]] = set()
    out = []
    for c in queue:
        if c.key not in seen:
            seen.add(c.key)
            out.append(c)
    return out
