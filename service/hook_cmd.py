"""``duckfix hook``: install the pre-push hook, and the command the hook runs."""

from __future__ import annotations

import os
import sys
import threading
import time
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

__all__ = ["hook"]


@click.group()
def hook() -> None:
    """The git pre-push hook that reviews what you push."""


@hook.command("install")
@click.option("--force", is_flag=True, help="Replace a pre-push hook that is not duckfix's.")
@click.option("--chain", is_flag=True, help="Keep an existing hook and run it before duckfix.")
@click.option(
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    help="The repository (default: the one holding the current folder).",
)
def install(force: bool, chain: bool, repo: Path | None) -> None:
    """Write .git/hooks/pre-push so that every `git push` is reviewed first."""
    from duckfix.errors import UsageError
    from duckfix.pipelines.review.inputs import open_repo
    from duckfix.service.hook import install_hook

    if force and chain:
        raise UsageError("--force replaces the existing hook and --chain keeps it: choose one")
    path, done = install_hook(open_repo(repo or Path.cwd()), force=force, chain=chain)
    click.echo(f"{path}: {done}")
    click.echo("skip a push with: git push --no-verify   (or DUCKFIX_SKIP=1 git push)")


@hook.command("uninstall")
@click.option(
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    help="The repository (default: the one holding the current folder).",
)
def uninstall(repo: Path | None) -> None:
    """Remove duckfix's pre-push hook, restoring the hook it replaced or chained."""
    from duckfix.pipelines.review.inputs import open_repo
    from duckfix.service.hook import uninstall_hook

    path, done = uninstall_hook(open_repo(repo or Path.cwd()))
    click.echo(f"{path}: {done}")


@hook.command("pre-push")
@click.argument("remote", required=False, default="origin")
@click.argument("url", required=False, default="")
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "note", "never"]),
    help="Block on a finding this severe or worse (default: review.block_on); "
    "pre-commit users set it in args:.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the outcome as one JSON object on stdout (the review's, with blocked and why).",
)
@click.option(
    "--server",
    metavar="URL",
    help="Review on this duckfix server (default: server.url); reviewed here without the "
    "model if it does not answer within review.time_limit.",
)
@click.pass_obj
def pre_push(
    state: Any,
    remote: str,
    url: str,
    fail_on: str | None,
    as_json: bool,
    server: str | None = None,
) -> None:
    """Review the commits git is about to push (git's ref lines on stdin); exit 1 blocks it."""
    from duckfix.pipelines.review.inputs import open_repo
    from duckfix.service.hook import (
        parse_push_lines,
        refs_from_pre_commit,
        reviews_for_push,
        skip_requested,
    )
    from duckfix.service.review_cmd import blocking, not_run, run_reviews

    if skip_requested():
        click.echo("duckfix: review skipped (DUCKFIX_SKIP=1)", err=True)
        _print_json(as_json, remote, [], skipped=True)
        return
    refs = refs_from_pre_commit(os.environ)
    if refs is None:
        refs = parse_push_lines(sys.stdin.read())
    remote = os.environ.get("PRE_COMMIT_REMOTE_NAME", remote)
    under_pre_commit = _under_pre_commit(os.environ)
    if not refs:
        # git itself may call the hook with nothing to send: then silence. Run by
        # hand (pre-commit run --hook-stage pre-push) there is no push to review,
        # and "Passed" alone would suggest there was.
        if under_pre_commit:
            click.echo(
                "duckfix: reviewed nothing: no commits are being pushed "
                "(give pre-commit --from-ref and --to-ref to review a range)",
                err=True,
            )
        _print_json(as_json, remote, [])
        return
    # Every push pays for this command's start: the review's modules (pydantic
    # above all) load on a second thread while git lists what the push sends.
    preload = threading.Thread(target=_preload, daemon=True)
    preload.start()
    repo = open_repo(Path.cwd())
    reviews = reviews_for_push(repo, refs, remote)
    preload.join()
    if not reviews:
        _print_json(as_json, remote, [])
        return
    settings, _ = state.settings()
    outcomes = _on_server(settings, server, repo, reviews, fail_on)
    if outcomes is None:
        deadline = time.monotonic() + settings.review.time_limit
        outcomes = run_reviews(reviews, settings, repo, deadline=deadline)
    block_on = fail_on or settings.review.block_on
    stopped = [] if block_on == "never" else blocking(outcomes, block_on)
    # A push is interrupted only by what matters: warnings and worse are shown
    # in full, notes alone get one line with a command that shows them. A check
    # that could not run is the user's setup, not the push's: said only under
    # review.strict, where it blocks.
    # With --json the findings are in the document; stderr keeps the verdict.
    shown = [] if as_json else [o for o in outcomes if blocking([o], "warning")]
    for outcome in [] if as_json else outcomes:
        if outcome in shown or not outcome.findings:
            continue
        where = outcome.review.range_spec or "HEAD~1..HEAD"
        click.echo(
            f"duckfix: {len(outcome.findings)} note(s); see them with: "
            f"duckfix review --range {where}",
            err=True,
        )
    missed = not_run(outcomes) if settings.review.strict else []
    for run in missed:
        click.echo(f"duckfix: {run.check} could not run on {run.path}: {run.reason}", err=True)
    if shown:
        from rich.console import Console

        from duckfix.pipelines.review.render import Report, render_terminal

        console = Console(stderr=True, highlight=False)
        for outcome in shown:
            render_terminal(Report.from_outcome(outcome), console)
    why = None
    if stopped or missed:
        why = (
            f"{len(stopped)} finding(s) at or above '{block_on}' "
            + ("(--fail-on)" if fail_on else "(review.block_on)")
            if stopped
            else f"{len(missed)} check(s) could not run (review.strict)"
        )
        skip = "SKIP=duckfix git push" if under_pre_commit else "DUCKFIX_SKIP=1 git push"
        click.echo(
            f"duckfix: push blocked: {why}.\n"
            f"Fix them, or push anyway with: git push --no-verify   (or {skip})",
            err=True,
        )
    _print_json(as_json, remote, outcomes, block_on=block_on, why=why)
    if why:
        sys.exit(1)


