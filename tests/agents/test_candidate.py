"""A candidate is the smallest span its edit replaces, never a copy of the whole file."""

from __future__ import annotations

import random

from duckfix.agents.templates.candidate import Candidate, changed_span, edit_span


def smallest(original: str, new: str) -> tuple[int, int, str]:
    """The span by brute force: the longest common prefix, then suffix."""
    p = 0
    while p < min(len(original), len(new)) and original[p] == new[p]:
        p += 1
    s = 0
    while s < min(len(original), len(new)) - p and original[-1 - s] == new[-1 - s]:
        s += 1
    return p, len(original) - s, new[p : len(new) - s]


def test_the_span_is_the_smallest_whatever_edit_made_the_text() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        original = "".join(rng.choice("ab\n") for _ in range(rng.randint(0, 200)))
        low = rng.randint(0, len(original))
        high = rng.randint(low, len(original))
        middle = "".join(rng.choice("ab\n") for _ in range(rng.randint(0, 6)))
        new = original[:low] + middle + original[high:]
        assert edit_span(original, low, high, middle) == smallest(original, new)
        assert changed_span(original, new) == smallest(original, new)


def test_deleting_either_of_two_equal_lines_is_the_same_candidate() -> None:
    original = "a = 1\nx += 1\nx += 1\nreturn x\n"
    first = edit_span(original, 6, 13, "")
    second = edit_span(original, 13, 20, "")
    assert first == second


def test_a_candidate_applies_to_its_file_and_is_identified_by_its_edit() -> None:
    original = "def f(a, b):\n    return a < b\n"
    new = original.replace("<", "<=")
    made = Candidate.between(
        original, new, path="f.py", line=2, template="compare-op",
        description="replace `<` with `<=`", prior=0.9, score=0.9, size=1,
    )  # fmt: skip
    assert made.apply(original) == new
    assert (made.start, made.end, made.replacement) == (27, 27, "=")
    assert made.key == ("f.py", 27, 27, "=")


def test_long_equal_runs_are_matched_quickly() -> None:
    original = "x = 1\n" * 500_000
    low = len(original) // 2
    # Deleting one line of a million equal ones: the span slides to the end.
    assert edit_span(original, low, low + 6, "") == (len(original) - 6, len(original), "")
