"""``duckfix debug``: find the faulty lines, a validated fix, and why."""

from __future__ import annotations

import contextlib
import gc
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from duckfix.budgets import MAX_CANDIDATES, MAX_SECONDS
from duckfix.service.params import SECONDS

if TYPE_CHECKING:
    from duckfix.config import Settings
    from duckfix.models import Task
    from duckfix.pipelines.debug.state import DebugResult
    from duckfix.store import Store

__all__ = [
    "DebugBudget",
    "DebugRun",
    "debug",
    "debug_exit_code",
    "debug_json",
    "recorded_debug",
]


@click.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--tests", type=click.Path(path_type=Path), help="Pytest file for PROGRAM.py.")
@click.option("--cases", type=click.Path(path_type=Path), help="JSON-lines cases for PROGRAM.py.")
@click.option("--entry", help="Function the cases call (default: the file's name).")
@click.option("--apply", "apply_fix", is_flag=True, help="Write the fix into the program file.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--resume", "resume_id", help="Continue an interrupted run.")
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
    default=MAX_CANDIDATES,
    show_default=True,
    help="Candidate patches to validate: the budget that decides.",
)
@click.option(
    "--max-seconds",
    type=SECONDS,
    default=MAX_SECONDS,
    show_default=True,
    help="Wall-clock safety cap.",
)
@click.option(
    "--server",
    metavar="URL",
    help="Debug on this duckfix server (default: server.url); the output is the same.",
)
@click.pass_obj
def debug(
    state: Any,
    path: Path | None,
    tests: Path | None,
    cases: Path | None,
    entry: str | None,
    apply_fix: bool,
    as_json: bool,
    resume_id: str | None,
    provider: str | None,
    llm_first: bool,
    no_cache: bool,
    max_candidates: int,
    max_seconds: float,
    server: str | None = None,
) -> None:
    """Debug PATH: a task folder, or a program with --tests or --cases.

    Prints the ranked suspect lines, the fix as a diff, an explanation, and what
    it cost. Exit code 0 when fixed (or nothing fails), 1 when not fixed.
    """
    # --max-seconds is the user's wall clock: loading the task counts too.
    started = time.monotonic()
    from duckfix.errors import NotFoundError, UsageError
    from duckfix.service.jobs import announce_run, max_file_bytes
    from duckfix.store import open_store

    settings, _ = state.settings(**{"llm.provider": provider})
    budget = DebugBudget(max_candidates, max_seconds, llm_first, no_cache)
    from duckfix.service.remote import server_url

    if (url := server_url(settings, server)) is not None:
        if resume_id is not None or path is None:
            raise UsageError("with --server give a task folder or a program (a server resumes "
                             "its own jobs)")  # fmt: skip
        code = _debug_on_server(state, settings, url, budget, path, tests, cases, entry,
                                apply_fix, as_json)  # fmt: skip
        if code:
            sys.exit(code)
        return
    store = open_store(settings.database)

    view = live(state, as_json)
    shown = contextlib.ExitStack()

    def announce(run_id: str) -> None:
        announce_run(run_id, "debug")
        shown.enter_context(view)  # the live view starts once the run id is said

    if resume_id is not None:
        if path is not None:
            raise UsageError("--resume takes the run id alone, without PATH")
        record = store.get_run(resume_id)
        if record.kind != "debug":
            raise NotFoundError(f"run {resume_id} is a {record.kind} run, not a debug run")
        target = Path(record.config["apply_to"])
        user_paths = record.config.get("user_paths", {})
        with shown:
            run = recorded_debug(settings, store, budget, resume_id=resume_id,
                                 on_step=view.step, announce=announce)  # fmt: skip
    else:
        if path is None:
            raise UsageError("give a task folder or a program file to debug (see --help)")
        with _no_cyclic_gc():
            task, target = _load(path, tests, cases, entry, max_file_bytes(settings))
        user_paths = _user_paths(path, tests)
        config = {"apply_to": str(target.resolve()), "user_paths": user_paths}
        with shown:
            run = recorded_debug(
                settings, store, budget, task=task, target=str(path), config=config,
                started=started, on_step=view.step, announce=announce,
            )  # fmt: skip
    run_id, result = run.run_id, run.result
    applied = False
    if apply_fix and result.fix is not None:
        program_key = _program_key(result.fix, target)
        _write_fix(target, result.fix[program_key])
        applied = True
    usage = result.llm_usage.model_dump() if run.with_model else None
    if as_json:
        click.echo(json.dumps(debug_json(run_id, result, applied), indent=2))
    else:
        from duckfix.service.debug_render import render

        render(result, run_id, applied, target, usage, user_paths)
    if debug_exit_code(result):
        sys.exit(1)


