"""Small tasks whose bug no one-token edit fixes: a missing statement, or two wrong lines."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from duckfix.datasets.folder import load_task
from duckfix.models import Task, TestCase, TestSet


def python_task(
    id: str,
    entry: str,
    fixed: str,
    buggy: str,
    visible: Sequence[Sequence[Any]],
    hidden: Sequence[Sequence[Any]],
    category: str = "missing-statement",
) -> Task:
    """A task whose cases' expected values are what the reference fix returns."""
    assert buggy != fixed
    namespace: dict[str, Any] = {}
    exec(fixed, namespace)  # our own reference code, to compute the expected values
    reference = namespace[entry]

    def cases(inputs: Sequence[Sequence[Any]]) -> TestSet:
        return TestSet(
            cases=[
                TestCase(args=list(a), expected=reference(*a), name=f"case {i + 1}")
                for i, a in enumerate(inputs)
            ]
        )

    return Task(
        id=id, entry_point=entry, program=f"{id}.py", category=category,
        buggy={f"{id}.py": buggy}, fixed={f"{id}.py": fixed},
        visible=cases(visible), hidden=cases(hidden),
    )  # fmt: skip


GUARD = '''\
def mean(xs):
    """The mean of xs, 0 for an empty list."""
    if not xs:
        return 0
    return sum(xs) / len(xs)


def spread(xs):
    """The largest distance of an item of xs from their mean, 0 for an empty list."""
    if not xs:
        return 0
    centre = mean(xs)
    return max(abs(x - centre) for x in xs)
'''
RETURN = '''\
def find(xs, target):
    """The index of target in xs, -1 when absent."""
    for i, x in enumerate(xs):
        if x == target:
            return i
    return -1
'''
INCREMENT = '''\
def count_runs(xs):
    """How many runs of equal neighbours xs has."""
    runs = 0
    i = 0
    while i < len(xs):
        runs += 1
        j = i
        while j < len(xs) and xs[j] == xs[i]:
            j += 1
        i = j
    return runs
'''
RESET = '''\
def row_sums(rows):
    """The sum of each row of a table."""
    sums = []
    total = 0
    for row in rows:
        total = 0
        for x in row:
            total += x
        sums.append(total)
    return sums
'''
BREAK = '''\
def first_negative(xs):
    """The first negative number in xs, or None."""
    found = None
    for x in xs:
        if x < 0:
            found = x
            break
    return found
'''

MISSING = {
    "guard": python_task(
        "spread", "spread", GUARD,
        GUARD.replace("    if not xs:\n        return 0\n    centre", "    centre"),
        [([1, 3],), ([],), ([5],), ([0, 4, 8],)], [([],), ([2, 2],), ([1, 9],)],
    ),
    "return": python_task(
        "find", "find", RETURN, RETURN.replace("    return -1\n", ""),
        [([1, 2, 3], 2), ([4, 5], 9), ([], 1), ([7], 7)], [([1, 2], 3), ([3, 3], 3), ([], 0)],
    ),
    "increment": python_task(
        "runs", "count_runs", INCREMENT, INCREMENT.replace("        runs += 1\n", ""),
        [([1, 1, 2],), ([],), ([3],), ([1, 2, 1],)], [([5, 5, 5],), ([1, 2, 2, 3],), ([0],)],
    ),
    "reset": python_task(
        "rows", "row_sums", RESET, RESET.replace("        total = 0\n", "", 1),
        [([[1, 2], [3]],), ([],), ([[5]],), ([[1], [1, 1]],)],
        [([[2, 2], [2]],), ([[0], [4, 4], [1]],)],
    ),
    "break": python_task(
        "negative", "first_negative", BREAK, BREAK.replace("            break\n", ""),
        [([1, -2, -3],), ([1, 2],), ([-5, -1],), ([],)], [([-1, -2],), ([0, -7, -8],), ([4],)],
    ),
}  # fmt: skip

