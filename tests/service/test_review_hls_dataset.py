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


def _run_id(stderr: str) -> str:
    line = next(x for x in stderr.splitlines() if x.startswith("duckfix: run "))
    return line.split()[2]


def test_a_stopped_run_resumes_with_only_the_bug_files_it_lacks(root: Path, tmp_path: Path) -> None:
    import sqlite3

    home = tmp_path / "home"
    first = duckfix(["--hls-dataset", str(root), "--json", "--checks", "hls"], home)
    assert first.returncode == 0, first.stderr
    run_id = _run_id(first.stderr)
    assert f"resume with: duckfix review --hls-dataset {root} --resume {run_id}" in first.stderr
    # As if the run had stopped before two bug files landed.
    with sqlite3.connect(home / "duckfix.db") as db:
        rows = db.execute("SELECT item FROM results WHERE run_id = ?", (run_id,))
        items = {item for (item,) in rows}
        assert len(items) == 7 and "Kernels/vadd/bug_FND.txt" in items
        db.execute(
            "DELETE FROM results WHERE run_id = ? AND item IN (?, ?)",
            (run_id, "Kernels/vadd/bug_FND.txt", "Extra/shift/bug_SHFT.txt"),
        )
        db.execute("UPDATE runs SET status = 'interrupted' WHERE id = ?", (run_id,))
    # A file already reviewed is not read again: spoiling it changes nothing;
    # one it lacks is read afresh.
    (root / "Kernels/matmul/Bugs/bug_INIT.txt").write_text("{", encoding="utf-8")
    (root / "Extra/shift/Bugs/bug_SHFT.txt").write_text("{", encoding="utf-8")
    again = duckfix(["--hls-dataset", str(root), "--json", "--resume", run_id], home)
    assert again.returncode == 0, again.stderr
    before, after = json.loads(first.stdout), json.loads(again.stdout)
    assert after["checks"] == ["hls"]  # the run's own checks, kept
    bugs = {(b["design"], b["bug_file"]): b for b in after["bugs"]}
    assert bugs[("matmul", "bug_INIT.txt")]["applied"]
    assert not bugs[("shift", "bug_SHFT.txt")]["applied"]
    assert bugs[("vadd", "bug_FND.txt")]["on_line"]
    assert [(b["design"], b["bug_file"]) for b in after["bugs"]] == [
        (b["design"], b["bug_file"]) for b in before["bugs"]
    ]
    with sqlite3.connect(home / "duckfix.db") as db:
        ((status,),) = db.execute("SELECT status FROM runs WHERE id = ?", (run_id,))
        assert status == "ok"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--resume", "{run}"], "--resume go with --hls-dataset"),
        (["--hls-dataset", "{other}", "--resume", "{run}"], "measured"),
        (["--hls-dataset", "{root}", "--resume", "{run}", "--checks", "c"], "without --checks"),
        (["--hls-dataset", "{root}", "--resume", "run-nope"], "run-nope"),
    ],
)
def test_a_resume_that_does_not_fit_is_refused(
    root: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    home = tmp_path / "home"
    first = duckfix(["--hls-dataset", str(root), "--json", "--checks", "hls"], home)
    other = build_dataset(tmp_path / "other")
    filled = [a.format(run=_run_id(first.stderr), root=root, other=other) for a in args]
    done = duckfix(filled, home)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
