"""The reviewer: patches that special-case tests or delete behaviour are rejected, fixes pass."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from duckfix.agents.reviewer import PatchReview, review_patch
from duckfix.datasets.suites import load_suite
from duckfix.models import Task, TestCase, TestSet

from tests.datasets.test_builtin import OVERFIT

BUILTIN = load_suite("builtin")

PRONIC = """\
def pronic(n):
    return n * (n + 1)
"""

LOWER_BOUND = """\
def lower_bound(a, x):
    \"\"\"First index i with a[i] >= x in a sorted list.\"\"\"
    lo, hi = 0, len(a) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if a[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo
"""

SEARCH = """\
def search(a, x, lo=0, hi=None):
    if hi is None:
        hi = len(a) - 1
    mid = (lo + hi) // 2
    if a[mid] == x:
        return mid
    if a[mid] < x:
        return search(a, x, mid + 1, hi)
    return search(a, x, lo, mid - 1)
"""

SORT = """\
def sort_items(items):
    result = list(items)
    for i in range(1, len(result)):
        key = result[i]
        j = i - 1
        while j > 0 and result[j] > key:
            result[j + 1] = result[j]
            j -= 1
        result[j + 1] = key
    return result
"""

STACK = """\
class Counter:
    def __init__(self):
        self._counts = {}

    def add(self, word):
        self._counts[word] = self._counts.get(word, 0) + 2

    def count(self, word):
        return self._counts.get(word, 0)
"""

STACK_TESTS = """\
from counter import Counter


def test_counts_words():
    c = Counter()
    c.add("apple")
    c.add("apple")
    assert c.count("apple") == 2
    assert c.count("pear") == 0
"""


def case(args: list[Any], expected: Any, number: int) -> TestCase:
    return TestCase(args=args, expected=expected, name=f"visible/cases.jsonl:{number}")


def make_task(entry: str, source: str, cases: list[tuple[list[Any], Any]]) -> Task:
    return Task(
        id=entry,
        entry_point=entry,
        program=f"{entry}.py",
        buggy={f"{entry}.py": source},
        visible=TestSet(cases=[case(a, e, i) for i, (a, e) in enumerate(cases, 1)]),
    )


def review(task: Task, after: str) -> PatchReview:
    return review_patch(task, task.buggy, {task.program: after})


PRONIC_TASK = make_task("pronic", PRONIC, [([3], 6), ([7], 42), ([0], 0), ([5], 20)])
LOWER_BOUND_TASK = make_task(
    "lower_bound",
    LOWER_BOUND,
    [([[1, 3, 5, 7], 4], 2), ([[1, 3, 5, 7], 8], 4), ([[], 3], 0), ([[2, 2, 5], 2], 0)],
)
SEARCH_TASK = make_task(
    "search", SEARCH, [([[1, 3, 5], 3], 1), ([[1, 3, 5], 4], -1), ([[], 9], -1)]
)
SORT_TASK = make_task(
    "sort_items", SORT, [([[3, 1, 2]], [1, 2, 3]), ([[4, 3, 2, 1]], [1, 2, 3, 4])]
)


# ----- special-casing the visible tests -----


def test_rejects_a_memoised_answer() -> None:
    patched = PRONIC.replace("    return", "    if n == 7:\n        return 42\n    return")
    verdict = review(PRONIC_TASK, patched)
    assert verdict.verdict == "reject"
    assert any("line 2" in r and "`n` against 7" in r for r in verdict.reasons), verdict.reasons
    assert any("line 3" in r and "expected output" in r for r in verdict.reasons), verdict.reasons


@pytest.mark.parametrize(
    "condition",
    ["n == 7", "7 == n", "n in (7, 5)", "n != 3 and n == 7", "(n,) == (7,)", "0 < n == 7"],
)
def test_rejects_any_comparison_with_a_visible_input(condition: str) -> None:
    patched = PRONIC.replace("    return", f"    if {condition}:\n        n = n - 2\n    return")
    verdict = review(PRONIC_TASK, patched)
    assert verdict.verdict == "reject", condition
    assert "special-cases `" in verdict.reasons[0]
    assert "an input of the visible test visible/cases.jsonl:" in verdict.reasons[0]


def test_rejects_a_match_on_a_visible_input() -> None:
    patched = PRONIC.replace(
        "    return", "    match n:\n        case 7:\n            return n * 6\n    return"
    )
    assert review(PRONIC_TASK, patched).verdict == "reject"


def test_rejects_an_early_return_of_an_expected_list() -> None:
    patched = SORT.replace(
        "    result = list(items)\n",
        "    result = list(items)\n    if len(result) == 4:\n        return [1, 2, 3, 4]\n",
    )
    verdict = review(SORT_TASK, patched)
    assert verdict.verdict == "reject"
    assert "line 4" in verdict.reasons[0] and "[1, 2, 3, 4]" in verdict.reasons[0]


def test_rejects_a_return_of_an_expression_of_literals() -> None:
    patched = PRONIC.replace("    return", "    if n > 6:\n        return 6 * 7\n    return")
    assert review(PRONIC_TASK, patched).verdict == "reject"


def test_rejects_a_lookup_table_of_expected_values() -> None:
    patched = "_KNOWN = {3: 6, 7: 42}\n\n\n" + PRONIC.replace(
        "    return", "    if n in _KNOWN:\n        return _KNOWN[n]\n    return"
    )
    verdict = review(PRONIC_TASK, patched)
    assert verdict.verdict == "reject"
    assert "table" in verdict.reasons[0] and "2 of 4 cases" in verdict.reasons[0]


def test_rejects_special_casing_a_pytest_literal() -> None:
    task = Task(
        id="counter",
        entry_point="Counter",
        program="counter.py",
        buggy={"counter.py": STACK},
        visible=TestSet(pytest_files={"tests/visible/test_counter.py": STACK_TESTS}),
    )
    patched = STACK.replace(
        "    def count(self, word):\n",
        '    def count(self, word):\n        if word == "apple":\n            return 2\n',
    )
    verdict = review_patch(task, task.buggy, {"counter.py": patched})
    assert verdict.verdict == "reject"
    assert "test_counter.py" in verdict.reasons[0]
    fixed = STACK.replace("+ 2", "+ 1")
    assert review_patch(task, task.buggy, {"counter.py": fixed}).verdict == "accept"


# ----- deleting the behaviour under test -----


@pytest.mark.parametrize(
    "body",
    ["    return 0\n", "    pass\n", '    """Gone."""\n    raise NotImplementedError\n'],
)
def test_rejects_a_gutted_entry_point(body: str) -> None:
    gutted = LOWER_BOUND.split('    """')[0] + body
    verdict = review(LOWER_BOUND_TASK, gutted)
    assert verdict.verdict == "reject"
    assert "behaviour under test is gone" in verdict.reasons[-1]


def test_rejects_removing_most_of_the_entry_point() -> None:
    lines = LOWER_BOUND.splitlines(keepends=True)
    shrunk = "".join(lines[:3]) + "    return min(lo, hi)\n"
    verdict = review(LOWER_BOUND_TASK, shrunk)
    assert verdict.verdict == "reject"
    assert "removes" in verdict.reasons[-1] and "statements of `lower_bound`" in verdict.reasons[-1]


def test_rejects_a_deleted_or_rebound_entry_point() -> None:
    renamed = LOWER_BOUND.replace("def lower_bound", "def lower_bound_v2")
    assert "no longer defined" in review(LOWER_BOUND_TASK, renamed).reasons[-1]
    rebound = LOWER_BOUND + "\n\nlower_bound = max\n"
    assert review(LOWER_BOUND_TASK, rebound).verdict == "reject"
    assert review_patch(LOWER_BOUND_TASK, LOWER_BOUND_TASK.buggy, {}).verdict == "reject"


def test_rejects_a_wrapper_that_redefines_the_entry_point() -> None:
    wrapper = LOWER_BOUND + (
        "\n\n_original = lower_bound\n\n\n"
        "def lower_bound(a, x):\n    return min(_original(a, x), len(a))\n"
    )
    verdict = review(LOWER_BOUND_TASK, wrapper)
    assert verdict.verdict == "reject"
    assert "defined again after line 1" in verdict.reasons[0]


# ----- genuine fixes -----


@pytest.mark.parametrize(
    ("task", "after"),
    [
        pytest.param(PRONIC_TASK, PRONIC.replace("n + 1", "n - 1"), id="operator"),
        pytest.param(
            LOWER_BOUND_TASK, LOWER_BOUND.replace("len(a) - 1", "len(a)"), id="off-by-one"
        ),
        pytest.param(SORT_TASK, SORT.replace("j > 0", "j >= 0"), id="comparison"),
        pytest.param(
            SEARCH_TASK,
            SEARCH.replace("    mid =", "    if lo > hi:\n        return -1\n    mid ="),
            id="guard-returning-minus-one",
        ),
        pytest.param(
            SORT_TASK,
            SORT.replace("    result =", "    if not items:\n        return []\n    result ="),
            id="guard-returning-empty-list",
        ),
        pytest.param(
            PRONIC_TASK,
            PRONIC.replace("    return", "    for _ in range(3):\n        pass\n    return"),
            id="new-loop-over-a-test-value-not-compared",
        ),
    ],
)
def test_accepts_genuine_fixes(task: Task, after: str) -> None:
    verdict = review(task, after)
    assert verdict == PatchReview(verdict="accept", reasons=[])


def test_accepts_comparing_a_loop_variable_with_a_test_value() -> None:
    """`ch == "("` is how bracket checkers work, even when a test's input is "("."""
    source = (
        "def depth(text):\n"
        "    level = best = 0\n"
        "    for ch in text:\n"
        "        level += 1\n"
        "        best = max(best, level)\n"
        "    return best\n"
    )
    task = make_task("depth", source, [(["("], 1), (["(())"], 2), (["()()"], 1)])
    fixed = source.replace("        level += 1\n", '        level += 1 if ch == "(" else -1\n')
    assert review(task, fixed).verdict == "accept"


def test_accepts_a_value_the_program_already_used() -> None:
    """A table entry corrected in place keeps its key, even if a test asks for exactly it."""
    source = 'NUMERALS = [(400, "DC"), (100, "C"), (1, "I")]\n\n\ndef roman(n):\n    return n\n'
    task = make_task("roman", source, [([400], "CD"), ([3], "III")])
    assert review(task, source.replace('"DC"', '"CD"')).verdict == "accept"


def test_accepts_a_missing_branch_returning_another_label() -> None:
    """A function that returns labels may gain one, even if a visible test expects it."""
    source = (
        "def fizzbuzz(n):\n"
        "    if n % 3 == 0:\n"
        '        return "Fizz"\n'
        "    if n % 5 == 0:\n"
        '        return "Buzz"\n'
        "    return str(n)\n"
    )
    task = make_task("fizzbuzz", source, [([15], "FizzBuzz"), ([3], "Fizz"), ([7], "7")])
    branch = '    if n % 15 == 0:\n        return "FizzBuzz"\n    if n % 3 == 0:\n'
    assert review(task, source.replace("    if n % 3 == 0:\n", branch)).verdict == "accept"
    memo = branch.replace("n % 15 == 0", "n == 15")
    assert review(task, source.replace("    if n % 3 == 0:\n", memo)).verdict == "reject"


def test_other_languages_are_not_examined() -> None:
    task = LOWER_BOUND_TASK.model_copy(update={"language": "c"})
    assert review(task, "int main(void) { return 42; }").verdict == "accept"


def test_a_patch_that_does_not_parse_is_rejected() -> None:
    verdict = review(PRONIC_TASK, "def pronic(n:\n")
    assert verdict.verdict == "reject" and "no longer parses" in verdict.reasons[0]


# ----- the built-in suite -----


def test_every_builtin_reference_fix_is_accepted() -> None:
    """A false rejection of a real fix is the worst error the reviewer can make."""
    started = time.monotonic()
    rejected = {}
    for task in BUILTIN:
        assert task.fixed is not None
        verdict = review_patch(task, task.buggy, task.fixed)
        if verdict.verdict != "accept":
            rejected[task.id] = verdict.reasons
    assert not rejected
    assert time.monotonic() - started < 5, "the check runs for every plausible candidate"


@pytest.mark.parametrize("task", [t for t in BUILTIN if t.visible.cases], ids=lambda t: t.id)
def test_the_builtin_memoising_wrapper_is_rejected(task: Task) -> None:
    seen = json.dumps([[c.args, c.expected] for c in task.visible.cases])
    source = "import json\n" + task.buggy[task.program]
    source += OVERFIT.format(entry=task.entry_point, seen=seen)
    verdict = review_patch(task, task.buggy, {**task.buggy, task.program: source})
    assert verdict.verdict == "reject"
    # Both the table of answers and the second definition are reasons of their own.
    assert any("table of the visible tests' inputs" in r for r in verdict.reasons)
    assert any("defined again" in r for r in verdict.reasons)


# ----- large programs -----

FILLER = "".join(
    f"def helper_{i}(xs):\n    total = {i}\n    for x in xs:\n        total += x\n"
    f"    return total\n\n\n"
    for i in range(3000)
)
BIG_TASK = LOWER_BOUND_TASK.model_copy(
    update={"buggy": {"lower_bound.py": FILLER + LOWER_BOUND + FILLER}}
)


def big_review(after: str) -> PatchReview:
    return review(BIG_TASK, FILLER + after + FILLER)


def test_a_large_program_is_reviewed_around_the_patch_alike() -> None:
    # Only the code around the patch and the entry point's definitions is read,
    # so a review of a large program costs what one of a small program does.
    fixed = LOWER_BOUND.replace("len(a) - 1", "len(a)")
    started = time.monotonic()
    assert big_review(fixed).verdict == "accept"
    assert time.monotonic() - started < 5
    memorised = LOWER_BOUND.replace("    lo, hi", "    if x == 8:\n        return 4\n    lo, hi")
    assert big_review(memorised).verdict == "reject"
    wrapper = LOWER_BOUND + "\n\ndef lower_bound(a, x):\n    return 0\n"
    assert "defined again" in big_review(wrapper).reasons[0]
