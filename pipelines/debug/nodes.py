"""The nodes of the debug graph; each reads the state and returns what it changes."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from langgraph.runtime import Runtime

from duckfix.agents.explainer import explain
from duckfix.agents.fixer import candidate_files, choose, validate_batch
from duckfix.agents.llm_explainer import explain_with_model
from duckfix.agents.llm_fixer import propose
from duckfix.agents.llm_localizer import rerank
from duckfix.agents.llm_reviewer import review_with_model
from duckfix.agents.overfit import compare_patches
from duckfix.agents.reviewer import PatchReview, review_patch
from duckfix.agents.suspects import find_suspects
from duckfix.agents.templates import Candidate, generate
from duckfix.deadline import compile_ran_out, count_tests, overhead
from duckfix.models import Patch
from duckfix.pipelines.debug.accounts import model_accounts
from duckfix.pipelines.debug.collection import uncollected
from duckfix.pipelines.debug.context import DebugContext
from duckfix.pipelines.debug.search import (
    after_plausible,
    alternatives_first,
    from_mutants,
    offline_prefix,
    pair_up,
    tried_keys,
    unique,
)
from duckfix.pipelines.debug.state import Attempt, DebugState
from duckfix.runner import RunOptions, run_tests, scaled_to

Update = dict[str, Any]
_ATTEMPTS_SHOWN = 5
"""Recent failed attempts shown to the model."""
Node = Callable[[DebugState, Runtime[DebugContext]], Update]


def timed(node: Node) -> Node:
    """Add the node's wall-clock time to the run's total, which the budget reads."""

    @functools.wraps(node)
    def wrapper(state: DebugState, runtime: Runtime[DebugContext]) -> Update:
        started = time.monotonic()
        update = node(state, runtime)
        update["seconds"] = state.seconds + time.monotonic() - started
        return update

    return wrapper


def _program(state: DebugState) -> dict[str, str]:
    return state.program if state.program is not None else state.task.buggy


def _startup(state: DebugState, ctx: DebugContext) -> float:
    """What a test run of the program costs before its first test, from the baseline."""
    if state.baseline is None:
        return 0.0
    return overhead(state.baseline, ctx.options.case_timeout)


def _out_of_time(state: DebugState, ctx: DebugContext) -> bool:
    """Whether the budget leaves no time for one more test run.

    Without a deadline (a graph run directly), the nodes' own time is compared
    with ``max_seconds``, as before deadlines existed.
    """
    if ctx.deadline is None:
        return state.seconds >= ctx.max_seconds
    return ctx.deadline.remaining() <= _startup(state, ctx)


def _spent(state: DebugState, ctx: DebugContext, during: str, rejected: int = 0) -> Update:
    why = f"the budget of {ctx.max_seconds:g} seconds is spent {during}"
    return _give_up(state, why, rejected)


@timed
def reproduce(state: DebugState, runtime: Runtime[DebugContext]) -> Update:
    """Run the visible tests on the program as it is."""
    ctx = runtime.context
    program = _program(state)
    options: RunOptions | None = ctx.options
    if ctx.deadline is not None:
        options = ctx.deadline.options(ctx.options, state.task, tests=count_tests(state.task))
    if options is None:
        return {"program": program} | _spent(state, ctx, "before the tests could run")
    report = run_tests(state.task, "visible", program, options)
    update: Update = {"program": program, "baseline": report}
    # A test that ran out of its cut time still failed; a compile cut short
    # leaves no verdict at all.
    cut = options is not ctx.options and any(compile_ran_out(o) for o in report.outcomes)
    if ctx.deadline is not None and (ctx.deadline.passed or cut):
        # Tests cut short by the budget say nothing about the program.
        return update | _spent(state, ctx, "while running the visible tests")
    if not report.outcomes:
        update |= {"status": "not_fixed", "stop_reason": "the program has no visible tests"}
    elif (why := uncollected(report)) is not None:
        stop = f"no test could run: {why}; fix the tests' imports (or the program) first"
        update |= {"status": "not_fixed", "stop_reason": stop}
    elif not report.failed:
        n = len(report.outcomes)
        update |= {"status": "no_failure", "stop_reason": f"all {n} tests pass: nothing to fix"}
    return update


@timed
def localize_node(state: DebugState, runtime: Runtime[DebugContext]) -> Update:
    """Rank the lines most likely to hold the fault: spectrum, mutants, values.

    The mutants are candidates validated against every visible test: they are
    counted as tried, a plausible one waits for review, and those that fixed
    some failing tests are paired (:mod:`duckfix.pipelines.debug.search`).
    """
    assert state.baseline is not None
    ctx = runtime.context
    found = find_suspects(
        state.task,
        _program(state),
        ctx.options,
        baseline=state.baseline,
        top=ctx.top_suspects,
        max_mutants=_mutant_budget(ctx),
        workers=ctx.workers,
        deadline=ctx.deadline,
    )
    located = found.localization
    update: Update = {"suspects": located.suspects, "key_variables": located.key_variables}
    update |= from_mutants(state, ctx, found.mutants)
    if ctx.deadline is not None and (located.cut_short or _out_of_time(state, ctx)):
        if update.get("pending"):
            return update  # a plausible patch found as the budget ran out is still reviewed
        return update | _spent(state, ctx, "while localizing the fault")
    if not located.suspects:
        update |= {
            "status": "not_fixed",
            "stop_reason": "no line of the program ran in a failing test, so none can be blamed",
        }
    return update


def _mutant_budget(ctx: DebugContext) -> int:
    # With llm_first too: the mutants localize the fault and often fix it
    # outright; a model run that skipped them fixed fewer tasks than offline.
    return min(ctx.max_mutants, ctx.max_candidates)


@timed
def fix(state: DebugState, runtime: Runtime[DebugContext]) -> Update:
    """Pick the next round of candidates, or stop when the budget or the ideas run out.

    Template candidates come first. Once they are all tried or have spent the
    candidate budget (or before them, with ``llm_first``) and the context has a
    model, the run goes back to the localizer, which re-ranks the suspects with
    the failed attempts in view (new suspect lines bring new template
    candidates), and then asks the model fixer, at most ``llm_rounds`` times per
    run. Once a plausible patch is found, its line's other candidates run, and,
    with ``llm_first``, the templates an offline run would have tried before its
    first plausible patch; then the plausible patches are compared.
    """
    ctx = runtime.context
    tried = _count_tried(state)
    rejected = sum(a.outcome == "rejected" for a in state.attempts)
    compare_now: Update = {"batch": [], "window": 0}
    if state.pending and state.window <= 0:
        return _check_offline(state, ctx)
    # The offline order's check is bounded by that order's budget, not by this run's.
    if tried >= ctx.max_candidates and not state.checking:
        if state.pending:
            return _check_offline(state, ctx)
        return _past_budget(state, ctx, rejected)
    if _out_of_time(state, ctx):
        if state.pending:
            return compare_now
        return _spent(state, ctx, _after(tried), rejected)
    rounds = state.llm_rounds
    if ctx.llm_first and rounds == 0 and _needs_rerank(state, ctx, rounds):
        return {"rerank": True}
    queue = state.queue
    made: Update = {}
    if not state.generated:
        done = tried_keys(state)
        fresh = generate(_program(state), state.suspects, deadline=ctx.deadline)
        if _out_of_time(state, ctx):
            # The queue may be cut short: it is not kept, so a resume makes it again.
            if state.pending:
                return compare_now
            return _spent(state, ctx, "while making candidate patches", rejected)
        queue = unique(queue + [c for c in fresh if c.key not in done])
        made = {"generated": True}
        if state.pending:  # plausible mutants: their lines' other candidates first
            queue, moved = alternatives_first(queue, state.next_index, state.pending, ctx.window)
            made["window"] = moved
            if not moved:
                return compare_now | made | {"queue": queue}
    if ctx.llm_first and rounds == 0 and _may_ask(ctx, rounds):
        at = state.next_index
        queue = unique(queue[:at] + _interleave(_ask_model(state, ctx, queue, rounds), queue[at:]))
        rounds += 1
    room = ctx.workers if state.checking else ctx.max_candidates - tried
    batch = queue[state.next_index : state.next_index + min(ctx.workers, room)]
    if not batch and state.pending:
        return compare_now | made | {"queue": queue}
    if not batch and state.deferred:  # the single edits ran out: the doubtful pairs now
        tried_already = tried_keys(state)
        queue = unique(queue + [c for c in state.deferred if c.key not in tried_already])
        made["deferred"] = []
        batch = queue[state.next_index : state.next_index + min(ctx.workers, room)]
    if not queue and not _may_ask(ctx, rounds):
        return _give_up(state, _nothing_applies(rounds), 0) | _rounds(state, rounds)
    while not batch and _may_ask(ctx, rounds):
        if _out_of_time(state, ctx):
            return _spent(state, ctx, _after(tried), rejected) | _rounds(state, rounds)
        if _needs_rerank(state, ctx, rounds):
            return {"queue": queue, "rerank": True} | _rounds(state, rounds)
        queue = queue + _ask_model(state, ctx, queue, rounds)
        rounds += 1
        batch = queue[state.next_index : state.next_index + min(ctx.workers, room)]
    if not queue:
        return _give_up(state, _nothing_applies(rounds), 0) | _rounds(state, rounds)
    if not batch:
        ended = _give_up(state, f"all {len(queue)} candidates were tried", rejected)
        return ended | _rounds(state, rounds)
    update: Update = {"queue": queue, "batch": batch, "next_index": state.next_index + len(batch)}
    return update | made | _rounds(state, rounds)


def _check_offline(state: DebugState, ctx: DebugContext) -> Update:
    """Compare the plausible patches; first, in an ``llm_first`` run, try the templates an
    offline run would have tried before its first plausible patch (see
    :func:`~duckfix.pipelines.debug.search.offline_prefix`)."""
    compare_now: Update = {"batch": [], "window": 0}
    if state.checking:
        compare_now["checking"] = False
    if not ctx.llm_first or ctx.llm is None or state.checked or _out_of_time(state, ctx):
        return compare_now
    program = _program(state)
    order = generate(program, state.localized or state.suspects, deadline=ctx.deadline)
    prefix = offline_prefix(state, ctx, order)
    if not prefix or _out_of_time(state, ctx):
        return compare_now | {"checked": True}
    at, keys = state.next_index, {c.key for c in prefix}
    queue = [*state.queue[:at], *prefix, *(c for c in state.queue[at:] if c.key not in keys)]
    batch = prefix[: ctx.workers]
    return {
        "queue": queue,
        "batch": batch,
        "next_index": at + len(batch),
        "window": len(prefix),
        "checked": True,
        "checking": True,
    }


def _past_budget(state: DebugState, ctx: DebugContext, rejected: int) -> Update:
    """The templates spent the candidate budget: the model's candidates, which it does
    not count, still run, its rounds asked for first if it has any left."""
    queue, rounds, at = state.queue, state.llm_rounds, state.next_index
    left = [i for i in range(at, len(queue)) if queue[i].template == "llm"]
    if not left and _may_ask(ctx, rounds):
        if _out_of_time(state, ctx):
            return _spent(state, ctx, _after(_count_tried(state)), rejected)
        if _needs_rerank(state, ctx, rounds):
            return {"rerank": True}
        queue = queue[:at] + _ask_model(state, ctx, queue, rounds) + queue[at:]
        rounds += 1
        left = [i for i in range(at, len(queue)) if queue[i].template == "llm"]
    taken = left[: ctx.workers]
    if not taken:
        why = f"the budget of {ctx.max_candidates} candidates is spent"
        return _give_up(state, why, rejected) | _rounds(state, rounds)
    # Templates between them are skipped for good: the budget has no room for them.
    batch = [queue[i] for i in taken]
    return {"queue": queue, "batch": batch, "next_index": taken[-1] + 1} | _rounds(state, rounds)


def _count_tried(state: DebugState) -> int:
    # Model candidates are bounded by the model's rounds and calls, not by the
    # candidate budget: a model run keeps every template candidate an offline
    # run with the same budget would try, so it never fixes fewer tasks.
    return sum(a.outcome != "rejected" and a.template != "llm" for a in state.attempts)


def _interleave(model: list[Candidate], templates: list[Candidate]) -> list[Candidate]:
    """Model and template candidates taken in turn, the model's first (``--llm-first``)."""
    out: list[Candidate] = []
    for i, candidate in enumerate(model):
        out += [candidate, *templates[i : i + 1]]
    return out + templates[len(model) :]


