"""The benchmark graph: a debug run per task on its visible tests, judged on its hidden ones.

plan (skip tasks a resumed run already has) → one ``Send`` per task (debug, then
judge; each result is recorded the moment it lands) → summarize. A patch that
passes the visible tests is *plausible*; one that also passes the hidden tests
is *correct*.

With a remote executor (Ray) each ``Send`` hands its task to the cluster and
waits for the result: the graph, the recording and the resume stay here, the
debugging runs on a worker with a model client of its own (``model``).
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Send
from pydantic import BaseModel

from duckfix.errors import failure_reason
from duckfix.executor import Executor, Needs
from duckfix.models import Task
from duckfix.pipelines.agent_value import AgentValue, agent_values
from duckfix.pipelines.debug.context import DebugContext
from duckfix.pipelines.debug.graph import debug_task
from duckfix.remote_model import ModelRecipe
from duckfix.runner import run_tests

__all__ = [
    "BenchContext",
    "BenchResult",
    "CategoryRow",
    "bench_task",
    "build_graph",
    "remote_bench_task",
    "run_bench",
    "summarize",
]


class BenchResult(BaseModel):
    """One task's outcome in a benchmark run."""

    task_id: str
    category: str
    status: Literal["fixed", "not_fixed", "no_failure", "error"]
    plausible: bool
    correct: bool
    hidden_failed: list[str] = []
    """Hidden tests the plausible patch fails (why it is not correct)."""
    fix: str = ""
    """The accepted patch as a diff; the fix's description for humans is in ``stop_reason``."""
    stop_reason: str = ""
    seconds: float = 0.0
    candidates: int = 0
    validations: int = 0
    suspect_rank: int | None = None
    """Rank of the first suspect on a line the patch touched (None if none)."""
    fixed_by: str = ""
    """The template (``llm`` for the model) of the accepted patch."""
    llm_calls: int = 0
    """Model requests this task sent (answers from the cache are not requests)."""
    llm_tokens: int = 0
    """Prompt plus completion tokens of those requests."""
    agents: dict[str, AgentValue] = {}
    """Per agent that was asked: its replies well-formed / used / useful, calls, tokens."""


class CategoryRow(BaseModel):
    """A line of the summary table."""

    category: str
    tasks: int
    plausible: int
    correct: int
    median_seconds: float
    mean_candidates: float
    by_model: int = 0
    """Correct fixes whose patch the model wrote."""
    llm_calls: int = 0
    llm_tokens: int = 0


@dataclass(frozen=True, kw_only=True)
class BenchContext:
    """How each task is debugged and where its result goes."""

    debug: DebugContext = field(default_factory=DebugContext)
    record: Callable[[BenchResult], None] | None = None
    """Called with each result as soon as it lands (store, results.jsonl, progress)."""
    started: Callable[[Task], None] | None = None
    """Called as each task begins (the live view names the running tasks)."""
    executor: Executor | None = None
    """Where each task is debugged: here (None, or ``local``) or a Ray worker."""
    model: ModelRecipe | None = None
    """How a remote worker builds the run's model client (``debug.llm`` stays here)."""
    needs: Needs = field(default_factory=Needs)
    """What one task takes on a remote worker."""


def _merge(left: dict[str, BenchResult], right: dict[str, BenchResult]) -> dict[str, BenchResult]:
    return {**left, **right}


@dataclass(kw_only=True)
class BenchState:
    """The tasks to run and the results so far."""

    tasks: list[Task]
    done: list[str] = field(default_factory=list)
    """Ids of tasks a resumed run already has results for."""
    results: Annotated[dict[str, BenchResult], _merge] = field(default_factory=dict)


@dataclass(kw_only=True)
class TaskInput:
    """What one ``Send`` carries."""

    task: Task