CLAMP = '''\
def clamp_all(xs, low, high):
    """Each item of xs moved into [low, high]."""
    out = []
    for x in xs:
        if x < low:
            out.append(low)
        elif x > high:
            out.append(high)
        else:
            out.append(x)
    return out
'''
# Both branches append the other bound: each edit alone fixes the cases with
# items on its side only, and the case with items on both sides needs both.
CLAMP_BUGGY = (
    CLAMP.replace("append(low)", "append(HIGH)")
    .replace("append(high)", "append(low)")
    .replace("HIGH", "high")
)


def two_site_task() -> Task:
    return python_task(
        "clamp", "clamp_all", CLAMP, CLAMP_BUGGY,
        [([1, 5, 9], 2, 8), ([0, 3], 1, 5), ([7, 9], 0, 8), ([2, 3], 0, 9)],
        [([-1, 10], 0, 5), ([4], 4, 4), ([1, 2, 3], 2, 2)],
        category="two-site",
    )  # fmt: skip


C_HEADER = """\
void row_sums(const int *m, int rows, int cols, int *out);
int first_over(const int *xs, int n, int limit);
"""
C_FIXED = """\
#include "tab.h"

void row_sums(const int *m, int rows, int cols, int *out) {
    int acc = 0;
    for (int r = 0; r < rows; r++) {
        acc = 0;
        for (int c = 0; c < cols; c++) {
            acc += m[r * cols + c];
        }
        out[r] = acc;
    }
}

int first_over(const int *xs, int n, int limit) {
    int found = -1;
    for (int i = 0; i < n; i++) {
        if (xs[i] > limit) {
            found = i;
            break;
        }
    }
    return found;
}
"""
C_MISSING_RESET = C_FIXED.replace("        acc = 0;\n", "", 1)
C_TWO_SITES = C_FIXED.replace("out[r] = acc;", "out[r] = acc + 1;").replace(
    "found = i;", "found = i + 1;"
)
C_BENCH = """\
#include "duckfix_tb.h"
#include "tab.h"

DUCKFIX_CASE(one_row) {
    int m[3] = {1, 2, 3}, out[1];
    int want[1] = {6};
    row_sums(m, 1, 3, out);
    DUCKFIX_CHECK_ARRAY_EQ(out, want, 1);
}

DUCKFIX_CASE(two_rows) {
    int m[4] = {1, 2, 3, 4}, out[2];
    int want[2] = {3, 7};
    row_sums(m, 2, 2, out);
    DUCKFIX_CHECK_ARRAY_EQ(out, want, 2);
}

DUCKFIX_CASE(three_rows) {
    int m[3] = {5, 0, 2}, out[3];
    int want[3] = {5, 0, 2};
    row_sums(m, 3, 1, out);
    DUCKFIX_CHECK_ARRAY_EQ(out, want, 3);
}

DUCKFIX_CASE(over_in_the_middle) {
    int xs[4] = {1, 9, 2, 8};
    DUCKFIX_CHECK(first_over(xs, 4, 5) == 1);
}

DUCKFIX_CASE(none_over) {
    int xs[2] = {1, 2};
    DUCKFIX_CHECK(first_over(xs, 2, 5) == -1);
}

DUCKFIX_CASE(over_at_the_start) {
    int xs[3] = {7, 9, 1};
    DUCKFIX_CHECK(first_over(xs, 3, 5) == 0);
}

DUCKFIX_MAIN
"""


def c_task(root: Path, buggy: str) -> Task:
    """A C task folder as a user writes one: kernel, header, reference, bench."""
    files = {
        "task.toml": 'id = "tab"\nlanguage = "c"\nentry_point = "row_sums"\nprogram = "tab.c"\n',
        "buggy/tab.c": buggy, "buggy/tab.h": C_HEADER,
        "fixed/tab.c": C_FIXED, "fixed/tab.h": C_HEADER,
        "tests/visible/tb.c": C_BENCH, "tests/hidden/tb.c": C_BENCH,
    }  # fmt: skip
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return load_task(root)