def _after(tried: int) -> str:
    if tried == 0:
        return "before any candidate was tried"
    return f"after {tried} candidate{'s' if tried != 1 else ''} tried"


def _chat_model(ctx: DebugContext) -> bool:
    # Localizer, reviewer and explainer answer in JSON; a base model (completion
    # style) cannot, so only the fixer asks it, with a completion prompt.
    return ctx.llm is not None and ctx.llm.style == "chat"


def _needs_rerank(state: DebugState, ctx: DebugContext, rounds: int) -> bool:
    return _chat_model(ctx) and state.reranked <= rounds and _may_ask(ctx, rounds)


def _failed_attempts(state: DebugState) -> list[str]:
    return [
        f"{a.description} ({a.path}:{a.line}) {a.outcome}: {a.reason}"
        for a in state.attempts
        if a.outcome != "plausible"
    ][-_ATTEMPTS_SHOWN:]


@timed
def relocalize(state: DebugState, runtime: Runtime[DebugContext]) -> Update:
    """Ask the model localizer to re-rank the suspects, seeing what failed so far.

    Template candidates at lines it newly suspects join the queue.
    """
    ctx = runtime.context
    assert ctx.llm is not None and state.baseline is not None
    if _out_of_time(state, ctx):  # the fixer gives up next, with the reason
        return {"reranked": state.llm_rounds + 1, "rerank": False}
    program = _program(state)
    suspects = rerank(
        ctx.llm,
        state.task,
        program,
        state.suspects,
        state.baseline.failed,
        state.key_variables,
        _failed_attempts(state),
        top=ctx.top_suspects,
    )
    queued = {c.key for c in state.queue} | tried_keys(state)
    fresh = [c for c in generate(program, suspects, deadline=ctx.deadline) if c.key not in queued]
    return {
        "suspects": suspects,
        "localized": state.localized or state.suspects,
        "queue": state.queue + fresh,
        "reranked": state.llm_rounds + 1,
        "rerank": False,
    }


