"""The built-in suite: our own QuixBugs-style tasks, each a real bug with strong hidden tests."""

from __future__ import annotations

import difflib
import json
import os
from collections import Counter

import pytest

from duckfix.datasets.check import check_suite
from duckfix.datasets.suites import load_suite
from duckfix.models import BUG_CATEGORIES, Task, TestSet
from duckfix.runner import RunOptions, run_tests

TASKS = load_suite("builtin")
JOBS = os.cpu_count() or 1


def changed_lines(task: Task) -> int:
    assert task.fixed is not None
    diff = difflib.unified_diff(
        task.buggy[task.program].splitlines(), task.fixed[task.program].splitlines(), lineterm=""
    )
    body = [d for d in diff if not d.startswith(("---", "+++", "@@"))]
    return max(sum(d.startswith("-") for d in body), sum(d.startswith("+") for d in body))


def count_tests(tests: TestSet) -> int:
    """Cases plus pytest test functions."""
    return len(tests.cases) + sum(t.count("\ndef test_") for t in tests.pytest_files.values())


def test_suite_size_categories_and_shape() -> None:
    assert len(TASKS) >= 45
    categories = Counter(t.category for t in TASKS)
    assert set(categories) <= set(BUG_CATEGORIES), set(categories) - set(BUG_CATEGORIES)
    assert set(categories) == set(BUG_CATEGORIES), "every category has a task"
    assert sum(changed_lines(t) >= 2 for t in TASKS) >= 5, "multi-line fixes"
    for task in TASKS:
        assert task.fixed is not None and set(task.fixed) == set(task.buggy), task.id
        assert changed_lines(task) >= 1, task.id
        assert count_tests(task.visible) >= 3 and count_tests(task.hidden) >= 5, task.id
        assert task.description, task.id
        lines = task.fixed[task.program].count("\n")
        assert 5 <= lines <= 70, (task.id, lines)


def test_every_buggy_program_fails_and_every_fix_passes() -> None:
    results = check_suite(TASKS, RunOptions(case_timeout=1.0), JOBS)
    bad = {r.id: r.problems for r in results if r.verdict != "ok"}
    assert not bad
    no_visible_failure = [r.id for r in results if r.buggy_visible.failed == 0]
    assert not no_visible_failure, "a debugger must be able to reproduce every bug"


OVERFIT = """

_duckfix_original = {entry}
_duckfix_seen = json.loads({seen!r})


def {entry}(*args):
    for known_args, known_result in _duckfix_seen:
        if list(args) == known_args:
            return known_result
    return _duckfix_original(*args)
"""


@pytest.mark.parametrize("task", [t for t in TASKS if t.visible.cases], ids=lambda t: t.id)
def test_special_casing_the_visible_inputs_fails_the_hidden_tests(task: Task) -> None:
    """A patch that memorises the visible answers must not look correct."""
    seen = json.dumps([[c.args, c.expected] for c in task.visible.cases])
    source = "import json\n" + task.buggy[task.program]
    source += OVERFIT.format(entry=task.entry_point, seen=seen)
    overfit = {**task.buggy, task.program: source}
    options = RunOptions(case_timeout=0.5)
    assert run_tests(task, "visible", overfit, options).all_passed, "the memoiser is wrong"
    assert run_tests(task, "hidden", overfit, options).failed
