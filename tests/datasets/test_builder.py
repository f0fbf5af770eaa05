"""The dataset builder: validation of mutants, the build's outputs, and the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from duckfix.datasets.builder.build import BuildSpec, build_dataset
from duckfix.datasets.builder.mutants import Mutant
from duckfix.datasets.builder.validate import validate_mutant, validate_pragma
from duckfix.datasets.check import check_task
from duckfix.datasets.folder import load_task, load_task_folders
from duckfix.errors import UsageError
from duckfix.runner import RunOptions

CLAMP = '''\
def clamp(values, low, high):
    """Each value moved into [low, high]."""
    out = []
    for v in values:
        if v < low:
            out.append(low)
        elif v > high:
            out.append(high)
        else:
            out.append(v)
    return out
'''
CLAMP_CASES = [
    ([[1, 5, 9], 2, 8], [2, 5, 8]),
    ([[2, 8], 2, 8], [2, 8]),
    ([[], 0, 1], []),
    ([[-3, 0, 3], -1, 1], [-1, 0, 1]),
]
TOTAL = """\
def total(n):
    s = 0
    i = 0
    while i < n:
        s += i
        i += 1
    return s
"""
TOTAL_CASES = [([0], 0), ([1], 0), ([4], 6), ([10], 45)]
OPTIONS = RunOptions(case_timeout=2.0)


def _task_folder(root: Path, name: str, source: str, cases: list[tuple[list, object]]) -> Path:
    folder = root / name
    for side in ("buggy", "fixed"):
        (folder / side).mkdir(parents=True)
        (folder / side / f"{name}.py").write_text(source)
    for side in ("visible", "hidden"):
        (folder / "tests" / side).mkdir(parents=True)
        rows = [json.dumps({"args": a, "expected": e}) for a, e in cases]
        (folder / "tests" / side / "cases.jsonl").write_text("\n".join(rows) + "\n")
    (folder / "task.toml").write_text(f'id = "{name}"\nentry_point = "{name}"\n')
    return folder


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("suite")
    _task_folder(root, "clamp", CLAMP, CLAMP_CASES)
    _task_folder(root, "total", TOTAL, TOTAL_CASES)
    return root


def _mutant(text: str, old: str, new: str, category: str, kind: str = "logic") -> Mutant:
    start = text.index(old)
    return Mutant(
        category=category,
        kind=kind,  # type: ignore[arg-type]
        file="clamp.py" if "clamp" in text else "total.py",
        start=start,
        end=start + len(old),
        replacement=new,
        line=text.count("\n", 0, start) + 1,
        description=f"{old.strip()} -> {new.strip()}",
        mutator="test",
    )


def test_a_mutant_that_fails_a_test_is_kept_with_the_failing_test(suite: Path) -> None:
    task = load_task(suite / "clamp")
    verdict = validate_mutant(
        task, _mutant(CLAMP, "v < low", "v <= low", "wrong-comparison"), OPTIONS
    )
    # v == low now takes the first branch: the output is the same value. Equivalent.
    assert not verdict.kept and verdict.reason == "equivalent"
    verdict = validate_mutant(
        task, _mutant(CLAMP, "v > high", "v < high", "wrong-comparison"), OPTIONS
    )
    assert verdict.kept and verdict.reason == "kept"
    assert verdict.failing_test and verdict.failing_test.startswith("visible/cases.jsonl")


def test_a_hang_is_evidence_only_for_inf(suite: Path) -> None:
    task = load_task(suite / "total")
    fast = OPTIONS.__class__(case_timeout=0.5)
    loop = _mutant(TOTAL, "        i += 1\n", "", "INF")
    assert validate_mutant(task, loop, fast).kept
    same_edit = loop.model_copy(update={"category": "missing-statement"})
    verdict = validate_mutant(task, same_edit, fast)
    assert not verdict.kept and verdict.reason == "only hangs"
    no_loop = _mutant(TOTAL, "s += i", "s -= i", "INF")  # wrong, but it ends
    assert validate_mutant(task, no_loop, fast).reason == "does not hang"


def test_pragma_mutants_must_parse_and_edit_a_pragma() -> None:
    pytest.importorskip("tree_sitter_cpp")
    text = (
        "void k(int a[16]) {\n#pragma HLS ARRAY_PARTITION variable=a cyclic factor=4\n"
        "  for (int i = 0; i < 16; i++) a[i] += 1;\n}\n"
    )
    factor = text.index("factor=4") + len("factor=")
    fnd = Mutant(
        category="FND", kind="pragma", file="k.cpp", start=factor, end=factor + 1,
        replacement="3", line=2, description="factor=4 -> factor=3", mutator="t",
    )  # fmt: skip
    assert validate_pragma(text, fnd).kept
    body = text.index("+= 1")
    not_pragma = fnd.model_copy(update={"start": body, "end": body + 2, "replacement": "-="})
    assert validate_pragma(text, not_pragma).reason == "not a pragma edit"
    brace = text.index("{")
    broken = fnd.model_copy(update={"start": brace, "end": brace + 1, "replacement": "("})
    assert validate_pragma(text, broken).reason == "does not parse"


def test_a_build_writes_tasks_pairs_and_a_summary_and_repeats_itself(
    suite: Path, tmp_path: Path
) -> None:
    tasks = load_task_folders(suite)
    spec = BuildSpec(suite=str(suite), language="python", per_program=3, seed=7, out=tmp_path / "a")
    summary = build_dataset(tasks, spec, OPTIONS, jobs=2)
    assert summary.kept == 6 and not summary.skipped
    pairs = [json.loads(line) for line in (tmp_path / "a" / "pairs.jsonl").read_text().splitlines()]
    assert len(pairs) == 6 and len({p["id"] for p in pairs}) == 6
    for pair in pairs:
        assert pair["kind"] == "logic" and pair["needs"] == "simulation"
        assert pair["failing_test"] and pair["diff"].startswith("--- a/")
        assert pair["buggy"] != pair["fixed"]
    assert json.loads((tmp_path / "a" / "summary.json").read_text())["kept"] == 6
    counts = summary.categories
    assert sum(c.kept for c in counts.values()) == 6
    assert all(c.validated == c.kept + sum(
        n for r, n in c.rejected.items() if r != "duplicate") for c in counts.values())  # fmt: skip
    # Every kept pair is a task folder whose bug the tests show and whose fix passes.
    built = load_task_folders(tmp_path / "a")
    assert sorted(t.id for t in built) == sorted(p["id"] for p in pairs)
    for task in built[:2]:
        check = check_task(task, OPTIONS)
        assert check.verdict == "ok", check.problems
    # The same seed gives the same pairs.
    again = spec.model_copy(update={"out": tmp_path / "b"})
    build_dataset(tasks, again, OPTIONS, jobs=1)
    assert (tmp_path / "b" / "pairs.jsonl").read_text() == (
        tmp_path / "a" / "pairs.jsonl"
    ).read_text()


def test_a_build_never_overwrites_what_it_did_not_write(suite: Path, tmp_path: Path) -> None:
    tasks = load_task_folders(suite)[:1]
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    spec = BuildSpec(suite="s", language="python", per_program=1, seed=0, out=out)
    with pytest.raises(UsageError, match="not empty"):
        build_dataset(tasks, spec, OPTIONS)
    with pytest.raises(UsageError, match="not a dataset"):
        build_dataset(tasks, spec, OPTIONS, force=True)
    assert (out / "notes.txt").read_text() == "mine"
    fresh = spec.model_copy(update={"out": tmp_path / "fresh"})
    build_dataset(tasks, fresh, OPTIONS)
    build_dataset(tasks, fresh, OPTIONS, force=True)  # a dataset may be replaced
    assert (tmp_path / "fresh" / "summary.json").is_file()


def _duckfix(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DUCKFIX_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "duckfix", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def test_the_cli_builds_a_dataset_that_bench_runs(suite: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    built = _duckfix(
        "dataset", "build", "--from", str(suite), "--per-program", "2",
        "--seed", "3", "--out", str(out), "--json", home=tmp_path / "home",
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    summary = json.loads(built.stdout)
    assert summary["kept"] == 4 and summary["spec"]["language"] == "python"
    run_id = summary["run_id"]
    assert built.stderr.startswith(f"duckfix: run {run_id}"), "the id comes first"
    from duckfix.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 'home' / 'duckfix.db'}")
    assert store.get_run(run_id).status == "ok" and len(store.results(run_id)) == 2
    store.close()
    bench = _duckfix("bench", str(out), "--json", "--max-seconds", "20", home=tmp_path / "home")
    assert bench.returncode == 0, bench.stderr
    results = [json.loads(line) for line in bench.stdout.splitlines()]
    assert len(results) == 4 and all(r["status"] != "error" for r in results)


def test_a_stopped_build_resumes_with_the_programs_it_lacks(suite: Path, tmp_path: Path) -> None:
    import sqlite3

    home, out = tmp_path / "home", tmp_path / "ds"
    args = ["--from", str(suite), "--per-program", "2", "--seed", "3", "--out", str(out)]
    first = _duckfix("dataset", "build", *args, "--json", home=home)
    assert first.returncode == 0, first.stderr
    run_id = json.loads(first.stdout)["run_id"]
    assert f"(resume with: duckfix dataset build --resume {run_id})" in first.stderr
    pairs = (out / "pairs.jsonl").read_text()
    # As if the driver had died with one program landed: the files are written
    # at the end, so the folder is as _prepare left it.
    query = "SELECT item, data, created_at FROM results WHERE run_id = ? ORDER BY item"
    with sqlite3.connect(home / "duckfix.db") as db:
        (task, data, landed), _ = db.execute(query, (run_id,)).fetchall()
        assert len(json.loads(data)["pairs"]) == 2  # the pairs themselves are recorded
        db.execute("DELETE FROM results WHERE run_id = ? AND item != ?", (run_id, task))
        db.execute("UPDATE runs SET status = 'interrupted' WHERE id = ?", (run_id,))
    shutil.rmtree(out)
    out.mkdir()
    again = _duckfix("dataset", "build", "--resume", run_id, "--json", home=home)
    assert again.returncode == 0, again.stderr
    with sqlite3.connect(home / "duckfix.db") as db:
        rows = db.execute(query, (run_id,)).fetchall()
    assert len(rows) == 2 and rows[0] == (task, data, landed), "the landed one was not rebuilt"
    summary = json.loads(again.stdout)
    assert summary["run_id"] == run_id and summary["kept"] == 4
    lines = (out / "pairs.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == [json.loads(p) for p in pairs.splitlines()]
    assert summary["spec"]["seed"] == 3 and summary["spec"]["per_program"] == 2
    refused = _duckfix("dataset", "build", "--resume", run_id, "--from", "builtin", home=home)
    assert refused.returncode == 2 and "built from" in refused.stderr
    neither = _duckfix("dataset", "build", "--per-program", "2", home=home)
    assert neither.returncode == 2 and "give --from SUITE and --out FOLDER" in neither.stderr


def test_the_cli_says_what_is_wrong_with_bad_input(tmp_path: Path) -> None:
    missing = _duckfix("dataset", "build", "--from", str(tmp_path / "nope"), "--out",
                       str(tmp_path / "o"), home=tmp_path / "home")  # fmt: skip
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert "no suite" in missing.stderr
    no_model = _duckfix("dataset", "build", "--from", "builtin", "--llm", "2", "--out",
                        str(tmp_path / "o"), home=tmp_path / "home")  # fmt: skip
    assert no_model.returncode == 2 and "--llm needs a model" in no_model.stderr


def test_a_build_can_be_limited_to_some_categories(suite: Path, tmp_path: Path) -> None:
    tasks = load_task_folders(suite)
    spec = BuildSpec(
        suite="s", language="python", per_program=2, seed=0, out=tmp_path / "o",
        categories=["wrong-comparison"],
    )  # fmt: skip
    summary = build_dataset(tasks, spec, OPTIONS)
    assert summary.kept == 4 and list(summary.categories) == ["wrong-comparison"]
    pairs = (tmp_path / "o" / "pairs.jsonl").read_text().splitlines()
    assert {json.loads(p)["category"] for p in pairs} == {"wrong-comparison"}


def test_an_unknown_category_is_a_usage_error(suite: Path, tmp_path: Path) -> None:
    done = _duckfix("dataset", "build", "--from", str(suite), "--category", "OOB",
                    "--out", str(tmp_path / "o"), home=tmp_path / "home")  # fmt: skip
    assert done.returncode == 2 and "no python category OOB" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "o").exists()
    # An HLS name that is neither a Chrysalis code nor one of ours: the error lists both.
    done = _duckfix("dataset", "build", "--from", "hls", "--category", "DIVZERO",
                    "--out", str(tmp_path / "o"), home=tmp_path / "home")  # fmt: skip
    assert done.returncode == 2 and "no hls category DIVZERO" in done.stderr
    assert "ZERO" in done.stderr and "divide-by-zero" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "o").exists()
