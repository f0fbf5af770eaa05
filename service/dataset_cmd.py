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
@click.option(
    "--resume",
    "resume_id",
    metavar="RUN_ID",
    help="Continue a stopped build with its own settings, skipping the programs it has.",
)
@executor_options
@click.pass_obj
def build_cmd(
    state: Any,
    suite: str | None,
    language: str | None,
    per_program: int,
    seed: int,
    out: Path | None,
    force: bool,
    only: tuple[str, ...],
    categories: tuple[str, ...],
    llm_per_program: int,
    provider: str | None,
    no_cache: bool,
    as_json: bool,
    resume_id: str | None,
    executor: str | None,
    ray_address: str | None,
) -> None:
    """Inject bugs into the reference programs of a suite and keep the real ones.

    A logic bug is kept when its program still compiles and a visible test now
    fails (a hang counts only for INF); a pragma bug when the file still parses.
    Writes OUT/<id>/ task folders that `duckfix bench OUT` runs, OUT/pairs.jsonl
    and OUT/summary.json. The same seed gives the same dataset. Each program's
    pairs are recorded as it lands: `--resume RUN_ID` finishes a stopped build.
    """
    import functools

    from rich.console import Console

    from duckfix.datasets.builder.build import BuildSpec, ProgramResult
    from duckfix.datasets.builder.categories import categories_for
    from duckfix.datasets.suites import load_suite
    from duckfix.errors import NotFoundError, UsageError
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
    store = open_store(settings.database)
    done: dict[str, ProgramResult] | None = None
    if resume_id is not None:
        record = store.get_run(resume_id)
        if record.kind != "dataset":
            raise NotFoundError(f"run {resume_id} is a {record.kind} run, not a dataset build")
        config = record.config
        if suite is not None and suite != record.target:
            raise UsageError(f"run {resume_id} built from {record.target!r}, not {suite!r}")
        if out is not None and str(out.resolve()) != config["out"]:
            raise UsageError(f"run {resume_id} writes to {config['out']}, not {out}")
        suite, out, language = record.target, Path(config["out"]), config["language"]
        seed, per_program = config["seed"], config["per_program"]
        categories, llm_per_program = tuple(config["categories"]), config["llm"]
        only = tuple(config.get("only", ())) or only
        done = {
            item: ProgramResult.model_validate(data)
            for item, (_status, data) in store.results(resume_id).items()
            if "task_id" in data  # a row of the whole result (older runs kept counts only)
        }
    elif suite is None or out is None:
        raise UsageError("give --from SUITE and --out FOLDER (or --resume RUN_ID)")
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
    if resume_id is None:
        run_id = store.start_run(
            "dataset", suite,
            {"language": language, "seed": seed, "per_program": per_program,
             "out": str(out.resolve()), "categories": list(categories), "llm": llm_per_program,
             "only": list(only)},
        )  # fmt: skip
    else:
        run_id = resume_id
    announce_run(run_id, resume="dataset build")
    spec = BuildSpec(
        suite=suite, language=language, per_program=per_program, seed=seed,
        out=out.resolve(), categories=list(categories),
    )  # fmt: skip
    err = Console(stderr=True)

    def progress(result: ProgramResult) -> None:
        # The whole result, pairs included: a resumed build writes them with the rest.
        store.record(run_id, result.task_id, "skipped" if result.skipped else "ok",
                     result.model_dump(mode="json"))  # fmt: skip
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
        ends_on_error(store, run_id, resume="dataset build"),
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
            done=done,
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
