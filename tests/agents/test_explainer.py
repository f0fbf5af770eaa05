"""The explainer: a plain account of the bug and the fix, from the diff and the test outcomes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from duckfix.agents.explainer import KeyVariableLike, explain, parse_diff
from duckfix.datasets.suites import load_suite
from duckfix.models import Patch, Task, TestCase, TestOutcome, TestSet

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
FIXED = LOWER_BOUND.replace("len(a) - 1", "len(a)")
CASE = TestCase(args=[[1, 3, 5, 7], 8], expected=4, name="visible/cases.jsonl:2")
TASK = Task(
    id="lower_bound",
    entry_point="lower_bound",
    program="lower_bound.py",
    buggy={"lower_bound.py": LOWER_BOUND},
    fixed={"lower_bound.py": FIXED},
    visible=TestSet(
        cases=[TestCase(args=[[1, 3, 5, 7], 4], expected=2, name="visible/cases.jsonl:1"), CASE]
    ),
)
FAILING = TestOutcome(
    name=CASE.name, status="failed", expected=4, actual=3, message="expected 4, got 3"
)
AFTER = TestOutcome(name=CASE.name, status="passed", expected=4, actual=4)


@dataclass
class KeyVariable:
    path: str
    line: int
    name: str
    failing: str | None
    passing: str | None


def patch_of(before: str, after: str, path: str = "lower_bound.py") -> Patch:
    return Patch.from_sources({path: before}, {path: after})


def test_an_off_by_one_fix_names_the_line_both_versions_and_the_values() -> None:
    variables = [
        KeyVariable("lower_bound.py", 9, "mid", "2", "1"),
        KeyVariable("lower_bound.py", 3, "lo", "0", "0"),  # the same in both runs: no evidence
        KeyVariable("lower_bound.py", 3, "hi", "3", "4"),
        KeyVariable("lower_bound.py", 10, "lo", None, "4"),
    ]
    explanation = explain(TASK, patch_of(LOWER_BOUND, FIXED), FAILING, AFTER, variables)
    assert explanation.summary == (
        "`lower_bound` returned 3 instead of 4 for lower_bound([1, 3, 5, 7], 8): "
        "line 3 (`lo, hi = 0, len(a) - 1`) was off by one (the fix drops `- 1`)."
    )
    assert explanation.root_cause == (
        "Off by one at line 3 of lower_bound.py: it read `lo, hi = 0, len(a) - 1`; "
        "the fix makes it `lo, hi = 0, len(a)` (`- 1` dropped)."
    )
    assert explanation.why_fix_works == (
        "With line 3 as `lo, hi = 0, len(a)`, lower_bound([1, 3, 5, 7], 8) now gives the "
        "expected result and returns 4; `visible/cases.jsonl:2` passes."
    )
    assert explanation.evidence == [
        "failing test: visible/cases.jsonl:2 (failed)",
        "input: lower_bound([1, 3, 5, 7], 8)",
        "expected 4, got 3",
        "after the fix: visible/cases.jsonl:2 passed, returned 4",
        "lower_bound.py:3: `lo, hi = 0, len(a) - 1` -> `lo, hi = 0, len(a)`",
        "`hi` at lower_bound.py:3: 3 in the failing run, 4 in a passing run",
        "`mid` at lower_bound.py:9: 2 in the failing run, 1 in a passing run",
        "`lo` at lower_bound.py:10: not reached in the failing run, 4 in a passing run",
    ]


def test_the_localizers_key_variables_fit() -> None:
    localizer = pytest.importorskip("duckfix.agents.localizer")
    found: KeyVariableLike = localizer.KeyVariable(
        path="lower_bound.py", line=3, name="hi", failing="3", passing="4"
    )
    explanation = explain(TASK, patch_of(LOWER_BOUND, FIXED), FAILING, AFTER, [found])
    assert explanation.evidence[-1] == (
        "`hi` at lower_bound.py:3: 3 in the failing run, 4 in a passing run"
    )


def test_without_a_failing_outcome_it_says_only_what_the_diff_shows() -> None:
    explanation = explain(TASK, patch_of(LOWER_BOUND, FIXED), None, None)
    assert explanation.summary == (
        "In lower_bound.py, line 3 (`lo, hi = 0, len(a) - 1`) was off by one (the fix drops `- 1`)."
    )
    assert "returned" not in explanation.summary
    assert explanation.why_fix_works == ""
    assert explanation.evidence == [
        "lower_bound.py:3: `lo, hi = 0, len(a) - 1` -> `lo, hi = 0, len(a)`"
    ]


def test_a_missing_or_failing_after_run_is_said_plainly() -> None:
    patch = patch_of(LOWER_BOUND, FIXED)
    not_rerun = explain(TASK, patch, FAILING, None)
    assert "not run again" in not_rerun.why_fix_works
    still = AFTER.model_copy(
        update={"status": "failed", "actual": 5, "message": "expected 4, got 5"}
    )
    explanation = explain(TASK, patch, FAILING, still)
    assert explanation.why_fix_works.startswith("After the fix `visible/cases.jsonl:2` still")
    assert "expected 4, got 5" in explanation.why_fix_works
    assert "after the fix: visible/cases.jsonl:2 failed: expected 4, got 5" in explanation.evidence


def test_a_multi_hunk_diff_lists_each_change_without_inventing_a_story() -> None:
    after = FIXED.replace("lo = mid + 1", "lo = mid + 2")
    explanation = explain(TASK, patch_of(LOWER_BOUND, after), FAILING, AFTER)
    assert explanation.summary == (
        "`lower_bound` returned 3 instead of 4 for lower_bound([1, 3, 5, 7], 8): the fix "
        "changes 2 places in lower_bound.py (line 3: off by one; line 7: constant off by one)."
    )
    assert "at line 3 of lower_bound.py" in explanation.root_cause
    assert "at line 7 of lower_bound.py" in explanation.root_cause
    assert explanation.why_fix_works.startswith("With these 2 changes, ")


@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        ("error", "IndexError: list index out of range", "raised `IndexError: list index"),
        ("timeout", "no result after 2s", "did not finish in time for lower_bound("),
    ],
)
def test_crashes_and_timeouts_are_named(status: str, message: str, expected: str) -> None:
    failing = TestOutcome.model_validate({"name": CASE.name, "status": status, "message": message})
    explanation = explain(TASK, patch_of(LOWER_BOUND, FIXED), failing, AFTER)
    assert expected in explanation.summary
    assert f"message: {message}" in explanation.evidence


def test_a_pytest_failure_quotes_its_message() -> None:
    failing = TestOutcome(
        name="tests/visible/test_lb.py::test_past_the_end",
        status="failed",
        message="assert 3 == 4\n +  where 3 = lower_bound([1, 3, 5, 7], 8)",
    )
    explanation = explain(TASK, patch_of(LOWER_BOUND, FIXED), failing, None)
    assert explanation.summary.startswith("`test_past_the_end` failed with `assert 3 == 4`: ")
    assert "message: assert 3 == 4" in explanation.evidence


@pytest.mark.parametrize(
    ("old", "new", "kind"),
    [
        ("return a < b", "return a <= b", "Comparison changed"),
        ("return a - b", "return a * b", "Operator changed"),
        ("return a[b - 1]", "return a[b]", "Off by one"),
        ("return a[b]", "return a[b + 1]", "Off by one"),
        ("n = 1", "n = 0", "Constant off by one"),
        ("n = 10", "n = 100", "Constant changed"),
        ("n = 'ab'", "n = 'ba'", "Constant changed"),
        ("n = [0] * b", "n = [float('inf')] * b", "Constant changed"),
        ("return g(b, a)", "return g(a, b)", "Arguments swapped"),
        ("return a - b", "return b - a", "Operands swapped"),
        ("return a or b", "return a and b", "Boolean logic changed"),
        ("n = a", "n = not a", "Condition negated"),
        ("return not a and b", "return not (a and b)", "Grouping changed"),
        ("return a", "return a and b", "Condition extended"),
        ("n = a + g(b)", "n = a + b", "Expression changed"),
        ("n = a", "n = b", "Wrong variable"),
        ("return g(a)", "return h(a)", "Wrong function"),
        ("return True", "return a", "Return value changed"),
        ("n = (a + 1) // 2", "n //= 2", "Line rewritten"),
        ("n = a+b", "n = a + b", "Spacing changed"),
        ("n = inf", "n = nan", "Wrong variable"),
    ],
)
def test_one_line_changes_are_classified(old: str, new: str, kind: str) -> None:
    before = f"def f(a, b):\n    {old}\n    return n\n"
    after = f"def f(a, b):\n    {new}\n    return n\n"
    explanation = explain(TASK, patch_of(before, after, "f.py"), None, None)
    assert explanation.root_cause.startswith(f"{kind} at line 2 of f.py: it read `{old}`; ")


def test_added_removed_and_moved_statements() -> None:
    before = "def f(a):\n    n = 0\n    for x in a:\n        n += x\n        n += 1\n    return n\n"
    added = before.replace("    n = 0\n", "    n = 0\n    a = sorted(a)\n")
    text = explain(TASK, patch_of(before, added, "f.py"), None, None).root_cause
    assert text == "Missing code after line 2 of f.py: the fix adds `a = sorted(a)`."
    removed = before.replace("        n += 1\n", "")
    text = explain(TASK, patch_of(before, removed, "f.py"), None, None).root_cause
    assert text == "Extra code at line 5 of f.py: the fix removes `n += 1`."
    dedented = before.replace("        n += 1\n", "    n += 1\n")
    text = explain(TASK, patch_of(before, dedented, "f.py"), None, None).root_cause
    assert text == (
        "Statement moved at line 5 of f.py: `n += 1` was indented too deep, inside "
        "`for x in a:` (line 3), so it ran on every pass of that loop; "
        "the fix moves it out of that block."
    )
    moved = before.replace("    n = 0\n", "").replace("    return", "    n = 0\n    return")
    text = explain(TASK, patch_of(before, moved, "f.py"), None, None).root_cause
    assert text.startswith("Statement moved at line 2 of f.py: `n = 0` ran too early")


def test_an_empty_patch_is_said_to_change_nothing() -> None:
    explanation = explain(TASK, Patch(diff="", files=[]), FAILING, AFTER)
    assert explanation.summary.endswith(": the patch changes no line.")
    assert explanation.root_cause == "The patch changes no line."


def test_parse_diff_tracks_line_numbers_and_hunk_bodies() -> None:
    diff = (
        "--- a/m.py\n+++ b/m.py\n"
        "@@ -1,3 +1,3 @@\n x = 1\n--- y\n+++ y\n z = 3\n"
        "@@ -10,2 +10,3 @@\n a\n+b\n c\n\\ No newline at end of file\n"
    )
    blocks = parse_diff(diff)
    assert [(b.path, b.old_line, b.new_line, b.removed, b.added) for b in blocks] == [
        ("m.py", 2, 2, ["-- y"], ["++ y"]),
        ("m.py", 10, 11, [], ["b"]),
    ]


def test_every_builtin_fix_is_explained() -> None:
    unclassified = []
    for task in load_suite("builtin"):
        assert task.fixed is not None
        explanation = explain(task, Patch.from_sources(task.buggy, task.fixed), None, None)
        assert task.program in explanation.root_cause, task.id
        assert explanation.evidence, task.id
        if "rewritten" in explanation.root_cause:
            unclassified.append(task.id)
    assert len(unclassified) <= 2, unclassified
