"""What every job gets from the settings in force: sandbox options and the model client."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from duckfix.errors import failure_reason

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from duckfix.config import Settings
    from duckfix.executor import Executor
    from duckfix.llm import LLMClient
    from duckfix.models import Task
    from duckfix.remote_model import ModelRecipe
    from duckfix.runner import RunOptions
    from duckfix.store import Store

__all__ = [
    "announce_run",
    "ends_on_error",
    "executor_for",
    "executor_settings",
    "failure_reason",
    "internal_error_line",
    "max_file_bytes",
    "model_client",
    "model_recipe",
    "only_tasks",
    "run_options",
    "shared_model_limit",
]


def run_options(settings: Settings) -> RunOptions:
    """The sandbox limits and per-test timeout of a job's test runs."""
    from duckfix.runner import RunOptions, hls_include
    from duckfix.sandbox import Limits

    box = settings.sandbox
    limits = Limits(
        timeout=box.timeout,
        memory_mb=box.memory_mb,
        file_size_mb=box.file_size_mb,
        processes=box.processes,
        output_bytes=box.output_bytes,
        disk_mb=box.disk_mb,
    )
    return RunOptions(
        case_timeout=settings.case_timeout,
        limits=limits,
        isolation=box.isolation,
        hls_include=hls_include(settings.hls_include),
        build_cache=str(settings.home / "cache" / "cbuild"),
    )


def max_file_bytes(settings: Settings) -> int:
    """The largest task file a loader reads (``tasks.max_file_mb``), in bytes."""
    from duckfix.safe_files import megabytes

    return megabytes(settings.tasks.max_file_mb)


def model_client(settings: Settings, store: Store, run_id: str, no_cache: bool) -> LLMClient | None:
    """The run's LLM client, or None when the provider is ``none``."""
    if settings.llm.provider == "none":
        return None
    from duckfix.llm import make_client

    return make_client(settings.llm, store=store, run_id=run_id, read_cache=not no_cache)


def model_recipe(
    settings: Settings, run_id: str, no_cache: bool, limit: str | None = None
) -> ModelRecipe | None:
    """How a remote worker builds the run's model client, or None when the provider is ``none``.

    ``limit``: the run's cluster-wide model limit (:func:`shared_model_limit`).
    """
    if settings.llm.provider == "none":
        return None
    from duckfix.remote_model import ModelRecipe

    return ModelRecipe(
        llm=settings.llm,
        database=settings.database,
        run_id=run_id,
        read_cache=not no_cache,
        limit=limit,
    )


@contextlib.contextmanager
def shared_model_limit(settings: Settings, executor: Executor, run_id: str) -> Iterator[str | None]:
    """For the run, its ``llm.concurrency`` limit and budget shared by all its worker
    processes, by name.

    None on the local executor (its threads share the process's limit) and
    without a model. On Ray: more tasks than the limit may run, and the limit
    still holds cluster-wide.
    """
    if settings.llm.provider == "none":
        yield None
        return
    from duckfix.cluster_limit import LEASE_MARGIN, actor_name, budget_limits
    from duckfix.llm import Budget

    lease = settings.llm.timeout + LEASE_MARGIN
    budget = budget_limits(Budget.from_settings(settings.llm))
    name = actor_name(run_id)
    with executor.model_limit(name, settings.llm.concurrency, lease, budget) as held:
        yield held


def only_tasks(tasks: Sequence[Task], only: Sequence[str], suite: str) -> list[Task]:
    """The tasks named by ``--task`` options (all when none is named); a wrong name is an error."""
    if not only:
        return list(tasks)
    from duckfix.errors import NotFoundError

    missing = sorted(set(only) - {t.id for t in tasks})
    if missing:
        raise NotFoundError(f"no task {', '.join(missing)} in suite {suite!r}")
    return [t for t in tasks if t.id in only]


def announce_run(run_id: str, resume: str | None = None) -> None:
    """Say a run's id on stderr the moment it is recorded, before any of its work.

    A job killed outright (SIGKILL, a lost machine) never reaches its final
    output; this line is then all a person has to continue it with. On stderr,
    so that ``--json`` output stays one clean document. ``resume`` is the
    command that continues this kind of run (``bench``), if there is one.
    """
    import click

    hint = f" (resume with: duckfix {resume} --resume {run_id})" if resume else ""
    click.echo(f"duckfix: run {run_id}{hint}", err=True)


def internal_error_line(exc: BaseException) -> str:
    """What the command line says of a bug of ours: the reason, and what to do."""
    return (
        f"duckfix: internal error: {failure_reason(exc)}; run again with --debug "
        "(or DUCKFIX_DEBUG=1) to see the traceback, and report it"
    )


@contextlib.contextmanager
def ends_on_error(store: Store, run_id: str, resume: str | None = None) -> Iterator[None]:
    """End run ``run_id`` as interrupted or failed, with the reason, if the job raises.

    Without this a run stopped by a bad setting found late (``--provider
    openai`` without a model) stayed ``running`` in the store for ever.
    ``resume`` names the command that continues an interrupted run.
    """
    try:
        yield
    except KeyboardInterrupt as exc:
        store.finish_run(run_id, "interrupted", failure_reason(exc))
        if resume:
            import click

            click.echo(f"interrupted; continue with: duckfix {resume} --resume {run_id}", err=True)
        raise
    except Exception as exc:
        store.finish_run(run_id, "failed", failure_reason(exc))
        raise


def executor_settings(executor: str | None, ray_address: str | None) -> dict[str, str | None]:
    """The settings ``--executor`` / ``--ray-address`` override (an address means ``ray``)."""
    if ray_address is not None and executor is None:
        executor = "ray"
    return {"executor": executor, "ray_address": ray_address}


@contextlib.contextmanager
def executor_for(settings: Settings, shared: Executor | None = None) -> Iterator[Executor]:
    """The executor the settings name, for one job; a local Ray it started is stopped after.

    ``shared``: one that outlives the job (the server's), used as it is and left running.
    """
    if shared is not None:
        yield shared
        return
    from duckfix.executor import make_executor

    executor = make_executor(settings.executor, settings.ray_address, cpus=settings.jobs)
    try:
        yield executor
    finally:
        executor.close()
