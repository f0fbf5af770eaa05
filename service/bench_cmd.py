"""``duckfix bench``: measure repair over a suite; ``duckfix bench report``: write it up."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from duckfix.budgets import MAX_CANDIDATES, MAX_SECONDS
from duckfix.service.params import SECONDS, executor_options

if TYPE_CHECKING:
    from duckfix.config import Settings
    from duckfix.executor import Executor
    from duckfix.models import Task
    from duckfix.pipelines.bench import BenchResult
    from duckfix.store import Store

__all__ = ["BenchHooks", "BenchPlan", "BenchRun", "bench", "bench_json", "recorded_bench"]


class BenchGroup(click.Group):
    """``duckfix bench SUITE [options]`` means ``duckfix bench run SUITE [options]``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group(cls=BenchGroup)
def bench() -> None:
    """Run the debugger over a suite and judge its fixes on hidden tests.

    \b
    duckfix bench builtin                     the built-in suite (bench run builtin)
    duckfix bench builtin --by task           which task failed, and why
    duckfix bench ./tasks --fail-under 80     exit 1 under 80 % correct (CI)
    duckfix bench --resume RUN_ID             continue a stopped run
    duckfix bench report RUN_ID               report.md and report.html
    duckfix bench review --repo R --range A..B   the review, over a history
    """


def _add_review() -> None:
    from duckfix.service.bench_review_cmd import bench_review

    bench.add_command(bench_review)


_add_review()


@bench.command("run")
@click.argument("suite", required=False)
@click.option(
    "--jobs", "-j", type=click.IntRange(min=1), help="Tasks at once (default: the jobs setting)."
)
@click.option("--limit", type=click.IntRange(min=1), help="Only the first K tasks (by id).")
@click.option("--task", "only", multiple=True, help="Only this task id (repeatable).")
@click.option("--resume", "resume_id", help="Continue run RUN_ID, skipping finished tasks.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Results folder.")
@click.option(
    "--provider",
    type=click.Choice(["none", "openai", "local"]),
    help="LLM (default: llm.provider).",
)
@click.option("--llm-first", is_flag=True, help="Ask the model before the patch templates.")
@click.option("--no-cache", is_flag=True, help="Do not answer model calls from the cache.")
@click.option(
    "--max-candidates",
    type=click.IntRange(min=1),
    help=f"Candidates per task: the budget that decides (default {MAX_CANDIDATES}).",
)
@click.option(
    "--max-seconds",
    type=SECONDS,
    help=f"Wall-clock safety cap per task (default {MAX_SECONDS:g}).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the results as JSON lines (with the run id)."
)
@click.option(
    "--by",
    type=click.Choice(["category", "task"]),
    default="category",
    show_default=True,
    help="The final table: a row per category, or per task with why each is not correct.",
)
@click.option(
    "--fail-under",
    type=click.FloatRange(min=0, max=100),
    help="Exit 1 when fewer than this percentage of the tasks are correct (for CI).",
)
@executor_options
@click.pass_obj
def run_cmd(
    state: Any,
    suite: str | None,
    jobs: int | None,
    limit: int | None,
    only: tuple[str, ...],
    resume_id: str | None,
    out: Path | None,
    provider: str | None,
    llm_first: bool,
    no_cache: bool,
    max_candidates: int | None,
    max_seconds: float | None,
    as_json: bool,
    by: str,
    fail_under: float | None,
    executor: str | None,
    ray_address: str | None,
) -> None:
    """Debug every task of SUITE (builtin, quixbugs:PATH, or a folder of tasks).

    Each task's outcome is printed as it lands; the run is stored, so a run
    that was stopped continues where it was. The exit code is 0 whether or
    not the tasks were fixed (it is a measurement); give --fail-under for CI.

    \b
    duckfix bench builtin                     the built-in suite
    duckfix bench builtin --by task           which task failed, and why
    duckfix bench ./tasks --fail-under 80     exit 1 under 80 % correct
    duckfix bench --resume RUN_ID             continue a stopped run
    duckfix bench report RUN_ID               report.md and report.html
    """
    from duckfix.service.bench_view import (
        BenchProgress,
        print_agent_values,
        print_by_task,
        print_summary,
    )
    from duckfix.service.consoles import console
    from duckfix.service.jobs import announce_run, executor_settings
    from duckfix.store import open_store

    settings, _ = state.settings(
        jobs=jobs, **{"llm.provider": provider}, **executor_settings(executor, ray_address)
    )
    store = open_store(settings.database)
    err = console(stderr=True)
    shown = contextlib.ExitStack()
    views: list[BenchProgress] = []

    def begin(name: str, total: int, done: int) -> None:
        view = BenchProgress(err, f"bench {name}", total, done,
                             quiet=as_json or state.verbosity < 0)  # fmt: skip
        views.append(shown.enter_context(view))

    hooks = BenchHooks(
        announce=lambda run_id: announce_run(run_id, "bench"),
        begin=begin,
        started=lambda task: views[0].started(task),
        landed=lambda result: views[0].landed(result),
    )
    plan = BenchPlan(suite=suite, only=only, limit=limit, out=out, llm_first=llm_first,
                     no_cache=no_cache, max_candidates=max_candidates, max_seconds=max_seconds,
                     fail_under=fail_under)  # fmt: skip
    with shown:
        run = recorded_bench(settings, store, plan, resume_id=resume_id, hooks=hooks)
    if as_json:
        for line in bench_json(run):
            click.echo(json.dumps(line))
    else:
        out_console = console()
        if by == "task":
            print_by_task(out_console, run.suite, run.results)
        else:
            print_summary(out_console, run.suite, run.results, with_model=run.with_model)
        if run.with_model:
            print_agent_values(out_console, run.results)
            rows = store.llm_usage(run.run_id)
            hits = sum(r.cached for r in rows)
            err.print(f"model: {len(rows) - hits} requests sent, {hits} answered from the cache")
        err.print(f"results in {run.results_file}; run {run.run_id}")
        err.print(f"report: duckfix bench report {run.run_id}")
    if run.below:
        err.print(f"{run.share:.1f} % of the tasks are correct, under --fail-under {fail_under:g}")
        sys.exit(1)


