"""The ``duckfix`` command: one group, a subcommand per job.

Imports of the heavy parts happen inside each command, so ``duckfix --help``
and the pre-push hook start fast.
"""

from __future__ import annotations

import json
import os
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


class BadValueError(click.ClickException):
    """A flag's bad value, shown as one line (exit code 2) without click's usage block.

    A bad value is a bad setting given as a flag: it reads like the others.
    """

    exit_code = 2


def _one_line(exc: click.BadParameter) -> BadValueError:
    return BadValueError(exc.format_message())


class Group(click.Group):
    """A click group that turns every DuckfixError, and every bad flag value, into one line."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.BadParameter as exc:
            raise _one_line(exc) from exc

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DuckfixError as exc:
            raise DuckfixClickError(exc) from exc
        except click.BadParameter as exc:
            raise _one_line(exc) from exc
        except KeyboardInterrupt:
            # Click would print "Aborted!" and exit 1, like a failed job; an
            # interrupted run exits 130 as shells expect of Ctrl-C.
            click.echo("duckfix: interrupted", err=True)
            ctx.exit(130)


@dataclass
class State:
    """What the group's options hand to subcommands: flags to lay over the settings."""

    flags: dict[str, Any] = field(default_factory=dict)
    warned: bool = False
    """Stray DUCKFIX_* variables were reported; a command loading settings twice says it once."""

    def settings(self, cwd: Any = None, **more: Any) -> tuple[Any, dict[str, str]]:
        """The settings in force, after checking the environment the command runs in.

        ``cwd``: where the settings file is looked for (a ``--repo`` the command names).
        """
        from duckfix.config import load_settings
        from duckfix.environment import check_sandbox_dir

        given = {k: v for k, v in more.items() if v is not None}
        settings, sources = load_settings({**self.flags, **given}, cwd=cwd)
        if not self.warned:
            self.warned = True
            _warn_stray_variables(settings)
        # Checked here, at the boundary, so that the sandbox may rely on it.
        check_sandbox_dir(os.environ)
        return settings, sources


def _warn_stray_variables(settings: Any) -> None:
    from duckfix.config import env_names
    from duckfix.environment import stray_variables

    # The variables the settings in force name are read on purpose too.
    named = (settings.llm.api_key_env, settings.mail.smtp_password_env,
             settings.mail.imap_password_env)  # fmt: skip
    for line in stray_variables(os.environ, env_names(), named):
        click.echo(line, err=True)


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
    from duckfix.environment import folder_problem
    from duckfix.errors import ConfigError
    from duckfix.sandbox import isolation_mode

    settings, sources = state.settings()
    # The home is made on first use; here it is enough that it could be.
    problem = folder_problem(settings.home, missing_ok=True)
    if problem is not None:
        raise ConfigError(
            f"setting home (from {sources['home']}): {problem}; "
            "set DUCKFIX_HOME (or --home) to a writable folder"
        )
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
