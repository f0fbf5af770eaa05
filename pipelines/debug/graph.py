"""The debug graph: reproduce → localize → fix ⇄ validate → compare → review → explain.

The localizer runs mutants as well as the traced tests; a plausible one goes
to review like any other. Once a plausible patch is found, the fixer tries its
line's other candidates, then ``compare`` orders the plausible ones by how
little they change where no failing test asked (:mod:`duckfix.agents.overfit`).
With ``llm_first``, the fixer first tries the template candidates an offline
run would have tried before its own first plausible patch, so a model's
plausible patch is weighed against that one rather than taken in its place.

With a model, two loops feed the agents' outputs back: when the fixer runs out
of candidates it goes back to the localizer (``relocalize``), which re-ranks the
suspects with the failed attempts in view before the fixer asks the model; and
a patch the reviewer sends back returns to the fixer with the reviewer's
reason among the failed attempts. Both loops end when a patch passes review or
a budget (candidates, seconds, model rounds, model calls) is spent.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from duckfix.deadline import Deadline
from duckfix.models import Task
from duckfix.pipelines.debug import nodes
from duckfix.pipelines.debug.context import DebugContext
from duckfix.pipelines.debug.state import DebugInput, DebugResult, DebugState

__all__ = ["build_graph", "debug_task", "result_of", "resume_task"]

# Every fix ⇄ validate round is two supersteps; the candidate budget, not
# LangGraph's default limit of 25, decides when a run ends.
RECURSION_LIMIT = 100_000


def _stopped(state: DebugState) -> bool:
    return state.status != "running"


def _after_fix(state: DebugState) -> str:
    if _stopped(state):
        return END
    if state.rerank:
        return "relocalize"
    if state.batch:
        return "validate"
    return "compare" if state.pending else END


def _after_validate(state: DebugState) -> str:
    if _stopped(state):  # the budget ran out before the round could run
        return END
    return "fix"  # which goes on searching, or has the plausible patches compared


def _after_review(state: DebugState) -> str:
    if state.fix is not None:
        return "explain"
    return "review" if state.pending else "fix"


def build_graph(
    checkpointer: BaseCheckpointSaver[Any] | None = None,
) -> CompiledStateGraph[DebugState, DebugContext, DebugInput, DebugState]:
    """Compile the debug graph, checkpointing after every node if given a saver."""
    graph = StateGraph(DebugState, context_schema=DebugContext, input_schema=DebugInput)
    # LangGraph's overloads want its own node protocol; ours are plain functions.
    steps: dict[str, Any] = {
        "reproduce": nodes.reproduce,
        "localize": nodes.localize_node,
        "fix": nodes.fix,
        "relocalize": nodes.relocalize,
        "validate": nodes.validate,
        "compare": nodes.compare,
        "review": nodes.review,
        "explain": nodes.explain_node,
    }
    for name, step in steps.items():
        graph.add_node(name, step)
    graph.add_edge(START, "reproduce")
    graph.add_conditional_edges("reproduce", lambda s: END if _stopped(s) else "localize")
    graph.add_conditional_edges("localize", lambda s: END if _stopped(s) else "fix")
    graph.add_conditional_edges("fix", _after_fix)
    graph.add_edge("relocalize", "fix")
    graph.add_conditional_edges("validate", _after_validate)
    graph.add_edge("compare", "review")
    graph.add_conditional_edges("review", _after_review)
    graph.add_edge("explain", END)
    return graph.compile(checkpointer=checkpointer)


def _config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}, "recursion_limit": RECURSION_LIMIT}


def debug_task(
    task: Task,
    program: dict[str, str] | None = None,
    context: DebugContext | None = None,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    thread_id: str | None = None,
    *,
    started: float | None = None,
    on_step: StepCallback | None = None,
) -> DebugResult:
    """Debug one program against its task's visible tests.

    The run's clock starts at ``started`` (a ``time.monotonic()`` value; default:
    now), so a caller can count what it spent before, such as loading the task,
    against ``max_seconds``. ``on_step`` is called with each node's name and
    the state it changed, as the node ends (a live view follows the run so).
    """
    graph = build_graph(checkpointer)
    thread_id = thread_id or uuid.uuid4().hex
    context = _for_task(context or DebugContext(), task.id)
    if context.deadline is None:
        deadline = Deadline.after(context.max_seconds, started=started)
        context = dataclasses.replace(context, deadline=deadline)
    context = _bounded(context)
    values = _run(
        graph, DebugInput(task=task, program=program), _config(thread_id), context, on_step
    )
    return _with_usage(result_of(values), context)


StepCallback = Callable[[str, dict[str, Any]], None]
"""Called with a node's name and its update, as each node of a run ends."""