def _may_ask(ctx: DebugContext, rounds: int) -> bool:
    return ctx.llm is not None and rounds < ctx.llm_rounds


def _rounds(state: DebugState, rounds: int) -> Update:
    # Only a change is written, so an offline run's updates stay exactly as they were.
    return {"llm_rounds": rounds} if rounds != state.llm_rounds else {}


def _nothing_applies(rounds: int) -> str:
    why = "no patch template applies to the suspect lines"
    return why + (" and the model proposed no usable patch" if rounds else "")


def _ask_model(
    state: DebugState, ctx: DebugContext, queue: list[Candidate], rounds: int
) -> list[Candidate]:
    """New model candidates (none already queued), from the baseline and recent failures."""
    assert ctx.llm is not None and state.baseline is not None
    found = propose(
        ctx.llm,
        state.task,
        _program(state),
        state.suspects,
        state.baseline.failed,
        _failed_attempts(state) + model_accounts(state, queue),
        samples=ctx.llm_samples,
        round_=rounds + 1,
        key_variables=state.key_variables,
        parallel=ctx.llm.concurrency,  # the samples are independent: keep the model's slots busy
        tried=tried_keys(state) | {c.key for c in queue[: state.next_index]},  # run already
    )
    queued = {c.key for c in queue}
    return [c for c in found if c.key not in queued]


