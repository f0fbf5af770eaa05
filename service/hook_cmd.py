"""``duckfix hook``: install the pre-push hook, and the command the hook runs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from duckfix.service.hook_run import FAIL_ON

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
    type=click.Choice(FAIL_ON),
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
    from duckfix.service.hook_run import PrePush, light_settings, run_pre_push

    options = PrePush(remote, url, fail_on, as_json, server)
    light = light_settings(state.flags, state.config_file, state.isolated)
    code = run_pre_push(options, light, lambda: state.settings()[0])
    if code:
        sys.exit(code)
