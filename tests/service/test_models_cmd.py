"""``duckfix models``: list the catalogue, install one, print its path; bad names exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from duckfix.model_catalog import find
from duckfix.service.cli import cli


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("DUCKFIX_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    return home


def test_list_says_what_is_installed_and_the_licence(home: Path) -> None:
    small = find("qwen2.5-coder-0.5b")
    small.path(home).parent.mkdir(parents=True)
    with small.path(home).open("wb") as fh:
        fh.truncate(small.size)
    result = CliRunner().invoke(cli, ["models", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert rows["qwen2.5-coder-0.5b"]["installed"] is True
    assert rows["qwen2.5-coder-1.5b"]["installed"] is False
    assert "Apache-2.0" in rows["qwen2.5-coder-1.5b"]["licence"]
    table = CliRunner().invoke(cli, ["models", "list"])
    assert "qwen2.5-coder-1.5b" in table.output and "Apache-2.0" in table.output
    path = CliRunner().invoke(cli, ["models", "path", "qwen2.5-coder-0.5b"])
    assert path.exit_code == 0 and path.output.strip() == str(small.path(home))


def test_path_of_a_model_not_installed(home: Path) -> None:
    result = CliRunner().invoke(cli, ["models", "path", "qwen2.5-coder-1.5b"])
    assert result.exit_code == 2
    assert "duckfix models install qwen2.5-coder-1.5b" in result.output
    assert "Traceback" not in result.output


def test_install_of_an_unknown_model(home: Path) -> None:
    result = CliRunner().invoke(cli, ["models", "install", "gpt-5"])
    assert result.exit_code == 2
    assert "known: qwen2.5-coder-1.5b, qwen2.5-coder-0.5b" in result.output
