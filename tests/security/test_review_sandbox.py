"""A patch under review cannot make the compiler read a file the reviewer's user can.

The review's ``c`` check compiles the text of a patch. A patch that includes
a root-only file (by absolute path, in quotes or angle brackets, or through the
repository's include folders) must not get that file's content into the review,
in any output format: the compile runs in the sandbox, as an unprivileged uid,
where temporary folders are fresh and only the repository is mounted (read-only).

Each secret holds ``#include "<canary>.h"``: a compiler that reads it stops with
"<canary>.h: No such file or directory", which the check would quote.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from duckfix import sandbox
from duckfix.models import RunResult
from duckfix.service.cli import cli

from tests.pipelines.review.gitrepo import GitRepo

pytestmark = [
    pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed"),
    pytest.mark.skipif(os.geteuid() != 0, reason="a root-only file needs root to make"),
    pytest.mark.skipif(
        sandbox.isolation_mode("auto") != "namespaces", reason="the sandbox has no namespaces here"
    ),
]

CLEAN = "int add(int a, int b)\n{\n\treturn a + b;\n}\n"


class Spy:
    """Every ``sandbox.run`` call: its command, its read-only folders and how it ran."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], list[str], RunResult]] = []

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real = sandbox.run

        def run(cmd: list[str], **kwargs: Any) -> RunResult:
            result = real(cmd, **kwargs)
            self.calls.append((list(cmd), list(kwargs.get("read_only", ())), result))
            return result

        monkeypatch.setattr(sandbox, "run", run)

    def compiles(self) -> list[tuple[list[str], list[str], RunResult]]:
        return [c for c in self.calls if Path(c[0][0]).name in ("gcc", "g++")]


@pytest.fixture
def canary() -> str:
    return "duckfix_canary_" + secrets.token_hex(8)


@pytest.fixture
def project(tmp_path: Path, canary: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[GitRepo]:
    """A repository whose last commit includes root-only files five ways, plus a real warning."""
    monkeypatch.setenv("DUCKFIX_HOME", str(tmp_path / "home"))
    outside = tmp_path / "secret-outside.h"
    repo = GitRepo(tmp_path / "proj")
    repo.commit("Add the adder\n\nOne function.", {"src/add.c": CLEAN})
    inside = repo.root / "private" / "secret.h"  # in the mounted repository, not committed
    body = "\nint twice(int a)\n{\n\tint spare;\n\treturn 2 * a;\n}\n"
    repo.commit(
        "Include what the reviewer can read\n\nFive ways in.",
        {
            "src/q_abs.c": f'#include "{outside}"\n{CLEAN}',
            "src/a_abs.c": f"#include <{outside}>\n{CLEAN}",
            "src/q_rel.c": f'#include "../private/secret.h"\n{CLEAN}',
            "src/a_idir.c": f"#include <private/secret.h>\n{CLEAN}",
            "src/q_inside.c": f'#include "{inside}"\n{CLEAN}',
            "src/add.c": CLEAN + body,
        },
    )
    inside.parent.mkdir()
    for secret in (outside, inside):
        secret.write_text(f'#include "{canary}.h"\n')
        secret.chmod(0o600)
    monkeypatch.chdir(repo.root)
    yield repo


@pytest.mark.parametrize("fmt", ["terminal", "json", "sarif"])
def test_the_canary_is_in_no_output_and_the_compiles_ran_sandboxed(
    project: GitRepo, canary: str, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy()
    spy.install(monkeypatch)
    args = ["review", "--range", "HEAD~1..HEAD", "--fail-on", "never"]
    args += [] if fmt == "terminal" else ["--format", fmt]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert canary not in result.output
    # The review still works: gcc's warning on the added line comes through.
    assert "unused-variable" in result.output and "spare" in result.output
    if fmt == "json":
        doc = json.loads(result.stdout)  # stderr has the run id
        (c,) = [entry for entry in doc["coverage"] if entry["check"] == "c"]
        assert {n["path"] for n in c["not_run"]} == {
            "src/q_abs.c", "src/a_abs.c", "src/q_rel.c", "src/a_idir.c", "src/q_inside.c"
        }  # fmt: skip
        assert c["ran"] == ["src/add.c"]
    compiles = spy.compiles()
    assert len(compiles) == 6, [c[0] for c in compiles]
    for cmd, read_only, run in compiles:
        assert run.isolation == "namespaces"
        assert str(project.root) in read_only
        # The checkout is the reviewed commit: the file is compiled where it is.
        assert cmd[-1].startswith(f"{project.root}/src/")


def test_a_root_only_file_is_unreadable_by_the_compile_itself(
    project: GitRepo, tmp_path: Path
) -> None:
    """The sandbox's own view, without the check's filtering: gcc cannot open either secret."""
    gcc = shutil.which("gcc")
    assert gcc is not None
    for secret in (tmp_path / "secret-outside.h", project.root / "private" / "secret.h"):
        run = sandbox.run(
            [gcc, "-fsyntax-only", "-x", "c", "-"],
            stdin=f'#include "{secret}"\n'.encode(),
            read_only=[str(project.root)],
        )
        assert run.exit_code != 0
        assert "No such file" in run.stderr or "Permission denied" in run.stderr, run.stderr
