"""``duckfix debug --server``: a program or a task folder debugged on a server, shown as locally."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.datasets.test_folder import write_task
from tests.pipelines.conftest import LARGEST
from tests.service.remote.conftest import clean_env, run_duckfix
from tests.service.server.conftest import LiveServer

TESTS = """\
from largest import largest


def test_first():
    assert largest([3, 1, 2]) == 3


def test_single():
    assert largest([7]) == 7
"""
_TIMES = re.compile(r"\d+\.\d s|run debug-\S+|\(run [^)]+\)")


def _same_but_times(text: str) -> str:
    """The output with its seconds and run ids masked: they differ from run to run."""
    return _TIMES.sub("…", text)


def _json_but_times(text: str) -> object:
    """The document without what differs from run to run: seconds (anywhere), run ids."""

    def strip(value: object) -> object:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("seconds", "run_id")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(json.loads(text))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    (work / "largest.py").write_text(LARGEST)
    # Not named after the program: the server names it so, and the user's name is shown.
    (work / "checks.py").write_text(TESTS)
    return work


def _env(server: LiveServer, home: Path, name: str) -> dict[str, str]:
    return clean_env(home, DUCKFIX_TOKEN=server.token(name, "debug"), DUCKFIX_CASE_TIMEOUT="1")


@pytest.mark.slow
def test_a_program_debugged_on_the_server_prints_what_a_local_run_prints(
    server: LiveServer, project: Path
) -> None:
    env = _env(server, project.parent / "home", "debugger")
    args = ("debug", "largest.py", "--tests", "checks.py")
    local = run_duckfix(project, env, *args)
    remote = run_duckfix(project, env, *args, "--server", server.url)
    assert local.returncode == remote.returncode == 0, remote.stderr
    assert "suspect lines" in remote.stdout and "+        if x > best:" in remote.stdout
    assert _same_but_times(remote.stdout) == _same_but_times(local.stdout)
    assert remote.stderr.startswith("duckfix: run debug-"), remote.stderr


@pytest.mark.slow
def test_apply_writes_the_servers_fix_into_the_local_file(
    server: LiveServer, project: Path
) -> None:
    env = _env(server, project.parent / "home", "applier")
    done = run_duckfix(project, env, "debug", "largest.py", "--tests", "checks.py", "--apply",
                       "--json", "--server", server.url)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["applied"] is True
    assert "if x > best:" in (project / "largest.py").read_text()


@pytest.mark.slow
def test_a_task_folder_goes_as_an_archive(server: LiveServer, tmp_path: Path) -> None:
    folder = write_task(tmp_path / "tasks")
    env = _env(server, tmp_path / "home", "folder")
    local = run_duckfix(tmp_path, env, "debug", str(folder), "--json")
    (folder / "__pycache__").mkdir()  # left by a test run: never sent
    (folder / "__pycache__" / "double.cpython-311.pyc").write_bytes(b"\0" * 10)
    remote = run_duckfix(tmp_path, env, "debug", str(folder), "--json", "--server", server.url)
    assert local.returncode == remote.returncode == 0, remote.stderr
    assert _json_but_times(remote.stdout) == _json_but_times(local.stdout)


def test_a_bad_program_is_refused_here_before_anything_is_sent(
    server: LiveServer, project: Path
) -> None:
    env = _env(server, project.parent / "home", "careless")
    done = run_duckfix(project, env, "debug", "nothere.py", "--tests", "checks.py",
                       "--server", server.url)  # fmt: skip
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    with server.client(env["DUCKFIX_TOKEN"]) as client:
        assert client.get("/v1/jobs").json()["jobs"] == []
    resumed = run_duckfix(project, env, "debug", "--resume", "x", "--server", server.url)
    assert resumed.returncode == 2 and "a server resumes its own jobs" in resumed.stderr


def test_a_token_without_the_debug_scope_is_one_line(server: LiveServer, project: Path) -> None:
    env = clean_env(project.parent / "home", DUCKFIX_TOKEN=server.token("reviewer-only"))
    done = run_duckfix(project, env, "debug", "largest.py", "--tests", "checks.py",
                       "--server", server.url)  # fmt: skip
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "403" in done.stderr and "may not submit debug jobs" in done.stderr