def _debug_on_server(
    state: Any,
    settings: Settings,
    url: str,
    budget: DebugBudget,
    path: Path,
    tests: Path | None,
    cases: Path | None,
    entry: str | None,
    apply_fix: bool,
    as_json: bool,
) -> int:
    """``duckfix debug --server``: the run on ``url``, shown (and applied) as a local run is.

    The task is loaded here first, by the same rules, so a bad one is the same
    error as a local run's before anything is sent.
    """
    from duckfix.errors import UsageError
    from duckfix.pipelines.debug.state import DebugResult
    from duckfix.service.debug_render import render
    from duckfix.service.jobs import max_file_bytes
    from duckfix.service.remote.client import ServerClient
    from duckfix.service.remote.debug import (
        DebugSend,
        folder_archive,
        program_body,
        run_remote_debug,
    )
    from duckfix.service.remote.progress import live_view

    if budget.no_cache:
        raise UsageError("--no-cache is about this machine's cache; a server keeps its own")
    limit = max_file_bytes(settings)
    with _no_cyclic_gc():
        _task, target = _load(path, tests, cases, entry, limit)
    options = {
        "max_candidates": budget.max_candidates,
        "max_seconds": budget.max_seconds,
        "llm_first": budget.llm_first,
        "no_model": settings.llm.provider == "none",
    }
    user_paths: dict[str, str] = {}
    if path.is_dir():
        send = DebugSend(options, archive=folder_archive(path))
    else:
        send = DebugSend(options, program=program_body(path, tests, cases, entry, limit))
        # The server names the tests file after the program: show the user's name for it.
        user_paths = {path.name: str(path)}
        if tests is not None:
            user_paths[f"tests/test_{path.stem}.py"] = str(tests)
    with ServerClient.from_settings(settings, url) as client:
        document, code = run_remote_debug(client, send, live_view(state, as_json, "debug"))
    run_id = str(document.get("run_id"))
    fields = {k: v for k, v in document.items() if k not in ("run_id", "applied")}
    result = DebugResult.model_validate(fields)
    applied = False
    if apply_fix and result.fix is not None:
        _write_fix(target, result.fix[_program_key(result.fix, target)])
        applied = True
    if as_json:
        click.echo(json.dumps(debug_json(run_id, result, applied), indent=2))
    else:
        usage = result.llm_usage.model_dump() if settings.llm.provider != "none" else None
        render(result, run_id, applied, target, usage, user_paths)
    return code


@dataclass(frozen=True)
class DebugBudget:
    """What one debug run may spend, and how it uses the model (the flags of ``duckfix debug``)."""

    max_candidates: int = MAX_CANDIDATES
    max_seconds: float = MAX_SECONDS
    llm_first: bool = False
    no_cache: bool = False


@dataclass(frozen=True)
class DebugRun:
    """A recorded debug run: its id, its result, and whether a model took part."""

    run_id: str
    result: DebugResult
    with_model: bool


def recorded_debug(
    settings: Settings,
    store: Store,
    budget: DebugBudget,
    *,
    task: Task | None = None,
    target: str = "",
    config: dict[str, Any] | None = None,
    resume_id: str | None = None,
    started: float | None = None,
    on_step: Callable[[str, dict[str, Any]], None] | None = None,
    announce: Callable[[str], None] | None = None,
    checkpointer: Any = None,
) -> DebugRun:
    """Debug ``task`` as a recorded run (the CLI's and the server's way), or resume one.

    With ``resume_id`` the run continues from its last checkpoint; a run that
    has none yet starts over from ``task`` under the same id, if ``task`` is
    given (a server that died before the first step ended), and is
    :class:`NotFoundError` otherwise. ``announce`` hears the run's id before
    any work; ``on_step`` each step as it ends. ``checkpointer``: the saver to
    use (a server keeps one for all its jobs), else one on ``settings.database``.
    """
    from duckfix.errors import NotFoundError
    from duckfix.pipelines.debug import DebugContext
    from duckfix.pipelines.debug.graph import debug_task, resume_task
    from duckfix.service.jobs import ends_on_error, model_client, run_options

    checkpointer = checkpointer or _checkpointer(settings.database)
    if resume_id is None:
        assert task is not None
        run_id = store.start_run(
            "debug", target, {**(config or {}), "max_candidates": budget.max_candidates}
        )
    else:
        run_id = resume_id
    if announce is not None:
        announce(run_id)
    with ends_on_error(store, run_id, resume="debug"):
        context = DebugContext(
            options=run_options(settings),
            max_candidates=budget.max_candidates,
            max_seconds=budget.max_seconds,
            workers=settings.jobs,
            llm=model_client(settings, store, run_id, budget.no_cache),
            llm_first=budget.llm_first,
            llm_rounds=settings.llm.fixer_rounds,
            llm_samples=settings.llm.fixer_samples,
        )
        result = None
        if resume_id is not None:
            result = resume_task(resume_id, checkpointer, context, on_step=on_step)
        if result is None and task is None:
            raise NotFoundError(f"run {resume_id} has no checkpoint to resume from")
        if result is None:
            assert task is not None
            result = debug_task(task, None, context, checkpointer, thread_id=run_id,
                                started=started, on_step=on_step)  # fmt: skip
    store.record(run_id, result.task_id, result.status, result.model_dump(mode="json"))
    store.finish_run(run_id, result.status)
    return DebugRun(run_id, result, context.llm is not None)


