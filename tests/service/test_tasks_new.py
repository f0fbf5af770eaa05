"""``duckfix tasks new``: a golden-output task scaffolded from a program, end to end via the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from duckfix.service.cli import cli

# A program in two files, the second #included by name (it must not be compiled twice).
MAIN = r"""#include <stdio.h>
#include <stdlib.h>
#include "stats.c"

int main(int argc, char **argv) {
    int scale = argc > 1 ? atoi(argv[1]) : 1;
    long values[100];
    int n = 0;
    while (n < 100 && scanf("%ld", &values[n]) == 1) n++;
    printf("n %d\nsum %ld\nmax %ld\n", n, scale * sum(values, n), scale * largest(values, n));
    return n ? 0 : 3;
}
"""
STATS = r"""#include "stats.h"
long sum(const long *v, int n) { long s = 0; for (int i = 0; i < n; i++) s += v[i]; return s; }
long largest(const long *v, int n) {
    long m = n ? v[0] : 0;
    for (int i = 1; i < n; i++) if (v[i] > m) m = v[i];
    return m;
}
"""
HEADER = "long sum(const long *v, int n);\nlong largest(const long *v, int n);\n"


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DUCKFIX_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def program(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "stats_tool.c").write_text(MAIN)
    (src / "stats.c").write_text(STATS)
    (src / "stats.h").write_text(HEADER)
    (src / "unrelated.c").write_text("int unrelated;\n")
    (tmp_path / "a.txt").write_text("3 4 9\n")
    (tmp_path / "b.txt").write_text("10 -2\n")
    (tmp_path / "c.txt").write_text("")
    return src / "stats_tool.c"


def test_new_task_records_the_reference_and_checks_once_the_bug_is_in(
    runner: CliRunner, tmp_path: Path
) -> None:
    source = program(tmp_path)
    result = runner.invoke(
        cli,
        ["tasks", "new", "--from", str(source), "--out", "task", "--run", "", "--stdin", "a.txt",
         "--run", "2", "--stdin", "b.txt", "--run", "'1'", "--stdin", "c.txt", "--hidden", "1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "2 visible and 1 hidden runs" in result.output
    assert "buggy/ is a copy of fixed/" in result.output
    task = tmp_path / "task"
    for side in ("fixed", "buggy"):
        assert sorted(p.name for p in (task / side).iterdir()) == [
            "stats.c", "stats.h", "stats_tool.c",
        ]  # fmt: skip
    toml = (task / "task.toml").read_text()
    assert 'sources = ["stats_tool.c"]' in toml and 'sanitize = ["address", "undefined"]' in toml
    visible = [json.loads(x) for x in (task / "tests/visible/runs.jsonl").read_text().splitlines()]
    hidden = [json.loads(x) for x in (task / "tests/hidden/runs.jsonl").read_text().splitlines()]
    assert visible[0] == {
        "name": "run1", "args": [], "stdin": "3 4 9\n",
        "expected_stdout": "n 3\nsum 16\nmax 9\n", "expected_exit": 0,
    }  # fmt: skip
    assert visible[1]["args"] == ["2"] and visible[1]["expected_stdout"] == "n 2\nsum 16\nmax 20\n"
    assert hidden == [{"name": "run3", "args": ["1"], "expected_stdout": "n 0\nsum 0\nmax 0\n",
                       "expected_exit": 3}]  # fmt: skip
    # Unchanged, the buggy side passes every run: the check says so.
    check = runner.invoke(cli, ["tasks", "check", "task", "--json"])
    assert check.exit_code == 1
    assert "the buggy program passes every test" in check.output
    # With a bug 'max' goes wrong on the first run only.
    buggy = task / "buggy/stats.c"
    buggy.write_text(STATS.replace("int i = 1; i < n;", "int i = 1; i < n - 1;"))
    check = runner.invoke(cli, ["tasks", "check", "task", "--json"])
    assert check.exit_code == 0, check.output
    (verdict,) = json.loads(check.stdout)
    assert verdict["buggy_visible"] == {"failed": 1, "passed": 1}
    assert verdict["fixed_visible"] == {"failed": 0, "passed": 2}


@pytest.mark.parametrize(
    ("change", "args", "says"),
    [
        (("int n = 0;", "int n = 0"), [], "stats_tool.c: does not compile: "),
        (("int n = 0;", "int n = 0; abort();"), [], "the run (no arguments) failed: "),
        (("int n = 0;", "int n = 0; for (;;) {}"), ["--case-timeout", "1"], "took more than 1 s"),
        (None, ["--flag", "-B/tmp"], "--flag '-B/tmp': not an allowed flag"),
        (None, ["--run", "'unclosed"], '--run "\'unclosed": No closing quotation'),
        (None, ["--hidden", "1"], "--hidden 1: keep at least one of the 1 runs visible"),
        (None, ["--lang", "python"], "tasks new makes C tasks"),
    ],
)
def test_a_program_that_cannot_be_a_task_is_one_line_and_exit_2(
    runner: CliRunner, tmp_path: Path, change: tuple[str, str] | None, args: list[str], says: str
) -> None:
    source = program(tmp_path)
    if change is not None:
        source.write_text(MAIN.replace(*change))
    result = runner.invoke(cli, ["tasks", "new", "--from", str(source), "--out", "t", *args])
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "t" / "task.toml").exists()


def test_an_existing_folder_is_not_overwritten(runner: CliRunner, tmp_path: Path) -> None:
    source = program(tmp_path)
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "keep.txt").write_text("mine")
    result = runner.invoke(cli, ["tasks", "new", "--from", str(source), "--out", "t"])
    assert result.exit_code == 2 and "already exists and is not an empty folder" in result.output
