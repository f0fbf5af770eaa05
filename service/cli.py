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


COMMANDS = {
    # name: "module:object". One line per command; its module is imported only
    # when the command runs (or --help lists it), so the pre-push hook does not
    # pay for every other command's imports.
    "bench": "duckfix.service.bench_cmd:bench",
    "dataset": "duckfix.service.dataset_cmd:dataset",
    "debug": "duckfix.service.debug_cmd:debug",
    "hook": "duckfix.service.hook_cmd:hook",
    "mail": "duckfix.service.mail_cmd:mail",
    "models": "duckfix.service.models_cmd:models",
    "review": "duckfix.service.review_cmd:review",
    "serve": "duckfix.service.serve_cmd:serve",
    "tasks": "duckfix.service.tasks_cmd:tasks",
    "tokens": "duckfix.service.tokens_cmd:tokens",
}
"""The subcommands defined in their own modules (``config`` lives here)."""


class Group(click.Group):
    """A click group that turns every DuckfixError, and every bad flag value, into one line.

    Its subcommands load on first use, from ``COMMANDS``.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            import importlib

            module, name = COMMANDS[cmd_name].split(":")
            command = getattr(importlib.import_module(module), name)
            self.add_command(_prepare(command), cmd_name)
        return super().get_command(ctx, cmd_name)

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
        except ModuleNotFoundError as exc:
            from duckfix.extras import missing_extra

            # The base install leaves the agents' packages out (extras.py).
            if (error := missing_extra(exc)) is None or _debugging(ctx):
                raise
            raise DuckfixClickError(error) from exc
        except KeyboardInterrupt:
            # Click would print "Aborted!" and exit 1, like a failed job; an
            # interrupted run exits 130 as shells expect of Ctrl-C.
            click.echo("duckfix: interrupted", err=True)
            ctx.exit(130)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            # A bug of ours: one line that says what to do, the traceback on request.
            if _debugging(ctx):
                raise
            from duckfix.service.jobs import internal_error_line

            click.echo(internal_error_line(exc), err=True)
            ctx.exit(INTERNAL_ERROR)


INTERNAL_ERROR = 3
"""Exit code of a bug in duckfix (1 is a failed job, 2 bad input)."""


def _debugging(ctx: click.Context) -> bool:
    state = ctx.find_object(State)
    return (state is not None and state.debug) or os.environ.get("DUCKFIX_DEBUG", "") not in (
        "",
        "0",
    )


@dataclass
class State:
    """What the group's options hand to subcommands: flags to lay over the settings."""

    flags: dict[str, Any] = field(default_factory=dict)
    verbosity: int = 0
    """-1 with ``-q`` (outcomes only), 0 by default, 1 or more with ``-v``."""
    debug: bool = False
    """``--debug``: an internal error shows its traceback."""
    config_file: str | None = None
    """``--config FILE``: the settings file to read instead of the nearest one."""
    isolated: bool = False
    """``--isolated``: read no settings file."""
    warned: bool = False
    """Stray DUCKFIX_* variables were reported; a command loading settings twice says it once."""

    def settings(self, cwd: Any = None, **more: Any) -> tuple[Any, dict[str, str]]:
        """The settings in force, after checking the environment the command runs in.

        ``cwd``: where the settings file is looked for (a ``--repo`` the command names).
        """
        from pathlib import Path

        from duckfix.config import load_settings
        from duckfix.environment import check_sandbox_dir

        given = {k: v for k, v in more.items() if v is not None}
        settings, sources = load_settings(
            {**self.flags, **given},
            cwd=cwd,
            config_file=Path(self.config_file) if self.config_file else None,
            isolated=self.isolated,
        )
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
             settings.mail.imap_password_env, settings.server.token_env)  # fmt: skip
    for line in stray_variables(os.environ, env_names(), named):
        click.echo(line, err=True)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="duckfix")
@click.option("--home", type=click.Path(file_okay=False), help="Data folder (DUCKFIX_HOME).")
@click.option("--database-url", help="SQLAlchemy URL of the results store.")
@click.option(
    "--jobs", "-j", type=click.IntRange(min=1), help="Sandboxed runs at once (default: cores)."
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    help="Read the settings from FILE, not the nearest duckfix.toml / pyproject.toml.",
)
@click.option(
    "--isolated", is_flag=True, help="Read no settings file (environment and flags only)."
)
@click.option("-q", "--quiet", count=True, help="Say less: outcomes and errors only.")
@click.option("-v", "--verbose", count=True, help="Say more about each step.")
@click.option(
    "--debug", "debug_flag", is_flag=True, help="Show the traceback of an internal error."
)
@click.pass_context
def cli(
    ctx: click.Context,
    home: str | None,
    database_url: str | None,
    jobs: int | None,
    config_file: str | None,
    isolated: bool,
    quiet: int,
    verbose: int,
    debug_flag: bool,
) -> None:
    """duckfix: find, fix, explain and review bugs with cooperating agents.

    \b
    Exit codes: 0 success, 1 the job ran and failed (not fixed, a finding at
    --fail-on, a task not ok), 2 bad input, 3 an internal error (a bug:
    rerun with --debug and report it), 130 interrupted.
    """
    ctx.obj = State(
        {"home": home, "database_url": database_url, "jobs": jobs},
        verbosity=verbose - quiet,
        debug=debug_flag,
        config_file=config_file,
        isolated=isolated,
    )
    if config_file and isolated:
        raise BadValueError("--config and --isolated exclude each other: choose one")


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
    from rich.table import Table

    from duckfix.service.consoles import add_row, console

    table = Table("setting", "value", "source", box=None, pad_edge=False)
    table.columns[2].overflow = "fold"  # a path is shown whole, folded if it must be
    for row in rows:
        add_row(table, *row)
    console().print(table)


def _bump(amount: int) -> Any:
    def callback(ctx: click.Context, _param: click.Parameter, value: int) -> None:
        state = ctx.find_object(State)
        if state is not None and value:
            state.verbosity += amount * value

    return callback


def _set_debug(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    state = ctx.find_object(State)
    if state is not None and value:
        state.debug = True


def _prepare(command: click.Command) -> click.Command:
    """Give a command and its subcommands ``-q``, ``-v``, ``--debug`` (as ruff and pre-commit
    do), and a whole summary.

    They are accepted after the command's name too (``duckfix bench -q``), and
    add to the group's own.
    """
    # Click cuts a command's summary in --help at 45 characters; ours are
    # written to be read whole.
    command.short_help = command.get_short_help_str(limit=200)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _prepare(sub)
    else:
        command.params += [
            click.Option(["-q", "--quiet"], count=True, expose_value=False,
                         callback=_bump(-1), help="Say less: outcomes and errors only."),
            click.Option(["-v", "--verbose"], count=True, expose_value=False,
                         callback=_bump(1), help="Say more about each step."),
            click.Option(["--debug"], is_flag=True, expose_value=False, callback=_set_debug,
                         help="Show the traceback of an internal error."),
        ]  # fmt: skip
    return command


_prepare(config_cmd)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    from duckfix import interrupts

    interrupts.install()
    try:
        cli.main(args=argv, prog_name="duckfix")
    except KeyboardInterrupt:
        click.echo("duckfix: interrupted", err=True)
        sys.exit(130)
