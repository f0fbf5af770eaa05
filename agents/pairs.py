"""Two-site fixes: pairs of single edits that each fixed part of the failing tests.

Some bugs need two edits (a swapped pair of arguments on two lines, a
statement missing in two places), and no single edit passes the visible tests.
But each half often fixes some failing tests without breaking a passing one:
such a *partial fix* is remembered, and as soon as two partial fixes at
different places together fix every failing test (and more than either
alone), the edit that makes both is the next candidate to try.

Two halves that together fix more than either, but leave a failing test
unfixed, may still be the fix (a test that needs both edits fails with either
alone), but far less often: on a program where many edits fix one test by
chance (a ``return`` that happens to give the expected value) queuing them
first spent 222 of 400 candidates on pairs and the one-line fix was never
reached. Such pairs wait until the single edits run out (``complete=False``).
A pair is never itself a half: three-site fixes are out of reach, by choice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import BaseModel, Field

from duckfix.agents.templates import Candidate

__all__ = ["MAX_PARTIAL", "PAIR", "Partial", "combine", "pairs_for"]

MAX_PARTIAL = 30
"""Partial fixes kept for pairing; the earliest found (the best ranked) are kept."""
PAIR = "pair"
"""The template name of a candidate that makes two edits."""


class Partial(BaseModel):
    """A candidate that made some failing tests pass and no passing test fail."""

    candidate: Candidate
    fixed: list[str] = Field(default_factory=list)
    """The originally failing tests it fixed."""


def combine(original: str, a: Candidate, b: Candidate) -> Candidate | None:
    """The candidate that makes both edits of one file, or None if they touch one place."""
    if a.path != b.path:
        return None
    first, second = (a, b) if a.start <= b.start else (b, a)
    if first.end > second.start or (first.end == second.start == first.start):
        return None  # overlapping edits, or two insertions at one point
    text = (
        original[: first.start]
        + first.replacement
        + original[first.end : second.start]
        + second.replacement
        + original[second.end :]
    )
    return Candidate.between(
        original,
        text,
        path=a.path,
        line=first.line,
        template=PAIR,
        description=f"{first.description}; and {second.description}",
        prior=min(a.prior, b.prior),
        score=a.score * b.score,
        size=a.size + b.size,
    )


def pairs_for(
    new: Partial,
    known: Iterable[Partial],
    failing: Sequence[str],
    program: dict[str, str],
    tried: set[tuple[str, int, int, str]],
    *,
    complete: bool = True,
) -> list[Candidate]:
    """Pairs of ``new`` with each ``known`` partial fix that together fix every failing test
    (with ``complete=False``: more failing tests than either, but not all).

    In the order the ``known`` halves were found (the better ranked first); a
    pair whose edit was tried already is left out, and so is any half that is
    itself a pair.
    """
    out: list[Candidate] = []
    mine = set(new.fixed)
    if new.candidate.template == PAIR:
        return out
    for other in known:
        theirs = set(other.fixed)
        both = mine | theirs
        if other.candidate.template == PAIR or both in (mine, theirs):
            continue  # one half adds nothing the other does not
        if (set(failing) <= both) != complete:
            continue
        pair = combine(program.get(new.candidate.path, ""), new.candidate, other.candidate)
        if pair is not None and pair.key not in tried:
            out.append(pair)
    return out
