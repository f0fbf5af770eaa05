"""``duckfix review``: review a diff, a patch e-mail, a commit range or the staged changes."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from duckfix.findings import SEVERITIES
from duckfix.pipelines.review.run import blocking, not_run
from duckfix.service.params import executor_options

if TYPE_CHECKING:
    from duckfix.config import Settings
    from duckfix.patches import Review
    from duckfix.pipelines.review.run import ReviewOutcome

__all__ = [
    "blocking",
    "emit",
    "recorded_review",
    "review",
    "review_exit_code",
    "review_json",
    "run_reviews",
]

FORMATS = ("terminal", "json", "sarif", "b4")
_HLS_RUN = "hls-review"
"""The store's kind of a ``--hls-dataset`` run."""
MAX_PATCH_BYTES = 64 * 1024 * 1024
"""A patch file or stdin larger than this is refused: no reviewable series is that big,
and every stage after this one would hold it in memory."""


@click.command()
@click.argument("patches", nargs=-1, metavar="[PATCH]...")
@click.option("--range", "rev_range", metavar="A..B", help="Review the commits in A..B.")
@click.option("--staged", is_flag=True, help="Review what `git commit` would commit now.")
@click.option(
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    help="The repository (default: the one holding the current folder).",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="terminal", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="The same as --format json.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
@click.option("--checks", help="Comma-separated checks to run (default: review.checks).")
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "note", "never"]),
    help="Exit 1 on a finding this severe or worse (default: review.block_on).",
)
@click.option(
    "--provider", type=click.Choice(["none", "openai", "local"]), help="LLM for the reviewer."
)
@click.option("--no-cache", is_flag=True, help="Do not answer model calls from the cache.")
@click.option(
    "--server",
    metavar="URL",
    help="Review on this duckfix server (default: server.url); the output is the same.",
)
@click.option(
    "--explain-conventions",
    is_flag=True,
    help="Print the commit conventions learned from the repository's history, and stop.",
)
@click.option(
    "--hls-dataset",
    type=click.Path(path_type=Path),
    help="Measure instead: which bugs of a Chrysalis HLS_Bug_Dataset folder the checks flag.",
)
@click.option(
    "--resume",
    "resume_id",
    metavar="RUN_ID",
    help="With --hls-dataset: continue a stopped measurement, skipping the bugs it has.",
)
@executor_options
@click.pass_obj
def review(
    state: Any,
    patches: tuple[str, ...],
    rev_range: str | None,
    staged: bool,
    repo: Path | None,
    fmt: str,
    as_json: bool,
    output: Path | None,
    checks: str | None,
    fail_on: str | None,
    provider: str | None,
    no_cache: bool,
    explain_conventions: bool,
    hls_dataset: Path | None,
    executor: str | None,
    ray_address: str | None,
    resume_id: str | None = None,
    server: str | None = None,
) -> None:
    """Review PATCH files (diffs or patch e-mails, - for stdin), --range A..B, or --staged.

    Several patch files are reviewed as one series, like `git am 000*.patch`.
    Findings sit on the lines the patch adds. Exit code 1 when a finding is at
    or above --fail-on, 2 for bad input, 0 otherwise. With --hls-dataset PATH,
    count per Chrysalis category the injected bugs the rule checks flag on the
    right line (a measurement: exit code 0).
    """
    from duckfix.errors import UsageError
    from duckfix.pipelines.review import inputs

    if as_json:
        if fmt not in ("terminal", "json"):
            raise UsageError(f"--json and --format {fmt} ask for two formats: choose one")
        fmt = "json"
    if patches.count("-") > 1:
        raise UsageError("stdin (-) can be read once: give it once")
    if hls_dataset is not None:
        if patches or rev_range or staged:
            raise UsageError("--hls-dataset is reviewed on its own: drop PATCH, --range, --staged")
        runs_on = (executor, ray_address)
        _measure_hls_dataset(state, hls_dataset, fmt, output, checks, runs_on, resume_id)
        return
    if executor or ray_address or resume_id:
        raise UsageError("--executor, --ray-address and --resume go with --hls-dataset")
    if explain_conventions:
        _explain_conventions(state, repo, rev_range)
        return
    given = [x for x in (patches, rev_range, staged or None) if x]
    if len(given) != 1:
        raise UsageError(
            "say what to review: PATCH files (or - for stdin), --range A..B or --staged"
        )
    # A named repository's own duckfix.toml applies, wherever the command runs from.
    where = repo.expanduser() if repo is not None else None
    settings, _ = state.settings(cwd=where, **{"llm.provider": provider, "review.checks": checks})
    from duckfix.service.remote import server_url

    if (url := server_url(settings, server)) is not None:
        if staged:
            raise UsageError(
                "--staged reads this machine's index; with a server: git diff --cached | "
                "duckfix review --server URL -"
            )
        read = [_read_patch(patch) for patch in patches]
        code = _review_on_server(state, settings, url, read, rev_range, repo, fmt, output, fail_on)
        if code:
            sys.exit(code)
        return
    git_repo = None
    if rev_range or staged:
        git_repo = inputs.open_repo(repo or Path.cwd())
        reviews = [
            inputs.from_range(git_repo, rev_range) if rev_range else inputs.from_staged(git_repo)
        ]
    else:
        read = [_read_patch(patch) for patch in patches]  # every file checked before any review
        try:
            git_repo = inputs.open_repo(repo or Path.cwd())
        except UsageError:
            git_repo = None  # a patch outside any repository: reviewed from its hunks
        reviews = [r for text, name in read for r in inputs.from_text(text, name, git_repo)]
    label = rev_range or ("staged changes" if staged else ", ".join(map(_read_label, patches)))
    from duckfix.service.jobs import announce_run
    from duckfix.store import open_store

    store = open_store(settings.database)
    _run_id, outcomes = recorded_review(
        reviews, settings, git_repo, label, store, no_cache=no_cache, announce=announce_run
    )
    emit(outcomes, fmt, output, label=label, strict=settings.review.strict)
    if settings.review.strict:
        _say_not_run(outcomes)
    code = review_exit_code(outcomes, fail_on or settings.review.block_on, settings.review.strict)
    if code:
        sys.exit(code)


