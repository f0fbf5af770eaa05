"""Idle operations: the edits that neutralise what they touch."""

from __future__ import annotations

import pytest

from duckfix.agents.degenerate import count, introduced


@pytest.mark.parametrize(
    "line",
    [
        "mid = (low + high) // 1",
        "total = 1 * price",
        "hi = min(bound, n ** 1)",
        "k = k - 0",
        "flags = flags | 0",
        "if word[k] == word[k]:\n    pass",
        "if x < x:\n    pass",
        "ok = ready and True",
        "ok = False or ready",
    ],
)
def test_an_operation_that_does_nothing_is_counted(line: str) -> None:
    assert count(line) == 1


@pytest.mark.parametrize(
    "line",
    [
        "mid = (low + high) // 2",
        "mean = total / 1.0",  # a float result: not idle
        "x = 0 - y",  # negation, not identity
        "if word[i] == word[k]:\n    pass",
        "if 0 <= i < n:\n    pass",
        "ok = ready and done",
        "shift = 1 << k",
        "def broken(:\n",  # does not parse
    ],
)
def test_an_operation_that_does_something_is_not(line: str) -> None:
    assert count(line) == 0


def test_only_the_idle_operations_an_edit_adds_count() -> None:
    before = "def area(w, h):\n    scale = 1 * 1\n    return w * h * scale\n"
    assert introduced({"a.py": before}, {"a.py": before}) == 0
    assert introduced({"a.py": before}, {"a.py": before.replace("w * h", "w * 1")}) == 1
    # Removing an idle operation is no penalty.
    assert introduced({"a.py": before}, {"a.py": before.replace("1 * 1", "2")}) == 0
    # C files and new files are not read.
    assert introduced({"a.c": "x;"}, {"a.c": "y * 1;", "b.py": "z = q * 1\n"}) == 0