def debug_json(run_id: str, result: DebugResult, applied: bool) -> dict[str, Any]:
    """What ``duckfix debug --json`` prints."""
    return {"run_id": run_id, "applied": applied, **result.model_dump(mode="json")}


def debug_exit_code(result: DebugResult) -> int:
    """0 when fixed or nothing fails, 1 otherwise (as ``duckfix debug`` exits)."""
    return 0 if result.status in ("fixed", "no_failure") else 1


def _load(
    path: Path, tests: Path | None, cases: Path | None, entry: str | None, max_bytes: int
) -> tuple[Any, Path]:
    """The task to debug and the file a fix would be written into."""
    from duckfix.errors import NotFoundError, UsageError

    if path.is_dir():
        if tests is not None or cases is not None or entry is not None:
            raise UsageError("--tests, --cases and --entry go with a program file, not a folder")
        from duckfix.datasets.folder import load_task

        task = load_task(path, max_bytes=max_bytes)
        return task, path / "buggy" / task.program
    if not path.exists():
        raise NotFoundError(f"{path} does not exist")
    from duckfix.datasets.adhoc import task_from_program

    task = task_from_program(path, tests=tests, cases=cases, entry=entry, max_bytes=max_bytes)
    return task, path


def live(state: Any, as_json: bool) -> Any:
    """The live view of the run's steps: on a terminal, unless --json or -q."""
    from duckfix.service.consoles import console
    from duckfix.service.debug_progress import DebugProgress

    err = console(stderr=True)
    return DebugProgress(
        err,
        enabled=err.is_terminal and not as_json and state.verbosity >= 0,
        verbose=state.verbosity > 0,
    )


def _user_paths(path: Path, tests: Path | None) -> dict[str, str]:
    """The task layout's paths -> the paths the user typed, to show theirs, not ours."""
    if path.is_dir():
        return {}
    from duckfix.datasets.adhoc import test_layout_path

    shown = {path.name: str(path)}
    if tests is not None:
        shown[test_layout_path(tests)] = str(tests)
    return shown


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector, for work that builds many objects and no cycles.

    The loader parses the program (``ast`` trees: a million nodes for a 5 MB
    module, freed by reference counting); the collector would rescan them
    over and over, doubling the time the parse takes.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _program_key(fix: dict[str, str], target: Path) -> str:
    if target.name in fix:
        return target.name
    matches = [k for k in fix if k.endswith("/" + target.name)]
    return matches[0] if matches else next(iter(fix))


def _checkpointer(database: str) -> Any:
    from duckfix.agents.fixer import Validation
    from duckfix.agents.localizer import KeyVariable
    from duckfix.agents.pairs import Partial
    from duckfix.agents.templates import Candidate
    from duckfix.checkpoints import open_checkpointer
    from duckfix.models import (
        Explanation,
        Patch,
        Suspect,
        Task,
        TestCase,
        TestOutcome,
        TestReport,
        TestSet,
    )
    from duckfix.pipelines.debug.state import Attempt

    allowed = [Task, TestSet, TestCase, TestReport, TestOutcome, Suspect, Patch, Explanation]
    ours = [Candidate, Validation, KeyVariable, Attempt, Partial]
    return open_checkpointer(database, [*allowed, *ours])


def _write_fix(target: Path, text: str) -> None:
    """Write the fix over ``target``, never through a link put there while the run went on."""
    import os
    import stat

    from duckfix.errors import UsageError

    try:
        fd = os.open(target, os.O_WRONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise UsageError(f"{target}: cannot write the fix: {exc.strerror}") from exc
    with os.fdopen(fd, "wb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UsageError(f"{target}: not a regular file any more; the fix was not written")
        fh.truncate(0)
        fh.write(text.encode("utf-8"))