def _say_not_run(outcomes: Sequence[ReviewOutcome]) -> None:
    """Under review.strict: the checks that could not run, on one line of stderr."""
    if missed := not_run(outcomes):
        click.echo(
            f"duckfix: {len(missed)} check(s) could not run (review.strict): "
            + "; ".join(f"{m.check} on {m.path}: {m.reason}" for m in missed[:3]),
            err=True,
        )


def _review_on_server(
    state: Any,
    settings: Settings,
    url: str,
    read: Sequence[tuple[str, str]],
    rev_range: str | None,
    repo: Path | None,
    fmt: str,
    output: Path | None,
    fail_on: str | None,
) -> int:
    """``duckfix review --server``: the same review on ``url``, shown as a local run shows it.

    ``--json`` prints the server's document as it came (it is what a local
    ``--json`` prints); the other formats render the outcomes rebuilt from it.
    """
    from duckfix.service.remote.client import ServerClient
    from duckfix.service.remote.progress import live_view
    from duckfix.service.remote.review import outcomes_from_json, review_body, run_remote

    sent = review_body(settings, fail_on, texts=read, rev_range=rev_range, repo=repo)
    with ServerClient.from_settings(settings, url) as client:
        document, code = run_remote(client, sent.body, live_view(state, fmt == "json", "review"))
    outcomes = outcomes_from_json(document, sent.reviews)
    if fmt == "json":
        text = json.dumps(document, indent=2, ensure_ascii=False)
        if output:
            output.write_text(text + "\n", encoding="utf-8")
        else:
            click.echo(text)
    else:
        emit(outcomes, fmt, output, strict=settings.review.strict)
    if settings.review.strict:
        _say_not_run(outcomes)
    return code


def recorded_review(
    reviews: Sequence[Review],
    settings: Settings,
    git_repo: Any,
    label: str,
    store: Any,
    *,
    no_cache: bool = False,
    announce: Callable[[str], None] | None = None,
) -> tuple[str, list[ReviewOutcome]]:
    """Review as a recorded run (the CLI's and the server's way): its id and the outcomes.

    ``announce`` hears the run's id as soon as it is recorded.
    """
    from duckfix.service.jobs import ends_on_error

    run_id = store.start_run("review", label, {"checks": list(settings.review.checks)})
    if announce is not None:
        announce(run_id)
    with ends_on_error(store, run_id):
        outcomes = run_reviews(reviews, settings, git_repo, no_cache=no_cache, run=(store, run_id))
    for number, outcome in enumerate(outcomes, 1):
        counts = {s: sum(f.severity == s for f in outcome.findings) for s in SEVERITIES}
        item = f"{number}: {outcome.review.label}"  # two patches may share a subject
        store.record(run_id, item, "ok", {"findings": counts})
    store.finish_run(run_id, "ok")
    return run_id, outcomes


