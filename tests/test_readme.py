"""The README's commands are commands duckfix has: every subcommand and flag it shows parses."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from duckfix.service.cli import cli

README = Path(__file__).resolve().parents[1] / "README.md"


def _commands() -> list[str]:
    """Every ``duckfix ...`` line of the README's shell blocks, without its comment."""
    text = README.read_text(encoding="utf-8")
    found = []
    for block in re.findall(r"```(?:sh|bash|console)\n(.*?)```", text, flags=re.S):
        block = re.sub(r"\\\n\s*", " ", block)  # a command continued on the next line
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("duckfix "):
                found.append(line.split("  #")[0].split(" # ")[0].strip())
    return found


def _chain(line: str) -> list[click.Command]:
    """The commands a README line goes through, group first; fails on an unknown one."""
    args = shlex.split(line)[1:]
    chain: list[click.Command] = [cli]
    ctx = cli.make_context("duckfix", list(args), resilient_parsing=True)
    while isinstance(chain[-1], click.Group):
        group = chain[-1]
        rest = [*ctx._protected_args, *ctx.args]
        if not rest:
            break
        name, sub, sub_args = group.resolve_command(ctx, rest)
        assert sub is not None and name is not None, f"{line!r}: no command {rest[0]!r}"
        chain.append(sub)
        ctx = sub.make_context(name, sub_args, parent=ctx, resilient_parsing=True)
    return chain


def _unknown_flags(line: str, chain: list[click.Command]) -> list[str]:
    takes_value: dict[str, bool] = {"-h": False, "--help": False}
    for command in chain:
        for param in command.params:
            if isinstance(param, click.Option):
                for opt in param.opts:
                    takes_value[opt] = not (param.is_flag or param.count)
    unknown, tokens = [], shlex.split(line)[1:]
    skip = False
    for token in tokens:
        if skip:  # the value of the option before, which may itself start with "-"
            skip = False
            continue
        if not token.startswith("-") or token == "-":
            continue
        name = token.split("=")[0]
        if name not in takes_value:
            unknown.append(token)
        skip = takes_value.get(name, False) and "=" not in token
    return unknown


def test_the_readme_shows_duckfix_commands() -> None:
    assert len(_commands()) > 30


@pytest.mark.parametrize("line", _commands())
def test_each_readme_command_parses(line: str) -> None:
    try:
        chain = _chain(line)
    except click.UsageError as exc:
        pytest.fail(f"{line!r}: {exc.format_message()}")
    assert not _unknown_flags(line, chain), f"{line!r}: unknown flags"
