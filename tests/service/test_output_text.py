"""What users see: their text shown as written, outcomes said plainly, runs ended honestly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from duckfix.service.cli import cli
from duckfix.store import open_store

from tests.datasets.test_folder import TOML, write_task

# Text rich would take for markup: an index, a style tag, a closing tag.
TRICKY = "a[i] >= x, [bold]not bold[/bold] and [/] too"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home[bold]"
    monkeypatch.setenv("DUCKFIX_HOME", str(folder))
    monkeypatch.setenv("DUCKFIX_CASE_TIMEOUT", "1")
    return folder


@pytest.fixture
def suite(tmp_path: Path, home: Path) -> Path:
    folder = tmp_path / "suite"
    toml = TOML.replace('"Return twice n."', json.dumps(TRICKY)).replace(
        '"wrong-operator"', '"op[1]"'
    )
    write_task(folder, "double", **{"task.toml": toml})
    write_task(
        folder,
        "unfixable",
        **{"buggy/double.py": "def double(n):\n    return str(n) * 3\n"},
    )
    return folder


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_every_table_shows_task_text_as_written(suite: Path, home: Path) -> None:
    code, out = invoke("tasks", "list", str(suite))
    assert code == 0 and TRICKY in out and "op[1]" in out
    code, out = invoke("tasks", "check", str(suite))
    assert "op[1]" in out
    code, out = invoke("bench", str(suite), "--max-candidates", "30", "--by", "task")
    assert code == 0 and "op[1]" in out
    code, out = invoke("bench", str(suite), "--max-candidates", "30")
    assert code == 0 and "op[1]" in out
    code, out = invoke("config")
    assert code == 0 and str(home) in out.replace("\n", "")


def test_piped_output_is_not_wrapped(home: Path, tmp_path: Path) -> None:
    deep = tmp_path / ("x" * 120)
    code, out = invoke("--home", str(deep), "config")
    assert code == 0
    assert any(str(deep) in line for line in out.splitlines()), "the path is on one line"


def test_bench_prints_each_outcome_with_its_reason_and_the_table_by_task(suite: Path) -> None:
    code, out = invoke("--jobs", "1", "bench", str(suite), "--max-candidates", "30", "--by", "task")
    assert code == 0, out
    lines = out.splitlines()
    assert any(line.startswith("✓ correct") and "double" in line for line in lines)
    assert any(
        line.startswith("✗ not fixed") and "unfixable" in line and "were tried" in line
        for line in lines
    )
    assert "why not correct" in out


def test_bench_json_lines_carry_the_run_id_and_fail_under_fails(suite: Path) -> None:
    result = CliRunner().invoke(
        cli, ["bench", str(suite), "--json", "--max-candidates", "30", "--fail-under", "60"]
    )
    assert result.exit_code == 1, result.output
    rows = [json.loads(x) for x in result.stdout.splitlines()]
    assert len(rows) == 2 and len({r["run_id"] for r in rows}) == 1
    assert "50.0 % of the tasks are correct, under --fail-under 60" in result.stderr


def test_bench_report_goes_next_to_the_results_of_a_run_with_out(
    suite: Path, tmp_path: Path
) -> None:
    out = tmp_path / "results"
    code, text = invoke("bench", str(suite), "--out", str(out), "--max-candidates", "30")
    assert code == 0, text
    run_id = json.loads((out / "run.json").read_text())["run_id"]
    code, text = invoke("bench", "report", run_id, "--json")
    assert code == 0, text
    files = json.loads(text)["files"]
    assert {Path(f).parent for f in files} == {out}
    assert (out / "report.html").is_file()


def test_a_run_stopped_by_a_setting_found_late_ends_failed_with_the_reason(
    suite: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUCKFIX_LLM__PROVIDER", "openai")  # and no llm.model
    code, out = invoke("bench", str(suite))
    assert code == 2, out
    store = open_store(f"sqlite:///{home / 'duckfix.db'}")
    (run,) = store.runs("bench")
    assert run.status == "failed" and "llm.model" in run.reason


def test_an_unknown_provider_is_a_bad_setting_everywhere(home: Path) -> None:
    import os

    os.environ["DUCKFIX_LLM__PROVIDER"] = "foo"
    try:
        code, out = invoke("config")
    finally:
        del os.environ["DUCKFIX_LLM__PROVIDER"]
    assert code == 2
    assert "unknown provider 'foo'; known: local, none, openai" in out


def test_an_internal_error_is_one_line_and_debug_shows_the_traceback(
    suite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from duckfix.pipelines import bench

    def broken(*_args: object, **_kw: object) -> object:
        raise RuntimeError("something of ours broke")

    monkeypatch.setattr(bench, "run_bench", broken)
    code, out = invoke("bench", str(suite))
    assert code == 3
    assert "duckfix: internal error: RuntimeError: something of ours broke" in out
    assert "Traceback" not in out and "--debug" in out
    result = CliRunner().invoke(cli, ["bench", str(suite), "--debug"])
    assert isinstance(result.exception, RuntimeError)


def test_every_command_takes_quiet_verbose_and_debug() -> None:
    from click import Group

    def leaves(group: Group, prefix: str) -> list[str]:
        found = []
        for name, command in group.commands.items():
            if isinstance(command, Group):
                found += leaves(command, f"{prefix} {name}")
            else:
                found.append(f"{prefix} {name}".strip())
        return found

    for name in leaves(cli, ""):
        code, out = invoke(*name.split(), "--help")
        assert code == 0, name
        for flag in ("-q, --quiet", "-v, --verbose", "--debug"):
            assert flag in out, (name, flag)


def test_top_level_help_shows_whole_summaries() -> None:
    code, out = invoke("--help")
    commands = out.split("Commands:")[1]
    assert code == 0 and "..." not in commands
    assert "Review PATCH files (diffs or patch e-mails, - for stdin)" in " ".join(commands.split())
    code, out = invoke("bench", "--help")
    assert "duckfix bench builtin" in out and "--resume" in out


CLAMP = """\
def clamp(x, lo, hi):
    if x < lo:
        return lo
    if x > hi:
        return lo
    return x