def bench_task(task: Task, context: DebugContext) -> BenchResult:
    """Debug one task on its visible tests; judge the fix on its hidden tests."""
    started = time.monotonic()
    try:
        result = debug_task(task, None, context)
    except Exception as exc:
        # Not format_exception_only's last line: that is the note LangGraph adds,
        # naming the node, and it says nothing of what failed.
        detail = failure_reason(exc)
        return BenchResult(
            task_id=task.id,
            category=task.category,
            status="error",
            plausible=False,
            correct=False,
            stop_reason=detail,
            seconds=time.monotonic() - started,
        )
    plausible = result.status == "fixed"
    hidden_failed: list[str] = []
    if plausible and result.fix is not None and len(task.hidden):
        report = run_tests(task, "hidden", result.fix, context.options)
        hidden_failed = [o.name for o in report.failed]
    touched = _touched_lines(result.patch.diff) if result.patch else set()
    rank = next((i for i, s in enumerate(result.suspects, 1) if (s.path, s.line) in touched), None)
    return BenchResult(
        task_id=task.id,
        category=task.category,
        status=result.status,
        plausible=plausible,
        correct=plausible and not hidden_failed,
        hidden_failed=hidden_failed,
        fix=result.patch.diff if result.patch else "",
        stop_reason=result.stop_reason,
        seconds=time.monotonic() - started,
        candidates=result.candidates,
        validations=result.validations,
        suspect_rank=rank,
        # The accepted patch's, not the last plausible attempt's: after the first
        # plausible patch more are tried and compared, and another may win.
        fixed_by=(
            result.fixed_by
            or next((a.template for a in reversed(result.attempts) if a.outcome == "plausible"), "")
        )
        if plausible
        else "",
        llm_calls=result.llm_usage.calls,
        llm_tokens=result.llm_usage.total_tokens,
        agents=agent_values(task, result, plausible and not hidden_failed),
    )


def _touched_lines(diff: str) -> set[tuple[str, int]]:
    """(path, old line) of every line a unified diff removes or changes."""
    touched: set[tuple[str, int]] = set()
    path, line = "", 0
    for text in diff.splitlines():
        if text.startswith("--- "):
            path = text[4:].removeprefix("a/")
        elif text.startswith("@@"):
            line = int(text.split()[1].split(",")[0].lstrip("-"))
        elif text.startswith("-"):
            touched.add((path, line))
            line += 1
        elif text.startswith("+"):
            touched.add((path, line))
        elif not text.startswith(("+++", "\\")):
            line += 1
    return touched


def _plan(state: BenchState) -> list[Send]:
    done = set(state.done)
    return [Send("run_task", TaskInput(task=t)) for t in state.tasks if t.id not in done]


def _run_task(state: TaskInput, runtime: Runtime[BenchContext]) -> dict[str, Any]:
    if runtime.context.started is not None:
        runtime.context.started(state.task)
    result = _debug_where(state.task, runtime.context)
    if runtime.context.record is not None:
        runtime.context.record(result)
    return {"results": {result.task_id: result}}


def _debug_where(task: Task, context: BenchContext) -> BenchResult:
    executor = context.executor
    if executor is None or not executor.remote:
        return bench_task(task, context.debug)
    offline = dataclasses.replace(context.debug, llm=None)  # a client does not pickle
    return executor.call(remote_bench_task, task, offline, context.model, needs=context.needs)


def remote_bench_task(task: Task, context: DebugContext, model: ModelRecipe | None) -> BenchResult:
    """:func:`bench_task` on a worker, with the run's model client built there."""
    if model is not None:
        context = dataclasses.replace(context, llm=model.client())
    return bench_task(task, context)


def build_graph() -> Any:
    """Compile the bench graph (no checkpoints: results are recorded per task instead)."""
    graph = StateGraph(BenchState, context_schema=BenchContext)
    step: Any = _run_task  # LangGraph's overloads want its own node protocol
    graph.add_node("run_task", step)
    graph.add_conditional_edges(START, _plan, ["run_task"])
    graph.add_edge("run_task", END)
    return graph.compile()


def run_bench(
    tasks: Sequence[Task],
    context: BenchContext,
    jobs: int,
    done: Sequence[str] = (),
) -> dict[str, BenchResult]:
    """Run every task not in ``done``, ``jobs`` at a time; return the new results."""
    graph = build_graph()
    values = graph.invoke(
        BenchState(tasks=list(tasks), done=list(done)),
        {"max_concurrency": jobs, "recursion_limit": 10_000},
        context=context,
    )
    results: dict[str, BenchResult] = values.get("results", {})
    return results


def summarize(results: Sequence[BenchResult]) -> list[CategoryRow]:
    """Rows by category, then a row for all tasks."""
    by_category: dict[str, list[BenchResult]] = {}
    for r in results:
        by_category.setdefault(r.category, []).append(r)
    rows = [_row(name, group) for name, group in sorted(by_category.items())]
    if results:
        rows.append(_row("all", list(results)))
    return rows


def _row(name: str, group: list[BenchResult]) -> CategoryRow:
    return CategoryRow(
        category=name,
        tasks=len(group),
        plausible=sum(r.plausible for r in group),
        correct=sum(r.correct for r in group),
        median_seconds=statistics.median(r.seconds for r in group),
        mean_candidates=sum(r.candidates for r in group) / len(group),
        by_model=sum(r.correct and r.fixed_by == "llm" for r in group),
        llm_calls=sum(r.llm_calls for r in group),
        llm_tokens=sum(r.llm_tokens for r in group),
    )
