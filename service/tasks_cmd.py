"""``duckfix tasks``: list and check suites of tasks, scaffold a new one."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from duckfix.service.params import SECONDS

__all__ = ["tasks"]


@click.group()
def tasks() -> None:
    """Work with task suites: builtin, quixbugs:PATH, or a folder of tasks."""


@tasks.command("list")
@click.argument("suite")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def list_cmd(state: Any, suite: str, as_json: bool) -> None:
    """List the tasks of SUITE."""
    from duckfix.datasets.suites import load_suite
    from duckfix.service.jobs import max_file_bytes, run_options

    settings, _ = state.settings()
    found = load_suite(suite, run_options(settings), max_bytes=max_file_bytes(settings))
    rows: list[dict[str, Any]] = [
        {
            "id": t.id,
            "category": t.category,
            "visible": len(t.visible),
            "hidden": len(t.hidden),
            "fixed": t.fixed is not None,
            "description": t.description,
        }
        for t in found
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    from rich.table import Table
    from rich.text import Text

    from duckfix.service.consoles import add_row, console

    table = Table("task", "category", "visible", "hidden", "description", title=Text(suite))
    for row in rows:
        add_row(
            table,
            row["id"],
            row["category"],
            str(row["visible"]),
            str(row["hidden"]),
            row["description"],
        )
    console().print(table)


@tasks.command("check")
@click.argument("suite")
@click.option("--task", "only", multiple=True, help="Check only this task id (repeatable).")
@click.option("--case-timeout", type=SECONDS, help="Seconds per test case.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def check_cmd(
    state: Any, suite: str, only: tuple[str, ...], case_timeout: float | None, as_json: bool
) -> None:
    """Run every buggy program and reference fix of SUITE against its tests.

    A task is ok when its buggy program fails at least one test and its
    reference fix passes them all. Exit code 1 if any task is not ok.
    """
    from duckfix.datasets.check import check_suite
    from duckfix.datasets.suites import load_suite
    from duckfix.service.jobs import (
        announce_run,
        ends_on_error,
        max_file_bytes,
        only_tasks,
        run_options,
    )
    from duckfix.store import open_store

    settings, _ = state.settings(case_timeout=case_timeout)
    options = run_options(settings)
    loaded = load_suite(suite, options, max_bytes=max_file_bytes(settings))
    found = only_tasks(loaded, only, suite)
    from duckfix.sandbox import isolation_mode

    isolation = isolation_mode(options.isolation)
    store = open_store(settings.database)
    run_id = store.start_run(
        "tasks-check",
        suite,
        {"case_timeout": options.case_timeout, "tasks": len(found), "isolation": isolation},
    )
    announce_run(run_id)
    from rich.console import Console
    from rich.progress import Progress

    err = Console(stderr=True)
    with Progress(console=err, transient=True, disable=as_json or not err.is_terminal) as bar:
        job = bar.add_task(f"checking {len(found)} tasks", total=len(found))

        def landed(result: Any) -> None:
            store.record(run_id, result.id, result.verdict, result.model_dump(mode="json"))
            bar.advance(job)

        with ends_on_error(store, run_id):
            results = check_suite(found, options, settings.jobs, landed)
    bad = [r for r in results if r.verdict != "ok"]
    store.finish_run(run_id, "failed" if bad else "ok")
    if as_json:
        click.echo(json.dumps([r.model_dump(mode="json") for r in results], indent=2))
    else:
        _print_table(suite, results)
        where = store.engine.url.render_as_string(hide_password=True)
        err.print(f"sandbox isolation: {isolation}", soft_wrap=True)
        err.print(f"stored as run {run_id} in {where}", soft_wrap=True)
    if bad:
        sys.exit(1)


def _print_table(suite: str, results: list[Any]) -> None:
    from rich.table import Table
    from rich.text import Text

    from duckfix.service.consoles import add_row, console

    table = Table(title=Text(f"tasks check {suite}"))
    for name in ("task", "category"):
        table.add_column(name)
    for name in ("visible fail/pass", "hidden fail/pass", "fix", "time"):
        table.add_column(name, justify="right")
    table.add_column("verdict")
    for r in results:
        fix = "-"
        if r.fixed_visible is not None and r.fixed_hidden is not None:
            total = r.fixed_visible.passed + r.fixed_hidden.passed
            fails = r.fixed_visible.failed + r.fixed_hidden.failed
            fix = f"{total}/{total + fails}"
        verdict = Text("ok", "green") if r.verdict == "ok" else Text("BAD", "red")
        if r.problems:
            verdict.append(" " + "; ".join(r.problems))
        add_row(
            table,
            r.id,
            r.category,
            f"{r.buggy_visible.failed}/{r.buggy_visible.passed}",
            f"{r.buggy_hidden.failed}/{r.buggy_hidden.passed}",
            fix,
            f"{r.seconds:.1f}s",
            verdict,
        )
    out = console()
    out.print(table)
    ok = sum(r.verdict == "ok" for r in results)
    out.print(f"{ok}/{len(results)} tasks ok")


@tasks.command("new")
@click.option(
    "--from", "program", required=True, type=click.Path(dir_okay=False),
    help="The program (a .c file with its own main()) to make a task of.",
)  # fmt: skip
@click.option("--lang", "language", default="c", show_default=True, help="c or hls.")
@click.option("--out", type=click.Path(file_okay=False), help="Task folder (default: ./NAME).")
@click.option(
    "--run", "runs", multiple=True, metavar="'ARGS'",
    help="A run's arguments, as a shell line (repeatable; one run per --run).",
)  # fmt: skip
@click.option(
    "--stdin", "stdins", multiple=True, type=click.Path(dir_okay=False, exists=True),
    help="A file given as stdin: once for every run, or once per --run.",
)  # fmt: skip
@click.option("--hidden", type=click.IntRange(min=0), help="Runs (the last) kept hidden.")
@click.option("--unit", is_flag=True, help="Compile the sources as one translation unit.")
@click.option("--flag", "flags", multiple=True, help="An extra compiler flag (repeatable).")
@click.option("--no-sanitize", is_flag=True, help="Build without ASan / UBSan.")
@click.option("--case-timeout", type=SECONDS, help="Seconds per run.")
@click.pass_obj
def new_cmd(
    state: Any, program: str, language: str, out: str | None, runs: tuple[str, ...],
    stdins: tuple[str, ...], hidden: int | None, unit: bool, flags: tuple[str, ...],
    no_sanitize: bool, case_timeout: float | None,
) -> None:  # fmt: skip
    """Make a golden-output task folder from PROGRAM's own main().

    Copies the program and the files it includes into fixed/ and buggy/, runs
    it in the sandbox with each run's arguments and stdin, and records what it
    printed as the expected output.
    """
    from pathlib import Path

    from pydantic import ValidationError

    from duckfix.build_config import BuildConfig
    from duckfix.datasets.scaffold import NewTask, scaffold_task
    from duckfix.errors import UsageError
    from duckfix.service.jobs import run_options

    settings, _ = state.settings(case_timeout=case_timeout)
    try:
        build = BuildConfig(
            unit=unit, flags=list(flags), sanitize=[] if no_sanitize else ["address", "undefined"]
        )
    except ValidationError as exc:
        raise UsageError(f"--flag {exc.errors()[0]['msg'].removeprefix('Value error, ')}") from exc
    texts = []
    for path in stdins:
        try:
            texts.append(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"--stdin {path}: cannot read it as UTF-8 text ({exc})") from exc
    source = Path(program)
    spec = NewTask(
        program=source, out=Path(out) if out else Path(source.stem), runs=runs, stdins=texts,
        hidden=hidden, language=language, build=build,
    )  # fmt: skip
    done = scaffold_task(spec, run_options(settings))
    click.echo(
        f"wrote {done.folder}: {len(done.files)} files, {done.visible} visible and "
        f"{done.hidden} hidden runs, expected outputs recorded from the program"
    )
    click.echo(
        f"buggy/ is a copy of fixed/: put the bug in {done.folder / 'buggy'} "
        f"(`duckfix tasks check {done.folder}` says BAD until a visible run fails)"
    )
