"""The README's commands are commands duckfix has: every subcommand and flag it shows parses."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
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


# The quick start's commands that are not run here, and why.
NOT_RUN = {
    "duckfix bench": "a suite takes minutes; tests/service/test_bench_cmd.py runs bench",
    "duckfix debug --resume": "needs an interrupted run; tests/service/test_debug_cmd.py",
    "duckfix tasks check builtin  ": "every built-in task; the --task line checks one",
    "duckfix tasks check quixbugs:": "a QuixBugs checkout (held out of this repository)",
    "duckfix review --hls-dataset": "a Chrysalis checkout (held out of this repository)",
}


def _quick_start() -> list[str]:
    """The commands of the README's first block under "## Use", one per line."""
    use = README.read_text(encoding="utf-8").split("\n## Use\n", 1)[1]
    block = re.search(r"```sh\n(.*?)```", use, flags=re.S)
    assert block is not None
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def _user_project(root: Path, env: dict[str, str]) -> None:
    """What the quick start's commands name: a program and its tests, tasks, a repository."""
    from tests.datasets.test_folder import write_task

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)

    (root / "prog.py").write_text('def double(n):\n    """Twice n."""\n    return n + 2\n')
    (root / "test_prog.py").write_text(
        "from prog import double\n\n\ndef test_two():\n    assert double(2) == 4\n\n\n"
        "def test_three():\n    assert double(3) == 6\n"
    )
    (root / "cases.jsonl").write_text(
        '{"args": [2], "expected": 4}\n{"args": [5], "expected": 10}\n'
    )
    write_task(root / "path" / "to", "task-folder")
    write_task(root / "my-tasks", "double")
    git("init", "-q", "-b", "main")
    git("config", "user.name", "Ada Lovelace")
    git("config", "user.email", "ada@example.com")
    git("add", "-A")
    git("commit", "-q", "-m", "Add the doubling program\n\nWith its tests and cases.")
    git("init", "-q", "--bare", str(root.parent / "origin.git"))
    git("remote", "add", "origin", str(root.parent / "origin.git"))
    git("push", "-q", "origin", "main")
    (root / "halve.py").write_text(
        'def halve(n: int) -> int:\n    """Half of n."""\n    return n // 2\n'
    )
    git("add", "halve.py")
    git("commit", "-q", "-m", "Add halve\n\nThe next program needs half of a count.")
    git("format-patch", "-q", "-1", "-o", str(root / "out"))
    next((root / "out").glob("0001-*.patch")).rename(root / "0001-fix.patch")
    (root / "triple.py").write_text(
        'def triple(n: int) -> int:\n    """Thrice n."""\n    return 3 * n\n'
    )
    git("add", "triple.py")


@pytest.mark.slow
def test_the_quick_start_runs_in_a_fresh_repository(tmp_path: Path) -> None:
    from tests.service.test_hook import user_env

    env = user_env(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    _user_project(project, env)
    lines = _quick_start()
    assert len(lines) > 15
    ran = 0
    for line in lines:
        if any(f"{line}  ".startswith(prefix) for prefix in NOT_RUN):
            continue
        words = shlex.split(line)
        program = {"duckfix": [sys.executable, "-m", "duckfix"], "python": [sys.executable]}
        argv = program[words[0]] + words[1:]
        done = subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=600)  # fmt: skip
        assert done.returncode == 0, f"{line}: exit {done.returncode}\n{done.stderr[-2000:]}"
        ran += 1
    assert ran >= 12, "most of the quick start runs"
    assert "return n * 2" in (project / "prog.py").read_text(), "--apply wrote the fix"
