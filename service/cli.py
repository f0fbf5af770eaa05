"""The ``duckfix`` command: one group, a subcommand per job.

Imports of the heavy parts happen inside each command, so ``duckfix --help``
and the pre-push hook start fast.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

import click

from duckfix import __version__
from duckfix.errors import DuckfixError

__all__ = ["cli", "main"]


class DuckfixClickError(click.ClickException):
    """A DuckfixError shown the click way: one line on stderr, the error's exit code."""

    def __init__(self, error: DuckfixError) -> None:
        super().__init__(str(error))
        self.exit_code = error.exit_code  # type: ignore[misc]  # per error, not per class


class Group(click.Group):
    """A click group that turns every DuckfixError into a one-line message."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DuckfixError as exc:
            raise DuckfixClickError(exc) from exc
        except KeyboardInterrupt:
            # Click would print "Aborted!" and exit 1, like a failed job; an
            # interrupted run exits 130 as shells expect of Ctrl-C.
            click.echo("duckfix: interrupted", err=True)
            ctx.exit(130)


@dataclass
class State:
    """What the group's options hand to subcommands: flags to lay over the settings."""

    flags: dict[str, Any] = field(default_factory=dict)

    def settings(self, **more: Any) -> tuple[Any, dict[str, str]]:
        from duckfix.config import load_settings

        given = {k: v for k, v in more.items() if v is not None}
        return load_settings({**self.flags, **given})


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="duckfix")
@click.option("--home", type=click.Path(file_okay=False), help="Data folder (DUCKFIX_HOME).")
@click.option("--database-url", help="SQLAlchemy URL of the results store.")
@click.option(
    "--jobs", "-j", type=click.IntRange(min=1), help="Sandboxed runs at once (default: cores)."
)
@click.pass_context
def cli(ctx: click.Context, home: str | None, database_url: str | None, jobs: int | None) -> None:
    """duckfix: find, fix, explain and review bugs with cooperating agents."""
    ctx.obj = State({"home": home, "database_url": database_url, "jobs": jobs})


@cli.command("config")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def config_cmd(state: State, as_json: bool) -> None:
    """Print the settings in force and where each one came from."""
    from duckfix.config import settings_table
    from duckfix.sandbox import isolation_mode

    settings, sources = state.settings()
    rows = settings_table(settings, sources)
    mode = isolation_mode(settings.sandbox.isolation)
    rows.append(("sandbox isolation (in force)", mode, sources["sandbox.isolation"]))
    if as_json:
        click.echo(json.dumps({name: {"value": v, "source": s} for name, v, s in rows}, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("setting", "value", "source", box=None, pad_edge=False)
    for row in rows:
        table.add_row(*row)
    Console().print(table)


def _register() -> None:
    from duckfix.service.bench_cmd import bench
    from duckfix.service.dataset_cmd import dataset
    from duckfix.service.debug_cmd import debug
    from duckfix.service.hook_cmd import hook
    from duckfix.service.mail_cmd import mail
    from duckfix.service.review_cmd import review
    from duckfix.service.tasks_cmd import tasks

    cli.add_command(tasks)
    cli.add_command(debug)
    cli.add_command(bench)
    cli.add_command(review)
    cli.add_command(hook)
    cli.add_command(mail)
    cli.add_command(dataset)


_register()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    from duckfix import interrupts

    interrupts.install()
    try:
        cli.main(args=argv, prog_name="duckfix")
    except KeyboardInterrupt:
        click.echo("duckfix: interrupted", err=True)
        sys.exit(130)