def _sanitized(message: str) -> bool:
    return "Sanitizer" in message or "runtime error:" in message


def _give_up(state: DebugState, why: str, rejected: int) -> Update:
    """End the run not fixed, unless a patch only the model reviewer objected to is left:
    then that one goes back to review, to be kept.

    A small model's objection is often wrong (it vetoed correct fixes that pass
    every test); it may send the search on, but it never makes a run fix less
    than the offline run, which would have accepted the patch.
    """
    if state.objected:
        kept, objection = state.objected[0]
        return {
            "pending": [kept],
            "objected": state.objected[1:],
            "overruled": True,
            "batch": [],
            "window": 0,
            "review_notes": [
                *state.review_notes,
                f"the model reviewer objected ({objection}), but the search found no"
                " other patch that passes the visible tests, so this one is kept",
            ],
        }
    if rejected:
        why += f"; {rejected} plausible patch(es) were rejected by review"
    return {"status": "not_fixed", "stop_reason": why, "batch": []}


@timed
def validate(state: DebugState, runtime: Runtime[DebugContext]) -> Update:
    """Run the round's candidates against the visible tests, in parallel."""
    assert state.baseline is not None
    failing = [o.name for o in state.baseline.failed]
    passing = [o.name for o in state.baseline.passed]
    ctx = runtime.context
    scaled = scaled_to(ctx.options, state.baseline)
    options: RunOptions | None = scaled
    if ctx.deadline is not None:
        python = state.task.language == "python"
        runs = 2 if python and failing and passing else 1  # see fixer.validate
        options = ctx.deadline.options(
            scaled, state.task, tests=len(failing) + len(passing), runs=runs,
            startup=_startup(state, ctx),
        )  # fmt: skip
    if options is None:  # no time left for a run: the batch waits for a resume
        rewound = {"next_index": state.next_index - len(state.batch)}
        return rewound | _spent(state, ctx, _after(_count_tried(state)))
    results = validate_batch(
        state.task, _program(state), state.batch, failing, passing, options, ctx.workers
    )
    update: Update = {}
    if options is not scaled and ctx.deadline is not None:
        # A candidate whose test ran out of the time the budget cut was not
        # judged: it and the rest of the round are left for a resume, and the
        # run ends (a retry would only get less time). A Python test that ran
        # out before the budget did is taken as looping, as without a budget.
        unjudged = ctx.deadline.passed or state.task.language != "python"
        cut = next((i for i, v in enumerate(results) if v.timed_out and unjudged), None)
        if cut is not None:
            update = {"next_index": state.next_index - (len(results) - cut)}
            results = results[:cut]
            update |= _spent(state, ctx, _after(_count_tried(state) + len(results)))
    attempts = [
        Attempt.tried(v.candidate, v.plausible, v.failed, v.seconds, False) for v in results
    ]
    found = choose(results)
    pending = choose([*state.pending, *found])
    if pending and update:
        # A plausible patch found as the budget ran out is still reviewed.
        update = {"next_index": update["next_index"]}
    search = pair_up(state, results, update.get("next_index", state.next_index))
    if found and (not state.pending or state.checking):
        # The offline order's first plausible patch ends its check: its line's other
        # candidates next, as offline, then the comparison.
        search = after_plausible(state, ctx, found, search)
        if state.checking:
            search["checking"] = False
    elif state.pending:
        search["window"] = max(0, state.window - len(results))
    return (
        {
            "attempts": attempts,
            "pending": pending,
            "batch": [],
            "validations": state.validations + sum(v.runs for v in results),
        }
        | search
        | update
    )