def review_exit_code(outcomes: Sequence[ReviewOutcome], threshold: str, strict: bool) -> int:
    """1 when a finding is at or above ``threshold``, or (``strict``) a check could not run."""
    failed = threshold != "never" and bool(blocking(outcomes, threshold))
    return 1 if failed or (strict and bool(not_run(outcomes))) else 0


def review_json(outcomes: Sequence[ReviewOutcome], label: str | None = None) -> dict[str, Any]:
    """What ``duckfix review --json`` prints for these outcomes (one object, any number)."""
    from duckfix.pipelines.review.render import Report, json_document

    reports = [Report.from_outcome(o) for o in outcomes]
    return json_document(reports, label if len(reports) > 1 else None)


def _explain_conventions(state: Any, repo: Path | None, rev_range: str | None) -> None:
    """What the review learns from the history before ``rev_range`` (or up to HEAD)."""
    from duckfix.conventions import conventions_for, describe
    from duckfix.pipelines.review import inputs

    where = repo.expanduser() if repo is not None else None
    settings, _ = state.settings(cwd=where)
    git_repo = inputs.open_repo(where or Path.cwd())
    top = git_repo.top or git_repo.git_dir
    before = "HEAD"
    if rev_range:
        review = inputs.from_range(git_repo, rev_range)
        first = review.commits[0].sha if review.commits else None
        before = f"{first}^" if first else before
    learned = conventions_for(top, before, settings.review.history)
    click.echo(f"conventions of {top} (history before {before}):")
    for line in describe(learned):
        click.echo(f"  {line}")


def _read_label(patch: str | None) -> str:
    return "stdin" if patch in (None, "-") else Path(patch).name


def _read_patch(patch: str) -> tuple[str, str]:
    """The text of a patch file (or ``-``, stdin) and its label; never a FIFO, never unbounded."""
    import os

    from duckfix.errors import NotFoundError, PatchError
    from duckfix.safe_files import read_file

    if patch == "-":
        text = sys.stdin.read(MAX_PATCH_BYTES + 1)
        if len(text) > MAX_PATCH_BYTES:
            raise PatchError(
                f"stdin: over the {MAX_PATCH_BYTES >> 20} MB limit; review it in parts"
            )
        return text, "stdin"
    path = Path(patch)
    if not os.path.lexists(path):
        raise NotFoundError(f"{patch}: no such file")
    data = read_file(
        path,
        max_bytes=MAX_PATCH_BYTES,
        hint="review it in parts",
        error=PatchError,
        hard_links=False,
    )
    return data.decode("utf-8", errors="replace"), path.name


def _measure_hls_dataset(
    state: Any,
    path: Path,
    fmt: str,
    output: Path | None,
    checks: str | None,
    where: tuple[str | None, str | None],
    resume_id: str | None,
) -> None:
    """Review each bug of a Chrysalis dataset with the rule checks; print counts per category.

    A recorded run: each bug file's results are stored as they land, so a run
    stopped midway continues with ``--resume`` (the checks it ran with are kept).
    """
    import shlex

    from duckfix.datasets.chrysalis import scan_chrysalis
    from duckfix.errors import NotFoundError, UsageError
    from duckfix.pipelines.review.hls_dataset import (
        BugResult,
        dataset_checks,
        measure_folder,
        render_table,
    )
    from duckfix.service.jobs import (
        announce_run,
        ends_on_error,
        executor_for,
        executor_settings,
        max_file_bytes,
    )
    from duckfix.store import open_store

    if fmt not in ("terminal", "json"):
        raise UsageError(f"--hls-dataset reports as terminal or json, not {fmt}")
    settings, _ = state.settings(**{"review.checks": checks}, **executor_settings(*where))
    max_bytes = max_file_bytes(settings)
    # Only the folders are listed here; the workers read and apply the bugs they review.
    dataset = scan_chrysalis(path.expanduser(), max_bytes=max_bytes)
    names = dataset_checks(settings.review, chosen=checks is not None)
    target = str(dataset.root.resolve())
    store = open_store(settings.database)
    done: dict[str, list[BugResult]] = {}
    if resume_id is not None:
        record = store.get_run(resume_id)
        if record.kind != _HLS_RUN:
            raise NotFoundError(f"run {resume_id} is a {record.kind} run, not a --hls-dataset run")
        if record.target != target:
            raise UsageError(f"run {resume_id} measured {record.target}, not {target}")
        if checks is not None and names != record.config["checks"]:
            raise UsageError(
                f"run {resume_id} ran the checks {','.join(record.config['checks'])}: "
                "resume it without --checks"
            )
        names = list(record.config["checks"])
        for item, (_status, data) in store.results(resume_id).items():
            done[item] = [BugResult.model_validate(bug) for bug in data["bugs"]]
        run_id = resume_id
    else:
        run_id = store.start_run(_HLS_RUN, target, {"checks": names})
    again = f"review --hls-dataset {shlex.quote(str(path))}"
    announced = False

    def keep(files: list[tuple[str, list[BugResult]]]) -> None:
        nonlocal announced
        # The id once there is something to resume: a file a worker refuses
        # (a link in the dataset) is then one line of error, as for bad input.
        if not announced:
            announce_run(run_id, resume=again)
            announced = True
        # One commit a part: a part is up to 16 bug files.
        rows = [
            (key, "ok", {"bugs": [r.model_dump(mode="json") for r in found]})
            for key, found in files
        ]
        store.record_many(run_id, rows)

    with ends_on_error(store, run_id, resume=again), executor_for(settings) as executor:
        report = measure_folder(
            dataset,
            settings.review,
            names,
            jobs=settings.jobs,
            executor=executor,
            max_bytes=max_bytes,
            done=done,
            keep=keep,
        )
    store.finish_run(run_id, "ok")
    if fmt == "json":
        text = report.model_dump_json(indent=2)
        if output:
            output.write_text(text + "\n", encoding="utf-8")
        else:
            click.echo(text)
        return
    from rich.console import Console

    handle = output.open("w", encoding="utf-8") if output else None
    try:
        render_table(report, Console(file=handle, highlight=False, soft_wrap=bool(handle)))
    finally:
        if handle:
            handle.close()


