"""``duckfix bench``: measure repair over a suite; ``duckfix bench report``: write it up."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import click

from duckfix.budgets import MAX_CANDIDATES, MAX_SECONDS
from duckfix.service.params import SECONDS

__all__ = ["bench"]


class BenchGroup(click.Group):
    """``duckfix bench SUITE [options]`` means ``duckfix bench run SUITE [options]``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group(cls=BenchGroup)
def bench() -> None:
    """Run the debugger over a suite and judge its fixes on hidden tests."""


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
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON lines.")
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
) -> None:
    """Debug every task of SUITE (builtin, quixbugs:PATH, or a folder of tasks)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from duckfix.datasets.suites import load_suite
    from duckfix.environment import folder_problem
    from duckfix.errors import NotFoundError, UsageError
    from duckfix.pipelines.bench import BenchContext, BenchResult, run_bench
    from duckfix.pipelines.debug import DebugContext
    from duckfix.service.jobs import (
        announce_run,
        max_file_bytes,
        model_client,
        only_tasks,
        run_options,
    )
    from duckfix.store import open_store

    settings, _ = state.settings(jobs=jobs, **{"llm.provider": provider})
    store = open_store(settings.database)
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
    announce_run(run_id, "bench")
    out = out or settings.home / "bench" / run_id
    out.mkdir(parents=True, exist_ok=True)
    results_file = out / "results.jsonl"
    (out / "run.json").write_text(json.dumps({"run_id": run_id, "suite": suite}, indent=2))
    lock = threading.Lock()
    err = Console(stderr=True)
    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=as_json or not err.is_terminal,
    )
    workers = max(1, (os.cpu_count() or 1) // jobs)
    debug_context = DebugContext(
        options=options,
        max_candidates=max_candidates,
        max_seconds=max_seconds,
        workers=workers,
        llm=model_client(settings, store, run_id, no_cache),
        llm_first=llm_first,
    )
    with progress:
        bar = progress.add_task(f"bench {suite}", total=len(tasks), completed=len(done))

        def keep(result: BenchResult) -> None:
            # Each result is kept the moment it lands, so an interrupted run resumes.
            with lock:
                store.record(run_id, result.task_id, result.status, result.model_dump(mode="json"))
                with results_file.open("a", encoding="utf-8") as fh:
                    fh.write(result.model_dump_json() + "\n")
                progress.advance(bar)

        try:
            new = run_bench(tasks, BenchContext(debug=debug_context, record=keep), jobs, list(done))
        except KeyboardInterrupt:
            store.finish_run(run_id, "interrupted")
            err.print(f"interrupted; continue with: duckfix bench --resume {run_id}")
            raise
    results = {**done, **new}
    ordered = [results[t.id] for t in tasks if t.id in results]
    store.finish_run(run_id, "ok")
    if as_json:
        for r in ordered:
            click.echo(r.model_dump_json())
        return
    _print_summary(suite, ordered, with_model=debug_context.llm is not None)
    if debug_context.llm is not None:
        rows = store.llm_usage(run_id)
        hits = sum(r.cached for r in rows)
        err.print(
            f"model: {len(rows) - hits} requests sent, {hits} answered from the cache",
            soft_wrap=True,
        )
    err.print(f"results in {results_file}; run {run_id}", soft_wrap=True)
    err.print(f"report: duckfix bench report {run_id}", soft_wrap=True)


def _print_summary(suite: str, results: list[Any], *, with_model: bool = False) -> None:
    from rich.table import Table

    from duckfix.pipelines.bench import summarize
    from duckfix.service.tasks_cmd import console

    table = Table(title=f"bench {suite}")
    table.add_column("category")
    names = ["tasks", "plausible", "correct", "median s", "candidates"]
    if with_model:
        names += ["by model", "calls / task", "tokens / task"]
    for name in names:
        table.add_column(name, justify="right")
    rows = summarize(results)
    for row in rows:
        style = "bold" if row.category == "all" else None
        cells = [
            row.category,
            str(row.tasks),
            str(row.plausible),
            str(row.correct),
            f"{row.median_seconds:.1f}",
            f"{row.mean_candidates:.0f}",
        ]
        if with_model:
            cells += [
                str(row.by_model),
                f"{row.llm_calls / row.tasks:.1f}",
                f"{row.llm_tokens / row.tasks:.0f}",
            ]
        table.add_row(*cells, style=style)
    console().print(table)


@bench.command("report")
@click.argument("run_id")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Report folder.")
@click.pass_obj
def report_cmd(state: Any, run_id: str, out: Path | None) -> None:
    """Write report.md and report.html, with plots, for bench run RUN_ID."""
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
    folder = out or settings.home / "bench" / run_id
    paths = write_report(record, results, folder)
    for path in paths:
        click.echo(str(path))
