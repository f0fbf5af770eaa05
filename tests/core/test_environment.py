"""Stray DUCKFIX_* variables are named, with what they meant; unusable folders are refused."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from duckfix.config import env_names
from duckfix.environment import (
    OTHER_VARIABLES,
    check_sandbox_dir,
    folder_problem,
    stray_variables,
)
from duckfix.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_ENV = env_names()


def warnings_for(environ: dict[str, str], also: tuple[str, ...] = ()) -> list[str]:
    return stray_variables(environ, SETTINGS_ENV, also)


def test_a_single_underscore_slip_names_the_setting_meant() -> None:
    (line,) = warnings_for({"DUCKFIX_LLM_PROVIDER": "openai"})
    assert line == (
        "duckfix: warning: ignoring DUCKFIX_LLM_PROVIDER, which duckfix does not read; "
        "did you mean DUCKFIX_LLM__PROVIDER (setting llm.provider)?"
    )


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("DUCKFIX_SANDBOX_TIMEOUT", "DUCKFIX_SANDBOX__TIMEOUT"),
        ("DUCKFIX_CASETIMEOUT", "DUCKFIX_CASE_TIMEOUT"),
        ("DUCKFIX_TASKS_MAX_FILE_MB", "DUCKFIX_TASKS__MAX_FILE_MB"),
        ("DUCKFIX_SANDBOX__DIR", "DUCKFIX_SANDBOX_DIR"),
        ("DUCKFIX_SKIPP", "DUCKFIX_SKIP"),
    ],
)
def test_close_names_are_suggested(name: str, meant: str) -> None:
    (line,) = warnings_for({name: "1"})
    assert f"ignoring {name}," in line and f"did you mean {meant}" in line


def test_a_section_name_and_a_name_like_nothing_get_their_own_hint() -> None:
    section, nothing = warnings_for({"DUCKFIX_LLM": "x", "DUCKFIX_ZZZQQQ": "x"})
    assert "set one by one, as DUCKFIX_LLM__<NAME>" in section
    assert "`duckfix config` lists the settings" in nothing


def test_what_duckfix_reads_on_purpose_is_not_warned_about() -> None:
    environ = {name: "x" for name in SETTINGS_ENV}
    environ |= {name: "x" for name in OTHER_VARIABLES}
    environ |= {"DUCKFIX_llm__model": "m", "PATH": "/bin", "XDUCKFIX_FOO": "x"}
    environ |= {"DUCKFIX_LIST_PASSWORD": "s3cret"}  # named by mail.smtp_password_env
    assert warnings_for(environ, also=("DUCKFIX_LIST_PASSWORD",)) == []


def test_every_duckfix_variable_the_code_reads_is_known() -> None:
    """A new DUCKFIX_* variable read anywhere must be added to OTHER_VARIABLES, or it warns."""
    macros = {"DUCKFIX_MAIN", "DUCKFIX_TB_H"}  # C test-bench macros, not variables
    found: set[str] = set()
    for room in ("duckfix", "agents", "pipelines", "datasets", "service"):
        for path in (ROOT / room).rglob("*.py"):
            found |= set(re.findall(r"[\"'](DUCKFIX_[A-Z0-9_]+)[\"']", path.read_text()))
    unknown = found - macros - set(SETTINGS_ENV) - set(OTHER_VARIABLES)
    assert not unknown, f"read but unknown to duckfix.environment: {sorted(unknown)}"


def test_folder_problems_say_which_folder_and_why(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert folder_problem(tmp_path) is None
    assert folder_problem(blocker) == f"{blocker} is a file, not a folder"
    assert folder_problem(tmp_path / "new") == f"{tmp_path / 'new'} does not exist"
    assert folder_problem(tmp_path / "new" / "deeper", missing_ok=True) is None
    assert folder_problem(blocker / "sub", missing_ok=True) == f"{blocker} is a file, not a folder"
    assert folder_problem(Path(os.devnull)) == f"{os.devnull} is a special file, not a folder"
    assert not list(tmp_path.glob(".duckfix-probe-*")), "the probe leaves nothing behind"


@pytest.mark.skipif(not os.path.isdir("/proc/1"), reason="needs Linux's /proc")
def test_a_folder_no_one_can_write_in_is_caught_even_by_root() -> None:
    # os.access says yes to root everywhere; only a real attempt tells.
    problem = folder_problem(Path("/proc/1"))
    assert problem is not None and problem.startswith("cannot create files in /proc/1 (")


def test_the_sandbox_folder_must_exist_and_be_writable(tmp_path: Path) -> None:
    check_sandbox_dir({})
    check_sandbox_dir({"DUCKFIX_SANDBOX_DIR": ""})  # empty is unset, as in the sandbox
    check_sandbox_dir({"DUCKFIX_SANDBOX_DIR": str(tmp_path)})
    missing = tmp_path / "nowhere"
    with pytest.raises(ConfigError, match=f"DUCKFIX_SANDBOX_DIR={missing} is not usable: .*exist"):
        check_sandbox_dir({"DUCKFIX_SANDBOX_DIR": str(missing)})
    assert not missing.exists(), "the sandbox folder is never made for the user"
