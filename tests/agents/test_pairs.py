"""Two-site fixes: pairs of partial fixes."""

from __future__ import annotations

from duckfix.agents.pairs import Partial, combine, pairs_for
from duckfix.agents.templates import Candidate

SOURCE = "a = 1\nb = 2\nc = 3\n"


def edit(old: str, new: str, line: int) -> Candidate:
    return Candidate.between(
        SOURCE, SOURCE.replace(old, new), path="p.py", line=line, template="off-by-one",
        description=f"{old} -> {new}", prior=0.85, score=0.8, size=1,
    )  # fmt: skip


def test_two_edits_at_different_places_make_one_candidate_with_both() -> None:
    pair = combine(SOURCE, edit("b = 2", "b = 3", 2), edit("a = 1", "a = 0", 1))
    assert pair is not None and pair.template == "pair"
    assert pair.apply(SOURCE) == "a = 0\nb = 3\nc = 3\n"
    assert pair.description == "a = 1 -> a = 0; and b = 2 -> b = 3"
    assert combine(SOURCE, edit("b = 2", "b = 3", 2), edit("b = 2", "b = 1", 2)) is None


def test_only_halves_that_fix_every_failing_test_between_them_are_paired() -> None:
    first = Partial(candidate=edit("a = 1", "a = 0", 1), fixed=["t1"])
    second = Partial(candidate=edit("b = 2", "b = 3", 2), fixed=["t2"])
    third = Partial(candidate=edit("c = 3", "c = 4", 3), fixed=["t1"])
    program = {"p.py": SOURCE}
    pair, later = pairs_for(second, [first, third], ["t1", "t2"], program, set())
    assert pair.apply(SOURCE) == "a = 0\nb = 3\nc = 3\n"  # the half found first, first
    assert later.apply(SOURCE) == "a = 1\nb = 3\nc = 4\n"
    # Two halves fixing the same test add nothing to each other...
    assert pairs_for(third, [first], ["t1", "t2"], program, set()) == []
    # ...a third failing test neither fixes rules the pair out...
    assert pairs_for(second, [first], ["t1", "t2", "t3"], program, set()) == []
    # ...and a pair already tried, or made of a pair, is not made again.
    assert pairs_for(second, [first], ["t1", "t2"], program, {pair.key}) == []
    as_half = Partial(candidate=pair, fixed=["t1", "t2"])
    assert pairs_for(as_half, [third], ["t1", "t2", "t3"], program, set()) == []
