"""``duckfix dataset build``: validated buggy / bug-free pairs from a suite of correct programs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from duckfix.service.params import executor_options

__all__ = ["dataset"]


@click.group()
def dataset() -> None:
    """Build datasets of validated buggy / bug-free pairs."""


@dataset.command("build")
@click.option(
    "--from",
    "suite",
    required=True,
    help="Suite of correct programs: builtin, hls, quixbugs:PATH, a folder.",
)
@click.option(
    "--lang",
    "language",
    type=click.Choice(["python", "c", "hls"]),
    help="Language of the programs (default: the suite's).",
)
@click.option(
    "--per-program",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Pairs to keep per program.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the mutant order.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write (must be new or empty).",
)
@click.option("--force", is_flag=True, help="Replace a dataset this command wrote before in --out.")
@click.option("--task", "only", multiple=True, help="Use only this task id (repeatable).")
@click.option(
    "--category",
    "categories",
    multiple=True,
    help="Inject only this category, e.g. OOB or off-by-one (repeatable).",
)
@click.option(
    "--llm",
    "llm_per_program",
    type=click.IntRange(min=0),
    default=0,
    help="Bugs to ask the model for per program (needs a model).",
)
@click.option("--provider", help="LLM provider for --llm: none, openai or local.")
@click.option("--no-cache", is_flag=True, help="Do not answer model requests from the cache.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@executor_options
@click.pass_obj
def build_cmd(
    state: Any,
    suite: str,
    language: str | None,
    per_program: int,
    seed: int,
    out: Path,
    force: bool,
    only: tuple[str, ...],
    categories: tuple[str, ...],
    llm_per_program: int,
    provider: str | None,
    no_cache: bool,
    as_json: bool,
    executor: str | None,
    ray_address: str | None,
) -> None:
    """Inject bugs into the reference programs of a suite and keep the real ones.

    A logic bug is kept when its program still compiles and a visible test now
    fails (a hang counts only for INF); a pragma bug when the file still parses.
    Writes OUT/<id>/ task folders that `duckfix bench OUT` runs, OUT/pairs.jsonl
    and OUT/summary.json. The same seed gives the same dataset.
    """
    import functools

    from rich.console import Console

    from duckfix.datasets.builder.build import BuildSpec, ProgramResult
    from duckfix.datasets.builder.categories import categories_for
    from duckfix.datasets.suites import load_suite
    from duckfix.errors import UsageError
    from duckfix.pipelines.dataset import build
    from duckfix.service.jobs import (
        announce_run,
        ends_on_error,
        executor_for,
        executor_settings,
        max_file_bytes,
        model_client,
        model_recipe,
        only_tasks,
        run_options,
        shared_model_limit,
    )
    from duckfix.store import open_store

    settings, _ = state.settings(
        **{"llm.provider": provider}, **executor_settings(executor, ray_address)
    )
    options = run_options(settings)
    loaded = load_suite(suite, options, max_bytes=max_file_bytes(settings))
    tasks = only_tasks(sorted(loaded, key=lambda t: t.id), only, suite)
    languages = sorted({t.language for t in tasks})
    if language is None:
        if len(languages) != 1:
            raise UsageError(
                f"suite {suite!r} mixes {', '.join(languages)}: choose one with --lang"
            )
        language = languages[0]
    tasks = [t for t in tasks if t.language == language]
    if not tasks:
        raise UsageError(f"suite {suite!r} has no {language} tasks")
    known = [c.name for c in categories_for(language)]
    unknown = sorted(set(categories) - set(known))
    if unknown:
        raise UsageError(
            f"no {language} category {', '.join(unknown)}; the categories are: {', '.join(known)}"
        )
    if llm_per_program and settings.llm.provider == "none":
        raise UsageError("--llm needs a model: set llm.provider (or --provider openai|local)")
    store = open_store(settings.database)
    run_id = store.start_run(
        "dataset", suite,
        {"language": language, "seed": seed, "per_program": per_program, "out": str(out.resolve()),
         "categories": list(categories), "llm": llm_per_program},
    )  # fmt: skip
    announce_run(run_id)
    spec = BuildSpec(
        suite=suite, language=language, per_program=per_program, seed=seed,
        out=out.resolve(), categories=list(categories),
    )  # fmt: skip
    err = Console(stderr=True)

    def progress(result: ProgramResult) -> None:
        store.record(run_id, result.task_id, "skipped" if result.skipped else "ok",
                     {"kept": len(result.pairs), "validated": result.validated,
                      "skipped": result.skipped, "seconds": result.seconds})  # fmt: skip
        if as_json:
            return
        if result.skipped:
            err.print(f"{result.task_id}: skipped, {result.skipped}", soft_wrap=True)
            return
        err.print(
            f"{result.task_id}: kept {len(result.pairs)} of {result.validated} validated "
            f"({result.seconds:.1f} s)",
            soft_wrap=True,
        )

    with (
        ends_on_error(store, run_id),
        executor_for(settings) as where,
        shared_model_limit(settings, where, run_id) as limit,
    ):
        client: Any = None
        if llm_per_program:
            make: Any = functools.partial(model_recipe, limit=limit)
            if not where.remote:
                make = functools.partial(model_client, store=store)
            client = make(settings, run_id=run_id, no_cache=no_cache)
        summary = build(
            tasks,
            spec,
            options,
            jobs=settings.jobs,
            client=client,
            llm_per_program=llm_per_program,
            on_program=progress,
            force=force,
            executor=where,
        )
    store.finish_run(run_id, "ok")
    if as_json:
        click.echo(json.dumps({"run_id": run_id, **summary.model_dump(mode="json")}, indent=2))
        return
    _print_summary(summary)


def _print_summary(summary: Any) -> None:
    from rich.table import Table

    from duckfix.service.consoles import console

    spec = summary.spec
    table = Table(
        "category", "candidates", "validated", "kept", "flagged by checks", "rejected (why)",
        title=f"dataset from {spec.suite} ({spec.language}), seed {spec.seed}",
    )  # fmt: skip
    for name, count in summary.categories.items():
        if not count.candidates:
            continue
        why = ", ".join(f"{reason} {n}" for reason, n in sorted(count.rejected.items()))
        table.add_row(
            name, str(count.candidates), str(count.validated), str(count.kept),
            str(count.flagged), why,
        )  # fmt: skip
    out = console()
    out.print(table)
    out.print(
        f"{summary.kept} pairs kept from {summary.programs} programs; {summary.validated} "
        f"mutants validated in {summary.seconds:.1f} s ({summary.validated_per_second:.2f}/s). "
        f"Wrote {summary.spec.out}",
        soft_wrap=True,
    )
