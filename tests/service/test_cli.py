"""The duckfix command: in-process with click's runner, and end to end as installed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from duckfix.service.cli import cli

from tests.datasets.test_folder import write_task


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DUCKFIX_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def test_config_shows_values_and_sources(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "duckfix.toml").write_text("case_timeout = 1.5\n")
    result = runner.invoke(cli, ["--jobs", "3", "config", "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["case_timeout"] == {"value": "1.5", "source": f"file {tmp_path / 'duckfix.toml'}"}
    assert shown["jobs"] == {"value": "3", "source": "flag"}
    assert shown["home"]["source"] == "env"
    assert shown["sandbox isolation (in force)"]["value"] in ("namespaces", "plain")
    table = runner.invoke(cli, ["config"])
    assert "case_timeout" in table.output and "default" in table.output


def test_bad_input_is_one_line_and_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["tasks", "check", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert result.output.strip().startswith("Error: no suite")
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    (tmp_path / "duckfix.toml").write_text("jobs = 'many'\n")
    bad_config = runner.invoke(cli, ["config"])
    assert bad_config.exit_code == 2 and "jobs (from file" in bad_config.output


def test_tasks_list_and_check_a_folder(runner: CliRunner, tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    write_task(suite, "double")
    listed = runner.invoke(cli, ["tasks", "list", str(suite), "--json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output)[0]["id"] == "double"
    checked = runner.invoke(cli, ["tasks", "check", str(suite), "--json"])
    assert checked.exit_code == 0, checked.output
    (row,) = json.loads(checked.stdout)
    assert checked.stderr.startswith("duckfix: run tasks-check-"), "the run's id comes first"
    assert row["verdict"] == "ok"
    assert row["buggy_visible"] == {"failed": 1, "passed": 1}  # 2 + 2 == 2 * 2
    assert row["fixed_hidden"] == {"failed": 0, "passed": 2}


def test_check_reports_a_bad_task_and_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    write_task(suite, "double", **{"fixed/double.py": "def double(n):\n    return n + n + 1\n"})
    write_task(suite, "same", **{"buggy/double.py": "def double(n):\n    return 2 * n\n"})
    result = runner.invoke(cli, ["tasks", "check", str(suite)])
    assert result.exit_code == 1
    assert "fix fails visible" in result.output
    assert "the buggy program passes every test" in result.output
    assert "0/2 tasks ok" in result.output
    only = runner.invoke(cli, ["tasks", "check", str(suite), "--task", "nope"])
    assert only.exit_code == 2 and "no task nope" in only.output


def test_installed_command_end_to_end(tmp_path: Path) -> None:
    """`duckfix` and `python -m duckfix` as a user runs them, on the built-in suite."""
    env = {**os.environ, "DUCKFIX_HOME": str(tmp_path / "home")}
    exe = Path(sys.executable).with_name("duckfix")
    version = subprocess.run([sys.executable, "-m", "duckfix", "--version"],
                             capture_output=True, text=True, env=env, check=True)  # fmt: skip
    assert version.stdout.startswith("duckfix, version ")
    result = subprocess.run(
        [str(exe), "tasks", "check", "builtin", "--task", "binomial", "--task", "trie"],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "binomial" in result.stdout and "2/2 tasks ok" in result.stdout
    assert "stored as run tasks-check-" in result.stderr
    assert "sandbox isolation: " in result.stderr
    assert (tmp_path / "home" / "duckfix.db").is_file()


def test_tasks_check_reads_a_quixbugs_layout(runner: CliRunner, tmp_path: Path) -> None:
    """`quixbugs:PATH` from the command line, on a toy folder in that layout."""
    from tests.datasets.test_quixbugs import FILES, write_layout

    layout = tmp_path / "qb"
    write_layout(layout, FILES)
    listed = runner.invoke(cli, ["tasks", "list", f"quixbugs:{layout}", "--json"])
    assert listed.exit_code == 0, listed.output
    ids = {row["id"] for row in json.loads(listed.output)}
    assert {"add_one", "count_down", "reachable", "shout"} <= ids
    missing = runner.invoke(cli, ["tasks", "check", f"quixbugs:{tmp_path / 'nope'}"])
    assert missing.exit_code == 2 and "Traceback" not in missing.output


def test_tasks_check_runs_an_hls_kernel_of_the_built_in_suite(runner: CliRunner) -> None:
    pytest.importorskip("hls4ml", reason="the hls extra is not installed")
    result = runner.invoke(cli, ["tasks", "check", "hls", "--task", "vecsum"])
    assert result.exit_code == 0, result.output
    assert "vecsum" in result.output and "1/1 tasks ok" in result.output