@dataclass(frozen=True, kw_only=True)
class BenchPlan:
    """What a bench run covers and may spend: the flags of ``duckfix bench run``."""

    suite: str | None
    only: tuple[str, ...] = ()
    limit: int | None = None
    out: Path | None = None
    llm_first: bool = False
    no_cache: bool = False
    max_candidates: int | None = None
    max_seconds: float | None = None
    fail_under: float | None = None


@dataclass(frozen=True, kw_only=True)
class BenchHooks:
    """Who hears of a bench run as it goes: its id, its size, each task begun and landed."""

    announce: Callable[[str], None] | None = None
    begin: Callable[[str, int, int], None] | None = None
    """Called with the suite, the tasks in all, and those a resumed run already has."""
    started: Callable[[Task], None] | None = None
    landed: Callable[[BenchResult], None] | None = None


@dataclass(frozen=True)
class BenchRun:
    """A finished bench run: its id, its results in task order, where they are written."""

    run_id: str
    suite: str
    results: list[BenchResult]
    results_file: Path
    with_model: bool
    share: float
    below: bool
    """Fewer tasks are correct than ``fail_under`` asked for."""


def recorded_bench(
    settings: Settings,
    store: Store,
    plan: BenchPlan,
    *,
    resume_id: str | None = None,
    hooks: BenchHooks | None = None,
    executor: Executor | None = None,
) -> BenchRun:
    """Benchmark a suite as a recorded run (the CLI's and the server's way), or resume one.

    A resumed run keeps its suite, task list and budgets, and skips the
    tasks it already has results for. ``executor``: one the caller keeps
    running across runs (the server's); by default the settings' own, for
    this run.
    """
    from duckfix.datasets.suites import load_suite
    from duckfix.environment import folder_problem
    from duckfix.errors import NotFoundError, UsageError
    from duckfix.pipelines.bench import BenchContext, BenchResult, run_bench
    from duckfix.pipelines.debug import DebugContext
    from duckfix.service.bench_view import share_correct
    from duckfix.service.jobs import (
        ends_on_error,
        executor_for,
        max_file_bytes,
        model_client,
        model_recipe,
        only_tasks,
        run_options,
        shared_model_limit,
    )

    hooks = hooks or BenchHooks()
    suite, only, limit, out = plan.suite, plan.only, plan.limit, plan.out
    max_candidates, max_seconds = plan.max_candidates, plan.max_seconds
    done: dict[str, BenchResult] = {}
    if resume_id is not None:
        record = store.get_run(resume_id)
        if record.kind != "bench":
            raise NotFoundError(f"run {resume_id} is a {record.kind} run, not a bench run")
        if suite is not None and suite != record.target:
            raise UsageError(f"run {resume_id} benchmarked {record.target!r}, not {suite!r}")
        suite, run_id = record.target, resume_id
        limit = record.config.get("limit") if limit is None else limit
        only = tuple(record.config.get("only", ())) or only
        out = Path(record.config["out"]) if out is None and record.config.get("out") else out
        max_candidates = max_candidates or record.config.get("max_candidates")
        max_seconds = max_seconds or record.config.get("max_seconds")
        for item, (_status, data) in store.results(run_id).items():
            done[item] = BenchResult.model_validate(data)
    elif suite is None:
        raise UsageError("give a SUITE to benchmark (builtin, quixbugs:PATH, a folder)")
    max_candidates = max_candidates or MAX_CANDIDATES
    max_seconds = max_seconds or MAX_SECONDS
    options = run_options(settings)
    loaded = load_suite(suite, options, max_bytes=max_file_bytes(settings))
    tasks = only_tasks(sorted(loaded, key=lambda t: t.id), only, suite)
    if limit is not None:
        tasks = tasks[:limit]
    if out is not None and (problem := folder_problem(out, missing_ok=True)) is not None:
        raise UsageError(f"--out {out}: {problem}")  # before a run is recorded for nothing
    jobs = settings.jobs
    if resume_id is None:
        run_id = store.start_run(
            "bench",
            suite,
            {"limit": limit, "only": list(only), "jobs": jobs, "max_candidates": max_candidates,
             "max_seconds": max_seconds, "case_timeout": options.case_timeout,
             "out": str(out.resolve()) if out else ""},
        )  # fmt: skip
    if hooks.announce is not None:
        hooks.announce(run_id)
    with ends_on_error(store, run_id, resume="bench"):
        out = out or settings.home / "bench" / run_id
        out.mkdir(parents=True, exist_ok=True)
        results_file = out / "results.jsonl"
        (out / "run.json").write_text(json.dumps({"run_id": run_id, "suite": suite}, indent=2))
        lock = threading.Lock()
        # On Ray each task gets one CPU of its own (declared), so it validates one at a time.
        remote = settings.executor == "ray"
        workers = 1 if remote else max(1, (os.cpu_count() or 1) // jobs)
        debug_context = DebugContext(
            options=options,
            max_candidates=max_candidates,
            max_seconds=max_seconds,
            workers=workers,
            llm=model_client(settings, store, run_id, plan.no_cache),
            llm_first=plan.llm_first,
            llm_rounds=settings.llm.fixer_rounds,
            llm_samples=settings.llm.fixer_samples,
        )
        if hooks.begin is not None:
            hooks.begin(suite, len(tasks), len(done))

        def keep(result: BenchResult) -> None:
            # Each result is kept the moment it lands, so an interrupted run resumes.
            with lock:
                data = result.model_dump(mode="json")
                store.record(run_id, result.task_id, result.status, data)
                with results_file.open("a", encoding="utf-8") as fh:
                    fh.write(result.model_dump_json() + "\n")
            if hooks.landed is not None:
                hooks.landed(result)

        with (
            executor_for(settings, executor) as where,
            shared_model_limit(settings, where, run_id) as shared,
        ):
            context = BenchContext(
                debug=debug_context, record=keep, started=hooks.started, executor=where,
                model=model_recipe(settings, run_id, plan.no_cache, shared) if remote else None,
            )  # fmt: skip
            new = run_bench(tasks, context, jobs, list(done))
    results = {**done, **new}
    ordered = [results[t.id] for t in tasks if t.id in results]
    share = share_correct(ordered)
    fail_under = plan.fail_under
    below = fail_under is not None and share < fail_under
    store.finish_run(
        run_id, "failed" if below else "ok", f"{share:.1f} % correct, under {fail_under:g} %"
        if below else "",
    )  # fmt: skip
    return BenchRun(run_id, suite, ordered, results_file, debug_context.llm is not None,
                    share, below)  # fmt: skip


def bench_json(run: BenchRun) -> list[dict[str, Any]]:
    """What ``duckfix bench run --json`` prints: a line per task, each with the run id."""
    return [{"run_id": run.run_id, **r.model_dump(mode="json")} for r in run.results]


@bench.command("report")
@click.argument("run_id")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Report folder (default: the run's results folder).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the written files as JSON.")
@click.pass_obj
def report_cmd(state: Any, run_id: str, out: Path | None, as_json: bool) -> None:
    """Write report.md and report.html, with plots, for bench run RUN_ID.

    They go next to the run's results.jsonl (its --out folder, if it had one).
    """
    from duckfix.errors import NotFoundError
    from duckfix.pipelines.bench import BenchResult
    from duckfix.service.report import write_report
    from duckfix.store import open_store

    settings, _ = state.settings()
    store = open_store(settings.database)
    record = store.get_run(run_id)
    if record.kind != "bench":
        raise NotFoundError(f"run {run_id} is a {record.kind} run, not a bench run")
    results = [BenchResult.model_validate(d) for _s, d in store.results(run_id).values()]
    if not results:
        raise NotFoundError(f"run {run_id} has no results yet")
    folder = out or Path(record.config.get("out") or settings.home / "bench" / run_id)
    paths = write_report(record, results, folder)
    if as_json:
        click.echo(json.dumps({"run_id": run_id, "files": [str(p) for p in paths]}, indent=2))
        return
    for path in paths:
        click.echo(str(path))