def _run(
    graph: Any,
    start: Any,
    config: RunnableConfig,
    context: DebugContext,
    on_step: StepCallback | None,
) -> dict[str, Any]:
    """The run's final state; ``on_step`` hears of each node's update on the way."""
    if on_step is None:
        values: dict[str, Any] = graph.invoke(start, config, context=context)
        return values
    values = {}
    for mode, chunk in graph.stream(
        start, config, context=context, stream_mode=["updates", "values"]
    ):
        if mode == "values":
            values = chunk
            continue
        for node, update in chunk.items():
            on_step(node, update or {})
    return values


def _bounded(context: DebugContext) -> DebugContext:
    """``context`` whose test runs the runner ends by its deadline, and its model calls too."""
    if context.deadline is None:
        return context
    llm = context.llm.until(context.deadline.at) if context.llm is not None else None
    return dataclasses.replace(context, options=context.deadline.bound(context.options), llm=llm)


def _for_task(context: DebugContext, task_id: str) -> DebugContext:
    # Each task gets its own view of the run's model client, so its calls and
    # tokens can be told apart from those of the tasks running beside it.
    if context.llm is None:
        return context
    return dataclasses.replace(context, llm=context.llm.for_task(task_id))


def _with_usage(result: DebugResult, context: DebugContext) -> DebugResult:
    if context.llm is None:
        return result
    llm = context.llm
    return result.model_copy(
        update={
            "llm_usage": llm.usage,
            "llm_agents": dict(llm.agent_usage),
            "llm_replies": {agent: dict(counts) for agent, counts in llm.replies.items()},
        }
    )


def resume_task(
    thread_id: str,
    checkpointer: BaseCheckpointSaver[Any],
    context: DebugContext | None = None,
    on_step: StepCallback | None = None,
) -> DebugResult | None:
    """Continue an interrupted run from its last checkpoint; None if there is none."""
    graph = build_graph(checkpointer)
    config = _config(thread_id)
    snapshot = graph.get_state(config)
    if not snapshot.values:
        return None
    # ``next`` leaves out the tasks whose writes were saved before the process
    # died mid-step; they are not done (the step's checkpoint was never
    # written), so only a snapshot with no task at all is a finished run.
    if not snapshot.next and not snapshot.tasks:  # it had already finished
        return result_of(snapshot.values)
    task_id = snapshot.values["task"].id
    context = _for_task(context or DebugContext(), task_id)
    if context.deadline is None:
        # The budget holds across resumes: what earlier sessions spent is gone.
        spent = float(snapshot.values.get("seconds", 0.0))
        context = dataclasses.replace(context, deadline=Deadline.after(context.max_seconds - spent))
    context = _bounded(context)
    values = _run(graph, None, config, context, on_step)
    return _with_usage(result_of(values), context)


def result_of(values: dict[str, Any]) -> DebugResult:
    """The caller's view of a final state."""
    state = DebugState(**values)
    baseline = state.baseline
    return DebugResult(
        task_id=state.task.id,
        program=state.program if state.program is not None else state.task.buggy,
        status=state.status,
        stop_reason=state.stop_reason,
        suspects=state.suspects,
        key_variables=state.key_variables,
        fix=state.fix,
        patch=state.patch,
        explanation=state.explanation,
        attempts=state.attempts,
        candidates=sum(a.outcome != "rejected" for a in state.attempts),
        validations=state.validations,
        seconds=state.seconds,
        failing_before=[o.name for o in baseline.failed] if baseline else [],
        review_notes=state.review_notes,
        disagreements=state.disagreements,
        mutants=sum(a.mutant for a in state.attempts),
        fixed_by=state.accepted.candidate.template if state.accepted is not None else "",
    )
