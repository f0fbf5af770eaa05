"""The built-in golden-output C suite: real-sized programs with their own main(), one bug each."""

from __future__ import annotations

import difflib

import pytest

from duckfix.datasets.check import check_task
from duckfix.datasets.suites import load_suite
from duckfix.models import BUG_CATEGORIES, Task
from duckfix.runner import RunOptions

TASKS = load_suite("golden-c")


def test_the_suite_has_six_programs_or_more() -> None:
    assert len(TASKS) >= 6
    assert all(t.language == "c" and t.entry_point == "main" for t in TASKS)


def _changed_lines(task: Task) -> list[int]:
    assert task.fixed is not None
    fixed, buggy = task.fixed[task.program].splitlines(), task.buggy[task.program].splitlines()
    matcher = difflib.SequenceMatcher(a=fixed, b=buggy, autojunk=False)
    return [
        line + 1
        for tag, i1, i2, _, _ in matcher.get_opcodes()
        if tag != "equal"
        for line in range(i1, max(i2, i1 + 1))
    ]


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.id)
def test_each_program_is_real_sized_with_one_bug_far_from_the_top(task: Task) -> None:
    assert task.fixed is not None and task.category in BUG_CATEGORIES
    assert set(task.buggy) == set(task.fixed) == {task.program}
    assert len(task.fixed[task.program].splitlines()) >= 200
    assert "int main(" in task.fixed[task.program]
    changed = _changed_lines(task)
    assert len(changed) == 1 and changed[0] >= 100, changed
    assert 4 <= len(task.visible.runs) <= 8 and task.hidden.runs
    assert not task.visible.bench_paths  # no test bench: the program's output is the test
    assert all(r.expected_stdout is not None for r in (*task.visible.runs, *task.hidden.runs))
    assert task.description and task.build.sanitize == ["address", "undefined"]


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.id)
def test_the_reference_passes_every_run_and_the_bug_fails_a_visible_one(task: Task) -> None:
    result = check_task(task, RunOptions(case_timeout=5.0))
    assert result.verdict == "ok", result.problems
    assert result.buggy_visible.failed >= 1 and result.buggy_visible.passed >= 1
