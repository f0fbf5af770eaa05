"""clang-tidy and cppcheck, where the repository configures them, on the lines a commit adds.

The trees look like a C project that uses them: a ``.clang-tidy`` at the top
with a check list, a ``tools/cppcheck/suppressions.txt``, a
``compile_commands.json`` naming the include folder and a ``-D``. The real
tools run when installed; stand-in scripts on the PATH that speak their
documented output formats check the rest everywhere.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from duckfix.agents.review_checks.c_analyzers import Diagnostic, parse_diagnostics
from duckfix.pipelines.review.inputs import from_range, open_repo
from duckfix.pipelines.review.run import ReviewOutcome, run_review
from duckfix.review_settings import ReviewSettings

from tests.pipelines.review.gitrepo import GitRepo

SETTINGS = ReviewSettings(checks=("clang-tidy", "cppcheck"))
HEADER = (
    "#ifndef UTIL_H\n#define UTIL_H\n#define BUF_SIZE 16\nint util_len(const char *s);\n#endif\n"
)
BEFORE = '#include "util.h"\n\nint util_len(const char *s)\n{\n\treturn s ? 1 : 0;\n}\n'
# Line 7: else after return (clang-tidy); line 14: buffer overrun (cppcheck).
AFTER = """#include "util.h"

int util_len(const char *s)
{
\tif (!s)
\t\treturn 0;
\telse
\t\treturn 1;
}

int util_last(void)
{
\tchar buf[BUF_SIZE];
\tbuf[BUF_SIZE] = 0;
\treturn buf[0];
}
"""
CLANG_TIDY = "Checks: '-*,readability-else-after-return'\n"


def make_repo(tmp_path: Path, config: dict[str, str]) -> GitRepo:
    repo = GitRepo(tmp_path / "r")
    db = [{"directory": str(repo.root), "file": str(repo.root / "src/util.c"),
           "arguments": ["cc", "-DHAVE_CONFIG", "-Iinclude", "-c", "src/util.c"]}]  # fmt: skip
    repo.commit(
        "util: start\n\nThe helpers.",
        {"include/util.h": HEADER, "src/util.c": BEFORE, **config,
         "compile_commands.json": json.dumps(db)},
    )  # fmt: skip
    repo.commit("util: add util_last\n\nThe last byte.", {"src/util.c": AFTER})
    return repo


def review(repo: GitRepo, checks: tuple[str, ...] = SETTINGS.checks) -> ReviewOutcome:
    git = open_repo(repo.root)
    settings = dataclasses.replace(SETTINGS, checks=checks)
    return run_review(from_range(git, "HEAD~1..HEAD"), settings, git)


def found(outcome: ReviewOutcome) -> set[tuple[str, int, str]]:
    return {(f.path, f.line, f.category) for f in outcome.findings}


def test_parse_the_documented_output_formats() -> None:
    tidy = (
        "/t/src/a.c:7:2: warning: do not use 'else' after 'return' "
        "[readability-else-after-return]\n\telse\n\t^~~~\n"
        "/t/src/a.c:9:1: error: unknown type name 'u8' [clang-diagnostic-error]\n"
    )
    cppcheck = (
        "/t/src/a.c:14:5: error: Array 'buf[16]' accessed at index 16 [arrayIndexOutOfBounds]"
    )
    assert parse_diagnostics(tidy + cppcheck) == [
        Diagnostic("/t/src/a.c", 7, "warning", "do not use 'else' after 'return'",
                   "readability-else-after-return"),
        Diagnostic("/t/src/a.c", 9, "error", "unknown type name 'u8'", "clang-diagnostic-error"),
        Diagnostic("/t/src/a.c", 14, "error", "Array 'buf[16]' accessed at index 16",
                   "arrayIndexOutOfBounds"),
    ]  # fmt: skip


def test_a_repository_that_configures_neither_gets_neither(tmp_path: Path) -> None:
    outcome = review(make_repo(tmp_path, {}))
    assert outcome.findings == [] and outcome.coverage == []


@pytest.mark.skipif(shutil.which("clang-tidy") is None, reason="clang-tidy is not installed")
def test_clang_tidy_with_the_projects_checks_on_added_lines(tmp_path: Path) -> None:
    outcome = review(make_repo(tmp_path, {".clang-tidy": CLANG_TIDY}), ("clang-tidy",))
    assert found(outcome) == {("src/util.c", 7, "clang-tidy/readability-else-after-return")}
    assert [(r.check, r.status) for r in outcome.coverage] == [("clang-tidy", "ran")]


@pytest.mark.skipif(shutil.which("cppcheck") is None, reason="cppcheck is not installed")
def test_cppcheck_with_the_projects_suppressions_on_added_lines(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"tools/cppcheck/suppressions.txt": "missingIncludeSystem\n"})
    outcome = review(repo, ("cppcheck",))
    # BUF_SIZE comes from include/util.h, found through compile_commands.json's -Iinclude.
    assert found(outcome) == {("src/util.c", 14, "cppcheck/arrayIndexOutOfBounds")}
    assert [f.severity for f in outcome.findings] == ["error"]
    repo.commit("Suppress it\n\nKnown.", {
        "tools/cppcheck/suppressions.txt": "arrayIndexOutOfBounds\n",
        "src/util.c": AFTER + "int more;\n"})  # fmt: skip
    assert found(review(repo, ("cppcheck",))) == set()


def stand_in(folder: Path, name: str, output: str, status: int = 0) -> None:
    """A ``name`` on the PATH printing ``output`` (with {file} the last argument) on stderr."""
    folder.mkdir(exist_ok=True)
    script = folder / name
    script.write_text(
        "#!/bin/sh\n"
        'for last in "$@"; do case "$last" in --) break;; esac; file="$last"; done\n'
        f"printf '{output}' \"$file\" >&2\nexit {status}\n"
    )
    script.chmod(0o755)


@pytest.fixture
def stand_ins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder for stand-in tools, found first; they run directly, not in the sandbox
    (which mounts only the host's own tool folders)."""
    from duckfix.agents.review_checks import c_analyzers
    from duckfix.models import RunResult

    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setattr(c_analyzers, "sandbox_path", lambda: f"{folder}{os.pathsep}/usr/bin")

    def direct(command: list[str], text: str, **_: object) -> RunResult:
        done = subprocess.run(command, input=text, capture_output=True, text=True, check=False)
        return RunResult(
            ended="exited", exit_code=done.returncode, stdout=done.stdout, stderr=done.stderr
        )

    monkeypatch.setattr(c_analyzers, "run_sandboxed", direct)
    return folder


