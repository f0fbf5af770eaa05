"""Per-agent value of model replies in a bench task: well-formed, used, useful."""

from __future__ import annotations

from duckfix.models import Explanation, Suspect, Usage
from duckfix.pipelines.agent_value import AgentValue, agent_values, summarize_agents, true_lines
from duckfix.pipelines.debug.state import Attempt, DebugResult

from tests.pipelines.conftest import largest_task


def _attempt(template: str, outcome: str, reason: str = "") -> Attempt:
    return Attempt(
        template=template, description="d", path="largest.py", line=4, outcome=outcome,  # type: ignore[arg-type]
        reason=reason,
    )  # fmt: skip


def test_true_lines_are_those_the_reference_fix_changes() -> None:
    task = largest_task()
    changed = {n for _p, n in true_lines(task)}
    lines = task.buggy["largest.py"].splitlines()
    assert any("x < best" in lines[n - 1] for n in changed)


def test_values_of_a_run_the_model_fixed() -> None:
    task = largest_task()
    line = next(n for _p, n in sorted(true_lines(task)))
    result = DebugResult(
        task_id="largest",
        status="fixed",
        stop_reason="fixed",
        fix={"largest.py": task.fixed["largest.py"]} if task.fixed else None,
        suspects=[
            Suspect(path="largest.py", line=line, score=0.9, reason="model: the comparison"),
            Suspect(path="largest.py", line=1, score=0.5),
        ],
        attempts=[
            _attempt("compare-op", "failed"),
            _attempt("llm", "failed"),
            _attempt("llm", "rejected", "model reviewer (overfitting): special case"),
            _attempt("llm", "plausible"),
        ],
        explanation=Explanation(summary="s", root_cause="r", source="model"),
        llm_agents={
            "fixer": Usage(prompt_tokens=900, completion_tokens=100, calls=2, seconds=80.0),
            "localizer": Usage(prompt_tokens=500, completion_tokens=40, calls=1, seconds=30.0),
            "reviewer": Usage(calls=1),
            "explainer": Usage(calls=1),
        },
        llm_replies={"fixer": {"well_formed": 1, "repaired": 1}, "localizer": {"invalid": 1}},
    )
    values = agent_values(task, result, correct=True)
    fixer, localizer, reviewer = values["fixer"], values["localizer"], values["reviewer"]
    assert (fixer.calls, fixer.tokens, fixer.used, fixer.useful) == (2, 1000, 2, 1)
    assert (fixer.well_formed, fixer.repaired) == (1, 1)
    assert (localizer.used, localizer.useful, localizer.invalid) == (1, 1, 1)
    # The rejected patch was not the correct one that was accepted: not judged useful.
    assert (reviewer.used, reviewer.judged, reviewer.useful) == (1, 1, 0)
    assert values["explainer"].useful == 1

    # A fixer sample that found no fix, in the form asked, is well-formed, counted apart.
    other = {"fixer": AgentValue(calls=4, unchanged=1)}
    rows = {r.agent: r for r in summarize_agents([values, other])}
    assert (rows["fixer"].replies, rows["fixer"].unchanged) == (3, 1)
    assert list(rows) == ["localizer", "fixer", "reviewer", "explainer"]
    assert rows["fixer"].tasks == 2 and rows["fixer"].calls_per_task == 3.0
    assert rows["fixer"].well_formed == 1.0 and rows["localizer"].well_formed == 0.0
