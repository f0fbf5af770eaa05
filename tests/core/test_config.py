"""Settings precedence: defaults < file < environment < flags, with sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from duckfix.config import find_config_file, load_settings
from duckfix.errors import ConfigError


def test_defaults(tmp_path: Path) -> None:
    settings, sources = load_settings(environ={}, cwd=tmp_path)
    assert settings.case_timeout == 2.0 and settings.sandbox.timeout == 10.0
    assert sources["case_timeout"] == "default"
    assert settings.database.startswith("sqlite:///") and settings.database.endswith("duckfix.db")


def test_precedence_file_env_flag(tmp_path: Path) -> None:
    (tmp_path / "duckfix.toml").write_text(
        "case_timeout = 3.0\njobs = 3\n[sandbox]\ntimeout = 7\nmemory-mb = 512\n"
    )
    nested = tmp_path / "src" / "pkg"
    nested.mkdir(parents=True)
    env = {"DUCKFIX_JOBS": "4", "DUCKFIX_SANDBOX__TIMEOUT": "8", "UNRELATED": "x"}
    settings, sources = load_settings({"jobs": 5}, environ=env, cwd=nested)
    assert settings.case_timeout == 3.0 and sources["case_timeout"].startswith("file ")
    assert settings.sandbox.memory_mb == 512
    assert settings.sandbox.timeout == 8.0 and sources["sandbox.timeout"] == "env"
    assert settings.jobs == 5 and sources["jobs"] == "flag"


def test_pyproject_tool_table_and_nearest_wins(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.duckfix]\ncase_timeout = 4.5\n")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "pyproject.toml").write_text("[project]\nname = 'x'\n")  # no [tool.duckfix]
    settings, _ = load_settings(environ={}, cwd=sub)
    assert settings.case_timeout == 4.5
    found = find_config_file(sub)
    assert found is not None and found[0] == tmp_path / "pyproject.toml"


def test_home_and_database_from_environment(tmp_path: Path) -> None:
    settings, sources = load_settings(environ={"DUCKFIX_HOME": str(tmp_path)}, cwd=tmp_path)
    assert settings.home == tmp_path and sources["home"] == "env"
    assert settings.database == f"sqlite:///{tmp_path / 'duckfix.db'}"


@pytest.mark.parametrize(
    ("file", "env", "message"),
    [
        ("colour = 'red'\n", {}, r"unknown setting\(s\) colour"),
        (
            "case_timeout = 'soon'\n",
            {},
            r"case_timeout \(from file .*\): Input should be a valid number",
        ),
        ("", {"DUCKFIX_JOBS": "0"}, r"jobs \(from env\): Input should be greater than 0"),
        ("case_timeout = \n", {}, r"not valid TOML"),
    ],
)
def test_bad_settings_name_the_source(
    tmp_path: Path, file: str, env: dict[str, str], message: str
) -> None:
    (tmp_path / "duckfix.toml").write_text(file)
    with pytest.raises(ConfigError, match=message):
        load_settings(environ=env, cwd=tmp_path)


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings, _ = load_settings(environ={}, cwd=tmp_path)
    with pytest.raises(ValueError):
        settings.jobs = 9  # type: ignore[misc]


def test_none_in_the_environment_unsets_only_what_may_be_unset(tmp_path: Path) -> None:
    env = {"DUCKFIX_LLM__PROVIDER": "none", "DUCKFIX_LLM__MODEL": "none"}
    settings, sources = load_settings(environ=env, cwd=tmp_path)
    assert settings.llm.provider == "none" and settings.llm.model is None
    assert sources["llm.provider"] == sources["llm.model"] == "env"