def test_stand_in_tools_map_to_findings_and_coverage(tmp_path: Path, stand_ins: Path) -> None:
    stand_in(stand_ins, "cppcheck", "%s:14:5: style: Variable is assigned a value never used "
             "[unreadVariable]\\n%s:3:1: style: not an added line [other]\\n")  # fmt: skip
    repo = make_repo(tmp_path, {".cppcheck-suppressions": "missingInclude\n"})
    outcome = review(repo, ("cppcheck",))
    assert found(outcome) == {("src/util.c", 14, "cppcheck/unreadVariable")}
    assert [f.severity for f in outcome.findings] == ["note"]


def test_a_tool_that_fails_is_coverage_never_a_finding(tmp_path: Path, stand_ins: Path) -> None:
    stand_in(stand_ins, "clang-tidy", "%s:1:10: error: util.h file not found "
             "[clang-diagnostic-error]\\n", status=1)  # fmt: skip
    repo = make_repo(tmp_path, {".clang-tidy": CLANG_TIDY})
    outcome = review(repo, ("clang-tidy",))
    assert outcome.findings == []
    [run] = outcome.not_run
    assert run.check == "clang-tidy" and run.path == "src/util.c"
    assert "does not compile here (line 1: util.h file not found" in run.reason


def test_a_configured_tool_that_is_missing_is_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name, path=None: None)
    outcome = review(make_repo(tmp_path, {".clang-tidy": CLANG_TIDY}), ("clang-tidy",))
    assert [(r.check, r.reason) for r in outcome.not_run] == [
        ("clang-tidy", "clang-tidy is not installed, and the repository configures it")
    ]