def run_reviews(
    reviews: Sequence[Review],
    settings: Settings,
    repo: Any,
    *,
    no_cache: bool = False,
    deadline: float | None = None,
    run: tuple[Any, str] | None = None,
) -> list[ReviewOutcome]:
    """Each review through the graph when a model is configured, else directly (no LangGraph).

    ``run`` is the (store, run id) the model's usage is recorded under; with a
    model and none given, a run is recorded here (the hook's case).
    """
    if settings.llm.provider == "none" or "model" not in settings.review.checks:
        from duckfix.pipelines.review.run import run_review

        return [run_review(r, settings.review, repo) for r in reviews]
    from duckfix.pipelines.review.graph import ReviewContext, review_patch
    from duckfix.service.jobs import model_client
    from duckfix.store import open_store

    own = run is None
    if run is None:
        store = open_store(settings.database)
        run = (store, store.start_run("review", ", ".join(r.label for r in reviews), {}))
    store, run_id = run
    context = ReviewContext(
        settings=settings.review,
        repo=repo,
        llm=model_client(settings, store, run_id, no_cache),
        deadline=deadline,
    )
    outcomes = [review_patch(r, context) for r in reviews]
    if own:
        store.finish_run(run_id, "ok")
    return outcomes


def emit(
    outcomes: Sequence[ReviewOutcome],
    fmt: str,
    output: Path | None = None,
    *,
    label: str | None = None,
    strict: bool = False,
) -> None:
    """Write the outcomes in ``fmt`` to ``output``, else stdout.

    JSON is always one object (several reviews, an mbox of patches, are its
    ``patches``); SARIF is one log with a run per review; b4 one list with
    every patch's entries.
    """
    from duckfix.pipelines.review.render import (
        Report,
        render_b4,
        render_sarif,
        render_terminal,
    )

    reports = [Report.from_outcome(o) for o in outcomes]
    for report in reports:
        report.strict = strict
    if fmt == "terminal":
        from rich.console import Console

        from duckfix.service.consoles import console as make_console

        handle = output.open("w", encoding="utf-8") if output else None
        # Piped or written to a file, lines are never cut at 80 columns.
        console = (
            Console(file=handle, highlight=False, soft_wrap=True) if handle else make_console()
        )
        try:
            for report in reports:
                render_terminal(report, console)
        finally:
            if handle:
                handle.close()
        return
    if fmt == "json":
        text = json.dumps(review_json(outcomes, label), indent=2, ensure_ascii=False)
    elif fmt == "sarif":
        logs = [json.loads(render_sarif(r)) for r in reports]
        log = logs[0]
        log["runs"] = [run for each in logs for run in each["runs"]]
        text = json.dumps(log, indent=2, ensure_ascii=False)
    else:
        items = [item for r in reports for item in json.loads(render_b4(r))]
        text = json.dumps(items, indent=2, ensure_ascii=False)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
    else:
        click.echo(text)