def _print_json(
    as_json: bool,
    remote: str,
    outcomes: Sequence[Any],
    *,
    block_on: str | None = None,
    why: str | None = None,
    skipped: bool = False,
) -> None:
    """With ``--json``: the review document of the push, and whether it was blocked and why."""
    if not as_json:
        return
    import json

    from duckfix.pipelines.review.render import Report, json_document

    doc = json_document([Report.from_outcome(o) for o in outcomes], f"push to {remote}")
    doc.update(remote=remote, skipped=skipped, blocked=why is not None, block_on=block_on, why=why)
    click.echo(json.dumps(doc, indent=2, ensure_ascii=False))


def _preload() -> None:
    """Import what a review needs; an error here is raised again where it is used."""
    _without_pydantic_plugins()
    try:
        import duckfix.config
        import duckfix.pipelines.review.run  # noqa: F401
    except Exception:  # the main thread's own import reports it
        pass


def _without_pydantic_plugins() -> None:
    """Build the hook's pydantic models without looking for pydantic plugins.

    Plugins (observability tools register them) are looked up at the first
    model built, by importing importlib.metadata and reading every installed
    package's entry points: a tenth of the hook's start, on every push, for a
    short-lived process no such tool needs to watch. PYDANTIC_DISABLE_PLUGINS
    skips the reading; the look-up module, which pydantic imports only to
    call ``get_plugins()``, is then given as one that finds none. A user's own
    PYDANTIC_DISABLE_PLUGINS (naming some plugins) is left alone.
    """
    if os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__") != "__all__":
        return
    name = "pydantic.plugin._loader"
    if name not in sys.modules:
        none_found = types.ModuleType(name)
        none_found.get_plugins = tuple  # type: ignore[attr-defined]  # () plugins
        sys.modules[name] = none_found


def _on_server(
    settings: Any, server: str | None, repo: Any, reviews: Any, fail_on: str | None
) -> Any:
    """The push's outcomes from the server (``--server`` / ``server.url``); None: review here."""
    from duckfix.service.remote import server_url

    url = server_url(settings, server)
    if url is None:
        return None
    from duckfix.service.remote.review import push_reviews

    return push_reviews(settings, url, repo, reviews, fail_on)


def _under_pre_commit(environ: Any) -> bool:
    """Run as a hook of the pre-commit framework (which skips a hook by SKIP=<id>)."""
    return environ.get("PRE_COMMIT") == "1" or "PRE_COMMIT_REMOTE_NAME" in environ
