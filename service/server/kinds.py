"""What a worker does for each kind of job: the CLI's own function, and its ``--json``.

Each runner calls the function the command calls (:func:`recorded_review`
for ``duckfix review``, …), so a job's ``result`` is the document the CLI
prints with ``--json`` for the same input, and the pipelines are wired once.
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from duckfix.errors import UsageError
from duckfix.review_settings import REVIEW_CHECKS
from duckfix.service.server.models import BenchRequest, DebugOptions, DebugRequest, ReviewRequest
from duckfix.service.server.queue import Claim
from duckfix.service.server.workers import JobControl, JobOutcome, Runner

if TYPE_CHECKING:
    from duckfix.config import Settings
    from duckfix.models import Task
    from duckfix.service.server.executors import ServerExecutor
    from duckfix.store import Store

__all__ = ["RESUMABLE", "check_bench", "check_review", "load_debug_task", "repo_path", "runners"]


def _without_model(settings: Settings) -> Settings:
    return settings.model_copy(update={"llm": settings.llm.model_copy(update={"provider": "none"})})


def check_review(request: ReviewRequest, settings: Settings) -> None:
    """Refuse, before a job is made, what the review could never run."""
    unknown = sorted(set(request.checks or ()) - set(REVIEW_CHECKS))
    if unknown:
        raise UsageError(f"unknown checks {', '.join(unknown)}; known: {', '.join(REVIEW_CHECKS)}")
    if request.repo is not None:
        repo_path(request.repo, settings)


def repo_path(repo: str, settings: Settings) -> Path:
    """``repo`` resolved, if it lies under one of the ``server.repo_roots``."""
    roots = [Path(r).expanduser().resolve() for r in settings.server.repo_roots]
    if not roots:
        raise UsageError("this server reviews no repository on its disk (server.repo_roots)")
    path = Path(repo).expanduser().resolve()
    if not any(path == root or path.is_relative_to(root) for root in roots):
        raise UsageError(f"{repo}: not under the server's repository roots (server.repo_roots)")
    return path


def review_runner(settings: Settings, store: Store) -> Runner:
    """Run a review job: ``duckfix review --json`` on the diff, mbox or range it carries."""

    def run(claim: Claim, control: JobControl) -> JobOutcome:
        from duckfix.pipelines.review import inputs
        from duckfix.service.review_cmd import recorded_review, review_exit_code, review_json

        request = ReviewRequest.model_validate(claim.request)
        check_review(request, settings)
        review = dataclasses.replace(
            settings.review,
            **{k: v for k, v in (("checks", tuple(request.checks or ()) or None),
                                 ("strict", request.strict)) if v is not None},
        )  # fmt: skip
        chosen = settings.model_copy(update={"review": review})
        if request.no_model:
            chosen = _without_model(chosen)
        git_repo: Any = None
        if request.repo is not None and request.range is not None:
            git_repo = inputs.open_repo(repo_path(request.repo, settings))
            reviews = [inputs.from_range(git_repo, request.range)]
            label = request.label or request.range
        else:
            text = request.diff if request.diff is not None else request.mbox
            label = request.label or ("diff" if request.diff is not None else "mbox")
            reviews = inputs.from_text(text or "", label)
        control.check()
        _run_id, outcomes = recorded_review(
            reviews, chosen, git_repo, label, store, announce=control.set_run_id
        )
        for outcome in outcomes:
            counts = {s: sum(f.severity == s for f in outcome.findings)
                      for s in ("error", "warning", "note")}  # fmt: skip
            control.emit("reviewed", {"patch": outcome.review.label, "counts": counts})
        threshold = request.fail_on or chosen.review.block_on
        return JobOutcome(
            result=review_json(outcomes, label),
            exit_code=review_exit_code(outcomes, threshold, chosen.review.strict),
        )

    return run


def load_debug_task(request: dict[str, Any], folder: Path, settings: Settings) -> tuple[Task, str]:
    """The task a debug job's request carries, written into the new ``folder``; and its label.

    The request holds the files themselves (not a path on one server's disk),
    so any server sharing the store can run the job, or take it over.
    """
    from duckfix.datasets.adhoc import task_from_program
    from duckfix.datasets.folder import load_task
    from duckfix.service.jobs import max_file_bytes
    from duckfix.service.server.uploads import write_files

    limit = max_file_bytes(settings)
    if request.get("source") == "folder":
        root = write_files(request["files"], folder)
        return load_task(root, max_bytes=limit), request.get("name") or "task"
    body = DebugRequest.model_validate(_options(request))
    name = body.filename
    files = {name: body.program}
    tests = cases = None
    if body.tests is not None:
        files[f"test_{Path(name).stem}.py"] = body.tests
        tests = folder / f"test_{Path(name).stem}.py"
    else:
        files["cases.jsonl"] = body.cases or ""
        cases = folder / "cases.jsonl"
    write_files(files, folder)
    task = task_from_program(folder / name, tests=tests, cases=cases, entry=body.entry,
                             max_bytes=limit)  # fmt: skip
    return task, name


def _options(request: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in request.items() if k not in ("source", "files", "name")}


def debug_runner(settings: Settings, store: Store) -> Runner:
    """Run a debug job: ``duckfix debug --json``; a job taken over resumes its checkpoint."""
    savers: list[Any] = []  # one checkpoint saver for the server's life, made on first use
    lock = threading.Lock()

    def saver() -> Any:
        from duckfix.service.debug_cmd import _checkpointer

        with lock:
            if not savers:
                savers.append(_checkpointer(settings.database))
            return savers[0]

    def run(claim: Claim, control: JobControl) -> JobOutcome:
        import tempfile

        from duckfix.service.debug_cmd import (
            DebugBudget,
            debug_exit_code,
            debug_json,
            recorded_debug,
        )
        from duckfix.service.server.events import StepEvents

        options = DebugOptions.model_validate(
            {k: v for k, v in _options(claim.request).items() if k in DebugOptions.model_fields}
        )
        chosen = _without_model(settings) if options.no_model else settings
        budget = DebugBudget(options.max_candidates, options.max_seconds, options.llm_first)
        with tempfile.TemporaryDirectory(prefix="duckfix-job-") as scratch:
            task, label = load_debug_task(claim.request, Path(scratch) / "task", settings)
            run = recorded_debug(
                chosen, store, budget, task=task, target=label, config={"job": claim.job_id},
                resume_id=claim.run_id, on_step=StepEvents(control).step,
                announce=control.set_run_id, checkpointer=saver(),
            )  # fmt: skip
        return JobOutcome(debug_json(run.run_id, run.result, False), debug_exit_code(run.result))

    return run


def bench_runner(settings: Settings, store: Store, executor: ServerExecutor) -> Runner:
    """Run a bench job: ``duckfix bench run --json``; a job taken over skips the tasks done.

    Its tasks run where the server's ``executor`` setting says (Ray tasks with ``ray``).
    """

    def run(claim: Claim, control: JobControl) -> JobOutcome:
        from duckfix.service.bench_cmd import BenchHooks, BenchPlan, bench_json, recorded_bench
        from duckfix.service.server.events import task_event

        request = BenchRequest.model_validate(claim.request)
        check_bench(request, settings)
        chosen = _without_model(settings) if request.no_model else settings
        plan = BenchPlan(suite=request.suite, only=tuple(request.tasks or ()),
                         limit=request.limit, llm_first=request.llm_first,
                         max_candidates=request.max_candidates,
                         max_seconds=request.max_seconds)  # fmt: skip
        hooks = BenchHooks(
            announce=control.set_run_id,
            started=lambda _task: control.check(),
            landed=lambda result: control.emit("task", task_event(result)),
        )
        done = recorded_bench(
            chosen, store, plan, resume_id=claim.run_id, hooks=hooks, executor=executor.get()
        )
        return JobOutcome(bench_json(done), 1 if done.below else 0)

    return run


def check_bench(request: BenchRequest, settings: Settings) -> None:
    """Only the suites the server offers: built in, or named in ``server.suites``."""
    from duckfix.datasets.suites import BUILTIN_SUITES

    offered = (*BUILTIN_SUITES, *settings.server.suites)
    if request.suite not in offered:
        raise UsageError(f"no suite {request.suite!r} on this server; it has {', '.join(offered)}")


def runners(settings: Settings, store: Store, executor: ServerExecutor) -> dict[str, Runner]:
    """Every kind's runner; bench jobs' tasks go to the server's ``executor``."""
    return {
        "review": review_runner(settings, store),
        "debug": debug_runner(settings, store),
        "bench": bench_runner(settings, store, executor),
    }


RESUMABLE = frozenset({"debug", "bench"})
"""Kinds whose job continues from its checkpoint when a server takes it over."""
