"""`duckfix review --hls-dataset PATH` as a user runs it, on a toy dataset in the Chrysalis layout.

The dataset is :func:`tests.datasets.test_chrysalis.build_dataset`'s: eight bugs in
three designs, of which the hls check catches the two FND, the APT and the
SHFT bug (gcc too, for SHFT), and misses OOB and INIT; ZERO and BUF do not apply.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.datasets.test_chrysalis import EXPECTED, TITLE, build_dataset


def duckfix(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DUCKFIX_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "duckfix", "review", *args],
        cwd=home.parent, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return build_dataset(tmp_path / "data")


def test_counts_per_category_as_json(root: Path, tmp_path: Path) -> None:
    done = duckfix(["--hls-dataset", str(root), "--format", "json"], tmp_path / "home")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["title"] == TITLE and doc["dataset"] == str(root)
    assert {"c", "hls"} <= set(doc["checks"]) and "model" not in doc["checks"]
    rows = {r["category"]: r for r in doc["categories"]}
    assert list(rows) == ["OOB", "INIT", "SHFT", "ZERO", "BUF", "APT", "FND"]  # taxonomy order
    got = {name: (r["bugs"], r["applied"], r["on_line"]) for name, r in rows.items()}
    assert got == EXPECTED
    assert rows["FND"]["checks"] == {"hls": 2} and rows["APT"]["checks"] == {"hls": 1}
    assert rows["SHFT"]["checks"] == {"c": 1, "hls": 1}  # gcc found vadd.h, so it could check
    assert rows["OOB"]["flagged"] == 0 and rows["OOB"]["checks"] == {}
    total = doc["total"]
    assert (total["bugs"], total["applied"], total["flagged"], total["on_line"]) == (8, 6, 4, 4)
    assert doc["unchecked"] == {}
    bugs = {(b["design"], b["bug_file"], b["index"]): b for b in doc["bugs"]}
    fnd = bugs[("vadd", "bug_FND.txt", 0)]
    assert fnd["lines"]["start"] == 5 and fnd["checks"] == ["hls"]
    assert [f["category"] for f in fnd["findings"]] == ["hls/array-partition"]
    assert "not in the source" in bugs[("shift", "bug_ZERO.txt", 0)]["reason"]


def test_the_terminal_table_from_the_parent_folder(root: Path, tmp_path: Path) -> None:
    done = duckfix(["--hls-dataset", str(root.parent), "--checks", "hls"], tmp_path / "home")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert TITLE in out and "on the line" in out
    fnd = next(line for line in out.splitlines() if line.startswith("FND"))
    assert fnd.split()[:6] == ["FND", "pragma", "2", "2", "2", "2"] and "hls 2" in fnd
    shft = next(line for line in out.splitlines() if line.startswith("SHFT"))
    assert "hls 1" in shft and "c 1" not in shft  # --checks is honoured as given
    assert "not applied: 2" in out and "bug_BUF.txt[0]: not valid JSON" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hls-dataset", "{tmp}"], "not a Chrysalis HLS bug dataset; expected HLS_Bug_Dataset/"),
        (["--hls-dataset", "{tmp}/missing"], "no such folder"),
        (["--hls-dataset", "{root}", "--format", "sarif"], "reports as terminal or json"),
        (["--hls-dataset", "{root}", "--staged"], "--hls-dataset is reviewed on its own"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    root: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "other" / "folder").mkdir(parents=True)
    filled = [a.format(tmp=tmp_path / "other", root=root) for a in args]
    done = duckfix(filled, tmp_path / "home")
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
