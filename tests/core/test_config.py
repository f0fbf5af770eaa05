"""Settings precedence: defaults < file < environment < flags, with sources."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def _leaves(kind: type) -> list[str]:
    """Dotted names of the settings whose type is ``kind`` (or ``kind | None``)."""
    from typing import get_args

    from pydantic import BaseModel

    from duckfix.config import Settings

    def walk(model: type[BaseModel], prefix: str) -> list[str]:
        out: list[str] = []
        for name, info in model.model_fields.items():
            ann = info.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                out += walk(ann, f"{prefix}{name}.")
            elif ann is kind or kind in get_args(ann):
                out.append(prefix + name)
        return out

    return walk(Settings, "")


FLOATS = _leaves(float)


def test_the_float_settings_are_found() -> None:
    assert {"case_timeout", "sandbox.timeout", "tasks.max_file_mb", "llm.max_cost"} <= set(FLOATS)


@pytest.mark.parametrize("name", FLOATS)
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400", "NaN"])
def test_no_float_setting_takes_nan_or_infinity_from_the_environment(
    tmp_path: Path, name: str, value: str
) -> None:
    env = {"DUCKFIX_" + name.upper().replace(".", "__"): value}
    with pytest.raises(ConfigError, match=rf"setting {name} \(from env\): .*finite number"):
        load_settings(environ=env, cwd=tmp_path)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_no_float_setting_takes_nan_or_infinity_from_a_file(tmp_path: Path, value: str) -> None:
    (tmp_path / "duckfix.toml").write_text(f"[sandbox]\ntimeout = {value}\n")
    with pytest.raises(ConfigError, match=r"sandbox.timeout \(from file .*finite number"):
        load_settings(environ={}, cwd=tmp_path)


@pytest.mark.parametrize("name", FLOATS + _leaves(int))
def test_every_number_setting_has_a_lower_bound(name: str) -> None:
    """Zero or below is refused wherever it makes no sense; a new setting must say which."""
    from annotated_types import Ge, Gt

    from duckfix.config import Settings

    model: Any = Settings
    *parents, leaf = name.split(".")
    for part in parents:
        model = model.model_fields[part].annotation
    bounds = [m for m in model.model_fields[leaf].metadata if isinstance(m, Gt | Ge)]
    assert bounds, f"{name} takes any number, negative ones too"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"DUCKFIX_CASE_TIMEOUT": "0"},
            r"case_timeout \(from env\): Input should be greater than 0",
        ),
        ({"DUCKFIX_SANDBOX__TIMEOUT": "-1"}, r"sandbox.timeout .*greater than 0"),
        ({"DUCKFIX_LLM__PRICE_PROMPT": "-0.5"}, r"llm.price_prompt .*greater than or equal to 0"),
        ({"DUCKFIX_MAIL__SMTP_PORT": "70000"}, r"mail.smtp_port .*less than or equal to 65535"),
    ],
)
def test_out_of_range_numbers_are_refused(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(environ=env, cwd=tmp_path)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("duckfix.toml", b"jobs = 2\n# caf\xe9\n"),
        ("pyproject.toml", b"[tool.duckfix]\njobs = 2\n\n# caf\xe9 cr\xe8me\n"),
    ],
)
def test_a_file_that_is_not_utf8_is_named(tmp_path: Path, name: str, text: bytes) -> None:
    (tmp_path / name).write_bytes(text)
    line = text.count(b"\n", 0, text.index(b"\xe9")) + 1
    with pytest.raises(ConfigError, match=rf"{name}: line {line} is not UTF-8"):
        load_settings(environ={}, cwd=tmp_path)


def test_a_pyproject_whose_tool_is_not_a_table_is_not_ours(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("tool = 3\n")
    _, sources = load_settings(environ={}, cwd=tmp_path)
    assert sources["jobs"] == "default"


def test_env_names_spell_every_setting_as_a_variable() -> None:
    from duckfix.config import env_names

    names = env_names()
    assert names["DUCKFIX_LLM__PROVIDER"] == "llm.provider"
    assert names["DUCKFIX_HOME"] == "home"
    assert names["DUCKFIX_TASKS__MAX_FILE_MB"] == "tasks.max_file_mb"
    assert names["DUCKFIX_SANDBOX__DISK_MB"] == "sandbox.disk_mb"
    assert "DUCKFIX_LLM" not in names  # a section, not a setting