"""
CLAMP_TESTS = """\
from prog import {name} as clamp

def test_low():
    assert clamp(-1, 0, 10) == 0

def test_high():
    assert clamp(11, 0, 10) == 10
"""


def test_debug_says_not_fixed_what_was_tried_with_the_users_paths(
    home: Path, tmp_path: Path
) -> None:
    (tmp_path / "prog.py").write_text(CLAMP)
    (tmp_path / "check_clamp.py").write_text(CLAMP_TESTS.format(name="clamp"))
    code, out = invoke(
        "debug", str(tmp_path / "prog.py"), "--tests", str(tmp_path / "check_clamp.py"),
        "--max-candidates", "2",
    )  # fmt: skip
    assert code == 1
    assert "not fixed: the budget of 2 candidates is spent" in out
    assert "tried 2 candidates (2 failed); the first 2:" in out
    assert f"{tmp_path / 'check_clamp.py'}::test_high" in out, "the user's path, not ours"
    assert "tests/test_check_clamp.py" not in out


def test_a_test_file_that_cannot_import_stops_at_reproduce(home: Path, tmp_path: Path) -> None:
    (tmp_path / "prog.py").write_text(CLAMP)
    (tmp_path / "test_prog.py").write_text(CLAMP_TESTS.format(name="clampx"))
    result = CliRunner().invoke(
        cli, ["debug", str(tmp_path / "prog.py"), "--tests", str(tmp_path / "test_prog.py"),
              "--json"],
    )  # fmt: skip
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["candidates"] == 0 and data["suspects"] == []
    assert "no test could run" in data["stop_reason"]
    assert "cannot import name 'clampx' from 'prog'" in data["stop_reason"]


def test_config_names_the_settings_file_and_isolated_reads_none(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "duckfix.toml").write_text("[sandbox]\ntimeout = 9\n")
    (tmp_path / "ci.toml").write_text("[sandbox]\ntimeout = 7\n")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    monkeypatch.chdir(tmp_path)

    def timeout(*args: str) -> dict[str, object]:
        result = CliRunner().invoke(cli, [*args, "config", "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)["sandbox.timeout"]

    assert timeout() == {"value": "9.0", "source": f"file {tmp_path / 'duckfix.toml'}"}
    assert timeout("--config", "ci.toml") == {"value": "7.0", "source": "file ci.toml"}
    assert timeout("--isolated") == {"value": "10.0", "source": "default"}
    for args, message in (
        (["--config", "nope.toml"], "--config nope.toml: no such file"),
        (["--config", "pyproject.toml"], "it has no [tool.duckfix] table"),
        (["--config", "ci.toml", "--isolated"], "exclude each other"),
    ):
        code, out = invoke(*args, "config")
        assert code == 2 and message in out, (args, out)
