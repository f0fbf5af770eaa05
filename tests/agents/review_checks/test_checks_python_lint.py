"""Ruff on the added lines of Python files, under the repository's own configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from duckfix.agents.review_checks import python_lint
from duckfix.errors import CheckNotRun

from tests.agents.review_checks.test_checks import SETTINGS, by_line, make_ctx

OLD = "def f():\n    return undefined_a\n"
NEW = "def f():\n    return undefined_a\n\n\ndef g():\n    return undefined_b\n"


def test_undefined_name_on_an_added_line(tmp_path: Path) -> None:
    found = python_lint.check(make_ctx(tmp_path / "r", "pkg/m.py", OLD, NEW), SETTINGS)
    assert [(f.line, f.category, f.severity) for f in found] == [(6, "python/F821", "error")]
    assert "undefined_b" in found[0].message
    assert "undefined_a" not in found[0].message  # line 2 is untouched


def test_the_repositorys_ruff_config_applies(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {"ruff.toml": '[lint]\nignore = ["F821"]\n'}
    ctx = make_ctx(tmp_path / "r", "pkg/m.py", OLD, NEW, files=files)
    assert python_lint.check(ctx, SETTINGS) == []
    files = {"pyproject.toml": '[tool.ruff.lint]\nextend-select = ["W291"]\n'}
    ctx = make_ctx(tmp_path / "p", "m.py", "x = 1\n", "x = 1\ny = 2 \n", files=files)
    assert by_line(python_lint.check(ctx, SETTINGS)) == {2: ["python/W291"]}


def test_without_a_config_the_classic_rule_set(tmp_path: Path) -> None:
    # Unsorted imports (I001) are not among E4, E7, E9, F, whatever ruff's default is.
    new = "import sys\nimport os\n\nprint(os.sep, sys.argv)\n"
    assert python_lint.check(make_ctx(tmp_path / "r", "m.py", "", new), SETTINGS) == []


def test_severities_and_one_line_fixes(tmp_path: Path) -> None:
    new = "import os\n\nx = f'abc'\n"
    found = python_lint.check(make_ctx(tmp_path / "r", "m.py", "", new), SETTINGS)
    got = {f.category: f for f in found}
    assert set(got) == {"python/F401", "python/F541"}
    assert got["python/F401"].severity == "warning"
    assert got["python/F401"].suggestion is None  # the fix deletes the whole line
    assert got["python/F541"].suggestion == "x = 'abc'"
    (syntax,) = python_lint.check(make_ctx(tmp_path / "s", "m.py", "", "y = (1,\n"), SETTINGS)
    assert (syntax.severity, syntax.category) == ("error", "python/invalid-syntax")


def test_noqa_and_non_python_files(tmp_path: Path) -> None:
    new = "x = undefined  # noqa: F821\n"
    assert python_lint.check(make_ctx(tmp_path / "r", "m.py", "", new), SETTINGS) == []
    ctx = make_ctx(tmp_path / "t", "m.txt", "", "x = undefined\n")
    assert python_lint.check(ctx, SETTINGS) == []
    ctx = make_ctx(tmp_path / "n", "m.py", "", "x = undefined\n", with_text=False)
    with pytest.raises(CheckNotRun, match="not applied"):
        python_lint.check(ctx, SETTINGS)


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ("echo 'No module named ruff' >&2; exit 1", "exited with status 1"),
        ("echo 'not json'; exit 0", "not JSON"),
    ],
)
def test_a_failing_ruff_means_the_check_could_not_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str, reason: str
) -> None:
    ctx = make_ctx(tmp_path / "r", "m.py", "x = 1\n", "x = 1\ny = undefined\nz = 3\n")
    fake = tmp_path / "python"
    fake.write_text(f"#!/bin/sh\n{script}\n")
    fake.chmod(0o755)
    monkeypatch.setattr(python_lint, "ruff_command", lambda: (str(fake),))
    with pytest.raises(CheckNotRun, match=reason):
        python_lint.check(ctx, SETTINGS)
