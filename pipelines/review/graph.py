"""The review graph: gather context, check files (in parallel, ``Send``) and commits, merge.

Parsing happens before the graph (the inputs are the parsed :class:`Review`),
rendering after it (the outcome is rendered by the caller, in the format it
wants). Each file's node runs the rule checks and, when the context has a
model, the reviewer model on that file, if the token plan chose it; the merge
node anchors, de-duplicates, ranks and caps, as :func:`run.finish` does for the
direct path.
"""

from __future__ import annotations

import operator
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Send

from duckfix.agents.llm_diff_reviewer import plan, review_file
from duckfix.coverage import CheckRun
from duckfix.findings import Finding
from duckfix.patches import FileContext, Review
from duckfix.pipelines.review.context import close as close_contexts
from duckfix.pipelines.review.context import gather as gather_context
from duckfix.pipelines.review.run import (
    ReviewOutcome,
    check_commits,
    check_file,
    finish,
    rule_checks,
)
from duckfix.review_settings import ReviewSettings

if TYPE_CHECKING:
    from duckfix.git_cli import GitRepo
    from duckfix.llm import LLMClient

__all__ = ["ReviewContext", "build_graph", "review_patch"]


@dataclass(frozen=True, kw_only=True)
class ReviewContext:
    """What one review run may use."""

    settings: ReviewSettings = field(default_factory=ReviewSettings)
    repo: GitRepo | None = None
    llm: LLMClient | None = None
    """The reviewer's model; None: rule checks only."""
    deadline: float | None = None
    """A ``time.monotonic()`` after which model reviews still running are given up on."""


@dataclass(kw_only=True)
class ReviewState:
    review: Review
    contexts: list[FileContext] = field(default_factory=list)
    for_model: list[str] = field(default_factory=list)
    """Paths the token plan lets the model review."""
    findings: Annotated[list[Finding], operator.add] = field(default_factory=list)
    notes: Annotated[list[str], operator.add] = field(default_factory=list)
    coverage: Annotated[list[CheckRun], operator.add] = field(default_factory=list)
    outcome: ReviewOutcome | None = None


@dataclass(kw_only=True)
class FileTask:
    """What one ``Send`` carries: a file, and whether the model reviews it."""

    review: Review
    ctx: FileContext
    with_model: bool


def _gather(state: ReviewState, runtime: Runtime[ReviewContext]) -> dict[str, Any]:
    contexts = gather_context(state.review, runtime.context.repo)
    update: dict[str, Any] = {"contexts": contexts}
    if _model_on(runtime.context):
        chosen, notes = plan(contexts, state.review.commits, runtime.context.settings.model_tokens)
        update |= {"for_model": [c.path for c in chosen], "notes": notes}
    return update


def _model_on(context: ReviewContext) -> bool:
    return context.llm is not None and "model" in context.settings.checks


def _fan_out(state: ReviewState) -> list[Send]:
    chosen = set(state.for_model)
    sends = [
        Send("check_file", FileTask(review=state.review, ctx=c, with_model=c.path in chosen))
        for c in state.contexts
    ]
    return [*sends, Send("check_commits", state)]


def _check_file(task: FileTask, runtime: Runtime[ReviewContext]) -> dict[str, Any]:
    ctx = runtime.context
    llm = ctx.llm
    model = None
    if task.with_model and llm is not None:
        commits = task.review.commits

        def model(file: FileContext) -> tuple[list[Finding], list[str]]:
            return review_file(llm, file, commits)

    names = rule_checks(ctx.settings)
    findings, notes, runs = check_file(task.ctx, ctx.settings, names, model, ctx.deadline)
    return {"findings": findings, "notes": notes, "coverage": runs}


def _check_commits(state: ReviewState, runtime: Runtime[ReviewContext]) -> dict[str, Any]:
    settings = runtime.context.settings
    findings, runs = check_commits(state.review, settings, rule_checks(settings))
    return {"findings": findings, "coverage": runs}


def _merge(state: ReviewState, runtime: Runtime[ReviewContext]) -> dict[str, Any]:
    ctx = runtime.context
    close_contexts(state.contexts)
    checks = rule_checks(ctx.settings) + (["model"] if _model_on(ctx) else [])
    outcome = ReviewOutcome(state.review, checks=checks)
    finished = finish(outcome, state.findings, state.notes, ctx.settings, state.coverage)
    return {"outcome": finished}


def build_graph() -> Any:
    """Compile the review graph (no checkpoints: a review is short and repeatable)."""
    graph = StateGraph(ReviewState, context_schema=ReviewContext)
    steps: dict[str, Any] = {
        "gather": _gather,
        "check_file": _check_file,
        "check_commits": _check_commits,
        "merge": _merge,
    }
    for name, step in steps.items():
        graph.add_node(name, step)
    graph.add_edge(START, "gather")
    graph.add_conditional_edges("gather", _fan_out, ["check_file", "check_commits"])
    graph.add_edge("check_file", "merge")
    graph.add_edge("check_commits", "merge")
    graph.add_edge("merge", END)
    return graph.compile()


def review_patch(review: Review, context: ReviewContext, jobs: int = 4) -> ReviewOutcome:
    """Review one patch through the graph."""
    started = time.monotonic()
    values = build_graph().invoke(
        ReviewState(review=review), {"max_concurrency": jobs}, context=context
    )
    outcome: ReviewOutcome = values["outcome"]
    outcome.seconds = time.monotonic() - started
    return outcome
