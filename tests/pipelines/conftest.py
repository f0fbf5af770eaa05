"""Small tasks shared by the pipeline tests."""

from __future__ import annotations

from duckfix.models import Task, TestCase, TestSet

LARGEST = '''\
def largest(xs):
    """The largest item of a non-empty list."""
    best = xs[0]
    for x in xs[1:]:
        if x < best:
            best = x
    return best
'''


def largest_task() -> Task:
    """A one-character bug (`<` for `>`) with visible and hidden cases."""
    visible = [([3, 1, 2], 3), ([1, 5], 5), ([7], 7), ([2, 2], 2)]
    hidden = [([4, 9, 1], 9), ([-3, -1], -1), ([0, 0, 6, 2], 6), ([10, 3, 8], 10), ([5], 5)]
    return Task(
        id="largest",
        entry_point="largest",
        program="largest.py",
        category="wrong-comparison",
        buggy={"largest.py": LARGEST},
        fixed={"largest.py": LARGEST.replace("x < best", "x > best")},
        visible=TestSet(cases=[TestCase(args=[a], expected=e) for a, e in visible]),
        hidden=TestSet(cases=[TestCase(args=[a], expected=e) for a, e in hidden]),
    )


VOWELS = '''\
def count_vowels(s):
    """How many vowels s has, in either case."""
    n = 0
    for ch in s:
        if ch in "aeiou":
            n += 1
    return n
'''

VOWELS_FIXED_FUNCTION = '''\
def count_vowels(s):
    """How many vowels s has, in either case."""
    s = s.lower()
    n = 0
    for ch in s:
        if ch in "aeiou":
            n += 1
    return n
'''


def vowels_task() -> Task:
    """A missing statement (`s = s.lower()`): new code no patch template can write."""
    visible = [("Apple", 2), ("abc", 1), ("XYZ", 0), ("EIEIO", 5), ("", 0)]
    hidden = [("Banana", 3), ("OUT", 2), ("rhythm", 0), ("AeIoU", 5)]
    return Task(
        id="vowels",
        entry_point="count_vowels",
        program="vowels.py",
        category="missing-statement",
        buggy={"vowels.py": VOWELS},
        fixed={"vowels.py": VOWELS_FIXED_FUNCTION},
        visible=TestSet(cases=[TestCase(args=[a], expected=e) for a, e in visible]),
        hidden=TestSet(cases=[TestCase(args=[a], expected=e) for a, e in hidden]),
    )
