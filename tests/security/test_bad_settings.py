"""Bad settings and a bad environment, through the installed command as a user runs it.

Each is refused before any work with one line on stderr and exit code 2,
never a traceback; a stray DUCKFIX_* variable is one warning; and a run killed
outright has already said the id that resumes it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.datasets.test_folder import write_task

EXE = str(Path(sys.executable).with_name("duckfix"))
PATCH = "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1 +1,2 @@\n x = 1\n+y = 2\n"


def run(
    place: Path, *args: str, timeout: float = 120, **env: str
) -> subprocess.CompletedProcess[str]:
    """``duckfix ARGS`` in ``place``, with its own home and only the DUCKFIX_* variables given."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DUCKFIX_")}
    clean["DUCKFIX_HOME"] = str(place / "home")
    argv = [a.format(place=place) for a in args]
    return subprocess.run(
        [EXE, *argv], cwd=place, env={**clean, **env}, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip


def refused(done: subprocess.CompletedProcess[str], *expected: str) -> str:
    """Assert exit 2, one line on stderr holding every ``expected`` piece, no traceback."""
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    for piece in expected:
        assert piece in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def place(tmp_path: Path) -> Path:
    """A working folder with a one-task suite and a patch."""
    write_task(tmp_path / "suite", "double")
    (tmp_path / "change.diff").write_text(PATCH)
    return tmp_path


# Every command that opens the store (and `config`, which shows the home).
STORE_COMMANDS = {
    "config": ["config"],
    "debug": ["debug", "{place}/suite/double"],
    "bench": ["bench", "{place}/suite"],
    "bench-resume": ["bench", "--resume", "bench-20250101-000000-abcdef"],
    "bench-report": ["bench", "report", "bench-20250101-000000-abcdef"],
    "tasks-check": ["tasks", "check", "{place}/suite"],
    "review": ["review", "change.diff", "--provider", "openai"],
    "mail": ["mail", "status"],
    "dataset": ["dataset", "build", "--from", "{place}/suite", "--llm", "1",
                "--provider", "openai", "--out", "{place}/ds"],
}  # fmt: skip


@pytest.mark.parametrize("command", list(STORE_COMMANDS))
def test_a_home_that_is_a_file_is_refused_by_every_command(place: Path, command: str) -> None:
    blocker = place / "not-a-folder"
    blocker.write_text("")
    done = run(place, *STORE_COMMANDS[command], DUCKFIX_HOME=str(blocker))
    refused(done, f"{blocker} is a file, not a folder", "DUCKFIX_HOME")


@pytest.mark.skipif(not os.path.isdir("/proc/1"), reason="needs Linux's /proc")
@pytest.mark.parametrize("command", ["config", "tasks-check", "mail"])
def test_a_home_no_one_can_write_in_is_refused(place: Path, command: str) -> None:
    # /proc/1 refuses new files even to root, for whom a chmod would not.
    done = run(place, *STORE_COMMANDS[command], DUCKFIX_HOME="/proc/1")
    refused(done, "cannot create files in /proc/1", "DUCKFIX_HOME")


@pytest.mark.parametrize(
    ("args", "flag", "why"),
    [
        (["debug", "x.py", "--max-seconds", "nan"], "--max-seconds", "not a finite number"),
        (["bench", "{place}/suite", "--max-seconds", "nan"], "--max-seconds", "finite"),
        (["bench", "{place}/suite", "--max-seconds", "1e400"], "--max-seconds", "finite"),
        (["bench", "{place}/suite", "--max-seconds", "0"], "--max-seconds", "range x>0"),
        (["debug", "x.py", "--max-seconds", "-1"], "--max-seconds", "range x>0"),
        (["tasks", "check", "builtin", "--case-timeout", "inf"], "--case-timeout", "finite"),
        (["mail", "watch", "x", "--interval", "nan"], "--interval", "finite"),
        (["--jobs", "0", "config"], "--jobs", "range x>=1"),
    ],
)
def test_a_bad_flag_value_is_one_line(place: Path, args: list[str], flag: str, why: str) -> None:
    refused(run(place, *args), f"Invalid value for '{flag}'", why)


def test_a_bench_results_folder_that_cannot_be_made_is_one_line(place: Path) -> None:
    done = run(place, "bench", "{place}/suite", "--out", "{place}/change.diff/results")
    refused(done, f"--out {place}/change.diff/results: {place}/change.diff is a file")
    with sqlite3.connect(place / "home" / "duckfix.db") as db:
        assert db.execute("SELECT count(*) FROM runs").fetchone() == (0,), "no run was recorded"


@pytest.mark.parametrize(
    ("args", "env", "setting", "why"),
    [
        (["tasks", "check", "{place}/suite"], {"DUCKFIX_SANDBOX__TIMEOUT": "1e400"},
         "sandbox.timeout", "finite number"),
        (["debug", "x.py"], {"DUCKFIX_CASE_TIMEOUT": "nan"}, "case_timeout", "finite number"),
        (["config"], {"DUCKFIX_TASKS__MAX_FILE_MB": "inf"}, "tasks.max_file_mb", "finite"),
        (["config"], {"DUCKFIX_LLM__TIMEOUT": "-1"}, "llm.timeout", "greater than 0"),
        (["config"], {"DUCKFIX_MAIL__SMTP_PORT": "0"}, "mail.smtp_port", "greater than 0"),
    ],
)  # fmt: skip
def test_a_bad_setting_from_the_environment_is_one_line(
    place: Path, args: list[str], env: dict[str, str], setting: str, why: str
) -> None:
    refused(run(place, *args, **env), f"setting {setting} (from env)", why)


@pytest.mark.parametrize(
    ("name", "text", "args"),
    [
        ("duckfix.toml", b"case_timeout = 2.0\n# caf\xe9\n", ["config"]),
        ("pyproject.toml", b"[tool.duckfix]\njobs = 1\n# caf\xe9\n", ["tasks", "list", "builtin"]),
        ("duckfix.toml", b"[sandbox]\ntimeout = nan\n", ["debug", "x.py"]),
        ("duckfix.toml", b"jobs = " + b"9" * 5000 + b"\n", ["config"]),
        ("duckfix.toml", b"x = " + b"[" * 100_000 + b"]" * 100_000 + b"\n", ["config"]),
    ],
)
def test_a_bad_settings_file_is_one_line(
    place: Path, name: str, text: bytes, args: list[str]
) -> None:
    (place / name).write_bytes(text)
    refused(run(place, *args), str(place / name))


@pytest.mark.parametrize(("command", "kind"), [("tasks-check", "missing"), ("debug", "a-file"),
                                               ("config", "missing")])  # fmt: skip
def test_a_sandbox_folder_that_is_not_usable_is_one_line(
    place: Path, command: str, kind: str
) -> None:
    folder = place / "nowhere"
    if kind == "a-file":
        folder.write_text("")
    done = run(place, *STORE_COMMANDS[command], DUCKFIX_SANDBOX_DIR=str(folder))
    refused(done, f"DUCKFIX_SANDBOX_DIR={folder} is not usable")


def test_a_stray_variable_is_one_warning_per_command(place: Path) -> None:
    shown = run(place, "config", "--json", DUCKFIX_LLM_PROVIDER="openai")
    assert shown.returncode == 0, shown.stderr
    json.loads(shown.stdout)  # stdout stays clean
    assert shown.stderr.splitlines() == [
        "duckfix: warning: ignoring DUCKFIX_LLM_PROVIDER, which duckfix does not read; "
        "did you mean DUCKFIX_LLM__PROVIDER (setting llm.provider)?"
    ]
    # `mail run` loads the settings twice; the warning still comes once.
    subprocess.run(["git", "init", "-q", str(place / "repo")], check=True)
    (place / "empty.mbox").write_text("")
    # DUCKFIX_SKIP and DUCKFIX_SANDBOX_DIR are read on purpose: no warning for them.
    more = {"DUCKFIX_SKIP": "1", "DUCKFIX_SANDBOX_DIR": str(place), "DUCKFIX_SANDBOX_TIMOUT": "5"}
    mail = run(place, "mail", "run", "empty.mbox", DUCKFIX_MAIL__REPO=str(place / "repo"), **more)
    assert mail.returncode == 0, mail.stderr
    assert mail.stderr.count("warning:") == 1 and "DUCKFIX_SANDBOX_TIMOUT" in mail.stderr


RUN_LINE = re.compile(r"^duckfix: run (\S+) \(resume with: duckfix bench --resume \1\)$")


def test_a_killed_bench_has_said_its_run_id_and_resumes(place: Path) -> None:
    suite = place / "suite"
    write_task(suite, "unfixable", **{"buggy/double.py": "def double(n):\n    return str(n) * 3\n"})
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUCKFIX_")}
    env |= {"DUCKFIX_HOME": str(place / "home"), "DUCKFIX_CASE_TIMEOUT": "1"}
    job = subprocess.Popen(
        [EXE, "--jobs", "1", "bench", str(suite), "--json", "--max-candidates", "30",
         "--out", str(place / "out")],
        cwd=place, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        assert job.stderr is not None
        first = job.stderr.readline().rstrip("\n")  # blocks until the run is recorded
        # Killed the hard way, before any task is done: nothing at the end will say the id.
        os.killpg(job.pid, signal.SIGKILL)
        job.wait(timeout=30)
    finally:
        if job.poll() is None:
            os.killpg(job.pid, signal.SIGKILL)
            job.wait()
    found = RUN_LINE.match(first)
    assert found, first
    run_id = found.group(1)
    assert job.returncode == -signal.SIGKILL
    resumed = run(place, "bench", "--resume", run_id, "--json", timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stderr.splitlines()[0] == first, "the resumed run says its id first too"
    results = {json.loads(line)["task_id"] for line in resumed.stdout.splitlines()}
    assert results == {"double", "unfixable"}
