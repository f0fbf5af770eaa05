"""The debug graph, node by node and end to end, on small programs made here."""

from __future__ import annotations

import dataclasses
import sqlite3
import time

import pytest
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.runtime import Runtime

from duckfix.agents.fixer import Validation
from duckfix.agents.templates import Candidate, generate
from duckfix.deadline import Deadline
from duckfix.models import Suspect, TestCase, TestSet
from duckfix.pipelines.debug import DebugContext, build_graph, debug_task, nodes
from duckfix.pipelines.debug.graph import resume_task
from duckfix.pipelines.debug.state import DebugInput, DebugState
from duckfix.runner import RunOptions, run_tests

from tests.pipelines.conftest import largest_task

CONTEXT = DebugContext(options=RunOptions(case_timeout=1.0), workers=2)


def runtime() -> Runtime[DebugContext]:
    return Runtime(context=CONTEXT)


def test_reproduce_stops_when_nothing_fails() -> None:
    task = largest_task()
    assert task.fixed is not None
    update = nodes.reproduce(DebugState(task=task, program=task.fixed), runtime())
    assert update["status"] == "no_failure"
    assert update["stop_reason"] == "all 4 tests pass: nothing to fix"
    result = debug_task(task, task.fixed, CONTEXT)
    assert result.status == "no_failure" and result.candidates == 0


def test_end_to_end_fix_is_validated_reviewed_explained_and_correct() -> None:
    task = largest_task()
    result = debug_task(task, None, CONTEXT)
    assert result.status == "fixed", result.stop_reason
    assert result.fix is not None and "x > best" in result.fix["largest.py"]
    assert result.patch is not None and "-        if x < best:" in result.patch.diff
    assert result.suspects[0].line == 5 or any(s.line == 5 for s in result.suspects[:3])
    assert result.explanation is not None and result.explanation.summary
    assert result.failing_before and result.candidates >= 1 and result.validations >= 2
    assert run_tests(task, "hidden", result.fix, CONTEXT.options).all_passed


def test_budget_ends_with_an_honest_not_fixed() -> None:
    task = largest_task()
    tight = DebugContext(options=CONTEXT.options, max_candidates=1, workers=1)
    result = debug_task(task, None, tight)
    if result.status == "fixed":  # the very first candidate was the fix; nothing to test here
        assert result.candidates == 1
        return
    assert result.status == "not_fixed"
    assert "budget of 1 candidates" in result.stop_reason
    assert len(result.attempts) == 1 and result.attempts[0].outcome == "failed"


def test_review_sends_an_overfitting_patch_back_to_the_fixer() -> None:
    task = largest_task()
    cheat = task.buggy["largest.py"].replace(
        "    best = xs[0]\n", "    if xs == [3, 1, 2]:\n        return 3\n    best = xs[0]\n"
    )
    candidate = Candidate.between(
        task.buggy["largest.py"], cheat,
        path="largest.py", line=3, template="test", description="memorise a case",
        prior=1.0, score=1.0, size=30,
    )  # fmt: skip
    state = DebugState(task=task, pending=[Validation(candidate=candidate, plausible=True)])
    update = nodes.review(state, runtime())
    assert update["pending"] == []
    assert update["attempts"][0].outcome == "rejected" and update["attempts"][0].reason
    assert "fix" not in update


def test_a_program_that_does_not_run_at_all_is_not_fixed_but_reported() -> None:
    task = largest_task().model_copy(
        update={
            "buggy": {"largest.py": "import no_such_module\n\ndef largest(xs):\n    return 0\n"}
        }
    )
    result = debug_task(task, None, CONTEXT)
    assert result.status == "not_fixed"
    assert result.stop_reason


def test_an_interrupted_run_resumes_from_its_checkpoint(tmp_path) -> None:  # type: ignore[no-untyped-def]
    task = largest_task()
    conn = sqlite3.connect(tmp_path / "ckpt.db", check_same_thread=False)
    saver = SqliteSaver(conn)
    graph = build_graph(saver)
    config = {"configurable": {"thread_id": "t1"}, "recursion_limit": 1000}

    graph.invoke(DebugInput(task=task), config, context=CONTEXT, interrupt_after=["localize"])  # type: ignore[arg-type]
    paused = graph.get_state(config)  # type: ignore[arg-type]
    assert paused.next == ("fix",) and paused.values["suspects"]
    resumed = resume_task("t1", saver, CONTEXT)
    assert resumed is not None and resumed.status == "fixed"
    straight = debug_task(task, None, CONTEXT)
    assert resumed.fix == straight.fix
    assert resume_task("never-ran", saver, CONTEXT) is None


def test_pytest_file_tasks_are_debugged_too() -> None:
    task = largest_task().model_copy(
        update={
            "visible": TestSet(
                pytest_files={
                    "tests/test_largest.py": (
                        "from largest import largest\n\n"
                        "def test_first_is_largest():\n    assert largest([3, 1, 2]) == 3\n\n"
                        "def test_single():\n    assert largest([7]) == 7\n"
                    )
                }
            ),
            "hidden": TestSet(cases=[TestCase(args=[[1, 9, 4]], expected=9)]),
        }
    )
    result = debug_task(task, None, CONTEXT)
    assert result.status == "fixed", result.stop_reason


@pytest.mark.postgres
def test_checkpoints_in_postgresql_resume_too(postgres_url: str) -> None:
    from duckfix.service.debug_cmd import _checkpointer

    saver = _checkpointer(postgres_url)
    graph = build_graph(saver)
    config = {"configurable": {"thread_id": "pg1"}, "recursion_limit": 1000}

    graph.invoke(
        DebugInput(task=largest_task()), config, context=CONTEXT, interrupt_after=["localize"]
    )  # type: ignore[arg-type]
    resumed = resume_task("pg1", _checkpointer(postgres_url), CONTEXT)
    assert resumed is not None and resumed.status == "fixed"


# ----- the budget in seconds -----


def test_a_budget_spent_before_the_run_ends_it_at_once() -> None:
    spent = dataclasses.replace(CONTEXT, deadline=Deadline.after(-1.0), max_seconds=7)
    result = debug_task(largest_task(), None, spent)
    assert result.status == "not_fixed"
    assert result.stop_reason == "the budget of 7 seconds is spent before the tests could run"


def test_a_program_that_loops_ends_within_its_budget() -> None:
    looping = "def largest(xs):\n    while xs:\n        pass\n    return 0\n"
    task = largest_task().model_copy(update={"buggy": {"largest.py": looping}})
    context = DebugContext(options=RunOptions(case_timeout=2.0), max_seconds=3.0, workers=2)
    started = time.monotonic()
    result = debug_task(task, None, context)
    assert time.monotonic() - started < 3.0 * 1.1
    assert result.status == "not_fixed"
    assert result.stop_reason.startswith("the budget of 3 seconds is spent")


def test_a_round_with_no_time_left_is_kept_for_a_resume() -> None:
    task = largest_task()
    baseline = run_tests(task, "visible", None, CONTEXT.options)
    batch = generate(task.buggy, [Suspect(path="largest.py", line=5, score=1.0)])[:2]
    state = DebugState(task=task, baseline=baseline, batch=batch, next_index=2)
    spent = dataclasses.replace(CONTEXT, deadline=Deadline.after(-1.0))
    update = nodes.validate(state, Runtime(context=spent))
    assert update["next_index"] == 0 and update["status"] == "not_fixed"
    assert "budget" in update["stop_reason"] and "attempts" not in update
