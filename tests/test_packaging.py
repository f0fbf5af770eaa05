"""The wheel installs one namespace, `duckfix`, with the built-in suite as package data."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(ROOT)],
        check=True, capture_output=True, cwd=build,
    )  # fmt: skip
    (found,) = out.glob("duckfix-*.whl")
    return found


def test_wheel_holds_only_the_duckfix_namespace(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"duckfix"}
    for room in ("agents", "pipelines", "datasets", "service", "harness"):
        assert f"duckfix/{room}/__init__.py" in names
    assert "duckfix/datasets/suites/builtin/trie/task.toml" in names
    assert "duckfix/datasets/suites/builtin/trie/tests/visible/test_trie.py" in names
    assert "duckfix/datasets/suites/golden_c/calc/tests/visible/runs.jsonl" in names
    assert not any("__pycache__" in n or n.startswith("tests/") for n in names)
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "License-Expression: Apache-2.0" in text


def test_normal_install_runs_the_builtin_suite(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
         str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(target), "DUCKFIX_HOME": str(tmp_path / "home")}
    where = subprocess.run(
        [sys.executable, "-c", "import duckfix.datasets as d; print(d.__file__)"],
        capture_output=True, text=True, env=env, check=True, cwd=tmp_path,
    )  # fmt: skip
    assert where.stdout.startswith(str(target)), "the wheel's copy is the one imported"
    listed = subprocess.run(
        [sys.executable, "-m", "duckfix", "tasks", "list", "builtin", "--json"],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert "trie" in listed.stdout


def test_editable_install_maps_the_rooms() -> None:
    import duckfix.agents
    import duckfix.datasets
    import duckfix.service

    assert Path(duckfix.datasets.__file__).parent == ROOT / "datasets"
    assert Path(duckfix.service.__file__).parent == ROOT / "service"
    assert Path(duckfix.agents.__file__).parent == ROOT / "agents"
