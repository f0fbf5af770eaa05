"""What the fixer's search finds beyond one-token edits: missing statements, two-site fixes,
and which of several plausible patches it keeps."""

from __future__ import annotations

from pathlib import Path

import pytest
from langgraph.runtime import Runtime

from duckfix.agents.fixer import Validation
from duckfix.agents.templates import Candidate
from duckfix.pipelines.debug import DebugContext, debug_task, nodes
from duckfix.pipelines.debug.state import DebugState
from duckfix.runner import RunOptions, run_tests

from tests.agents.test_overfit import HARD_CODED, RIGHT, clip_task
from tests.pipelines.search_tasks import (
    C_MISSING_RESET,
    C_TWO_SITES,
    MISSING,
    c_task,
    two_site_task,
)

CONTEXT = DebugContext(options=RunOptions(case_timeout=1.0), workers=2)
C_CONTEXT = DebugContext(options=RunOptions(case_timeout=3.0), workers=2)
INSERTS = {"insert-guard", "insert-control", "insert-reset", "insert-stmt", "insert-adapted"}


@pytest.mark.parametrize("kind", sorted(MISSING))
def test_a_missing_statement_is_inserted(kind: str) -> None:
    task = MISSING[kind]
    result = debug_task(task, None, CONTEXT)
    assert result.status == "fixed", result.stop_reason
    assert result.fix is not None
    assert run_tests(task, "hidden", result.fix, CONTEXT.options).all_passed
    kept = next(a for a in result.attempts if a.description == result.stop_reason.split(": ", 1)[1])
    assert kept.template in INSERTS, kept
    assert result.patch is not None and result.patch.diff.count("\n+ ") >= 1


def test_a_missing_reset_in_c_is_inserted(tmp_path: Path) -> None:
    task = c_task(tmp_path / "tab", C_MISSING_RESET)
    result = debug_task(task, None, C_CONTEXT)
    assert result.status == "fixed", result.stop_reason
    assert result.fix is not None and "        acc = 0;\n" in result.fix["tab.c"]
    assert run_tests(task, "hidden", result.fix, C_CONTEXT.options).all_passed


def test_two_wrong_lines_are_fixed_together_by_a_pair() -> None:
    task = two_site_task()
    result = debug_task(task, None, CONTEXT)
    assert result.status == "fixed", result.stop_reason
    assert result.fix is not None
    assert run_tests(task, "hidden", result.fix, CONTEXT.options).all_passed
    (plausible,) = [a for a in result.attempts if a.outcome == "plausible"]
    assert plausible.template == "pair"
    assert "line 6; and " in plausible.description and "line 8" in plausible.description
    # No single edit could do it: every one tried before the pair failed.
    assert all(a.outcome == "failed" for a in result.attempts if a.template != "pair")


def test_two_wrong_lines_in_c_are_fixed_together_by_a_pair(tmp_path: Path) -> None:
    task = c_task(tmp_path / "tab", C_TWO_SITES)
    result = debug_task(task, None, C_CONTEXT)
    assert result.status == "fixed", result.stop_reason
    assert result.fix is not None
    assert run_tests(task, "hidden", result.fix, C_CONTEXT.options).all_passed
    kept = next(a for a in result.attempts if a.outcome == "plausible")
    assert kept.template == "pair" and "tab.c:10" in kept.description
    assert "tab.c:18" in kept.description


def _plausible(task_text: str, new_text: str, size: int) -> Validation:
    candidate = Candidate.between(
        task_text, new_text, path="clip.py", line=3, template="replace-var",
        description=f"edit of size {size}", prior=0.5, score=0.5, size=size,
    )  # fmt: skip
    return Validation(candidate=candidate, plausible=True, runs=2)


def test_of_disagreeing_plausible_patches_the_one_that_changes_least_is_kept() -> None:
    task = clip_task()
    baseline = run_tests(task, "visible", None, CONTEXT.options)
    assert [o.name for o in baseline.failed] == ["case 1"]
    # The fixer's own order puts the hard-coded one first (a smaller edit).
    pending = [
        _plausible(task.buggy["clip.py"], HARD_CODED, 1),
        _plausible(task.buggy["clip.py"], RIGHT, 2),
    ]
    state = DebugState(task=task, baseline=baseline, pending=pending)
    update = nodes.compare(state, Runtime(context=CONTEXT))
    assert [v.candidate.description for v in update["pending"]] == [
        "edit of size 2",
        "edit of size 1",
    ]
    (note,) = update["disagreements"]
    assert note.startswith("2 plausible patches disagree on ")
    assert "tried first: edit of size 2, which changes 0 outputs" in note
