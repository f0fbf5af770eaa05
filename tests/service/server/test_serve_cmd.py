"""`duckfix serve` without its extra: one line saying what to install, exit code 2."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from duckfix.service.cli import cli


def test_without_the_serve_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DUCKFIX_HOME", str(tmp_path))
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn now fails
    result = CliRunner().invoke(cli, ["--isolated", "serve"])
    assert result.exit_code == 2
    assert "pip install 'duckfix[serve]'" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