@timed
def compare(state: DebugState, runtime: Runtime[DebugContext]) -> Update:
    """Order the plausible patches by how little they change where no failing test asked.

    They and the original run on inputs derived from the visible tests
    (:mod:`duckfix.agents.overfit`); when they disagree, the result says so.
    """
    ctx = runtime.context
    if len(state.pending) < 2 or state.baseline is None or _out_of_time(state, ctx):
        return {"window": 0}
    program = _program(state)
    found = compare_patches(
        state.task,
        program,
        [candidate_files(program, v.candidate) for v in state.pending],
        [o.name for o in state.baseline.failed],
        scaled_to(ctx.options, state.baseline),
        ctx.workers,
        origins=["model" if v.candidate.template == "llm" else "template" for v in state.pending],
    )
    pending = [state.pending[i] for i in found.order]
    update: Update = {"pending": pending, "window": 0}
    if found.disagree:
        kept = pending[0].candidate
        index = found.order[0]
        note = (
            f"{len(pending)} plausible patches disagree on {found.disagree} of {found.inputs}"
            f" inputs derived from the visible tests ({found.example}); tried first:"
            f" {kept.description}, which changes {found.changed[index]} outputs where the"
            f" visible tests pass and crashes on {found.crashed[index]}"
        )
        update["disagreements"] = [*state.disagreements, note]
    return update


@timed
def review(state: DebugState, runtime: Runtime[DebugContext]) -> Update:
    """Reject a plausible patch that special-cases the tests or guts the program.

    The offline checks judge first; a patch they accept goes to the model
    reviewer, when there is one, which may send it back to the fixer with a
    reason (at most ``llm_review_rounds`` times per run).
    """
    ctx = runtime.context
    best, rest = state.pending[0], state.pending[1:]
    program = _program(state)
    files = candidate_files(program, best.candidate)
    patch = Patch.from_sources(program, files)
    verdict = review_patch(state.task, program, files)
    update: Update = {"overruled": False} if state.overruled else {}
    if (
        verdict.verdict == "accept"
        and _chat_model(ctx)
        and not state.overruled
        and state.model_rejections < ctx.llm_review_rounds
        and not _out_of_time(state, ctx)
    ):
        assert ctx.llm is not None and state.baseline is not None
        verdict = review_with_model(ctx.llm, state.task, patch, state.baseline.outcomes)
        if verdict.objected and state.objected:
            return update | _objected_to_both(state, verdict)
        if verdict.verdict == "reject":
            update["model_rejections"] = state.model_rejections + 1
            update["objected"] = [*state.objected, (best, "; ".join(verdict.reasons))]
        if verdict.notes:
            update["review_notes"] = state.review_notes + verdict.notes
    if verdict.verdict == "reject":
        rejected = Attempt(
            template=best.candidate.template,
            description=best.candidate.description,
            path=best.candidate.path,
            line=best.candidate.line,
            outcome="rejected",
            reason="; ".join(verdict.reasons),
        )
        return update | {"pending": rest, "attempts": [rejected]}
    return update | {"pending": [], "accepted": best, "fix": files, "patch": patch}


def _objected_to_both(state: DebugState, verdict: PatchReview) -> Update:
    """The model objected to this patch too, after it sent back one the comparison put
    first: its objections do not tell the two apart, so that first one is taken.

    Otherwise an objection it could ground on one patch and not on the next
    would pick the later patch (the 1.5B coder did so on shell_sort, passing
    over a correct fix for a wrong one).
    """
    kept, objection = state.objected[0]
    note = (
        f"the model reviewer objected to {kept.candidate.description} ({objection}) and"
        f" then to {state.pending[0].candidate.description} as well, so its objections"
        " do not tell them apart: the first, which the comparison put first, is kept"
    )
    return {
        "pending": [kept, *state.pending],
        "objected": state.objected[1:],
        "overruled": True,
        "review_notes": [*state.review_notes, *verdict.notes, note],
    }


@timed
def explain_node(state: DebugState, runtime: Runtime[DebugContext]) -> Update:
    """Say why the program failed and why the fix works."""
    assert state.baseline is not None and state.patch is not None and state.accepted is not None
    # A sanitizer's report says most about a C bug: prefer the test that has one.
    failed = state.baseline.failed
    failing = next((o for o in failed if _sanitized(o.message)), failed[0] if failed else None)
    after = state.accepted.outcome
    explanation = explain(state.task, state.patch, failing, after, state.key_variables)
    ctx = runtime.context
    if _chat_model(ctx) and not _out_of_time(state, ctx):
        assert ctx.llm is not None
        explanation = explain_with_model(
            ctx.llm, state.patch, failing, after, state.key_variables, explanation
        )
    return {
        "explanation": explanation,
        "status": "fixed",
        "stop_reason": f"fixed: {state.accepted.candidate.description}",
    }
