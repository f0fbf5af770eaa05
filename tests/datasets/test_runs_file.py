"""runs.jsonl, the golden-output runs of a C task, and the [build] table in task.toml."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from duckfix.datasets.folder import load_task, parse_runs
from duckfix.errors import TaskError

MAIN = '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n'
TOML = 'id = "hello"\nlanguage = "c"\nentry_point = "main"\nprogram = "hello.c"\n'


def make(root: Path, runs: str, *, fixed: bool = True, toml: str = TOML) -> Path:
    files = {"task.toml": toml, "buggy/hello.c": MAIN, "tests/visible/runs.jsonl": runs}
    if fixed:
        files["fixed/hello.c"] = MAIN
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_runs_load_with_their_names_and_defaults(tmp_path: Path) -> None:
    lines = [
        {"name": "plain"},
        {"name": "args", "args": ["-n", "3"], "stdin": "a b\n", "expected_stdout": "x\n",
         "expected_exit": 1},
    ]  # fmt: skip
    task = load_task(make(tmp_path / "t", "".join(json.dumps(x) + "\n" for x in lines)))
    plain, args = task.visible.runs
    assert (plain.name, plain.args, plain.stdin, plain.expected_stdout) == (
        "visible/runs.jsonl:plain", [], "", None,
    )  # fmt: skip
    assert args.args == ["-n", "3"] and args.expected_exit == 1 and args.expected_stdout == "x\n"
    assert len(task.visible) == 2
    assert task.build.sanitize == ["address", "undefined"]


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ('["plain"]', "a run must be an object"),
        ('{"args": []}', "'name' is required"),
        ('{"name": "a b"}', "'name' is required"),
        ('{"name": "x", "args": "-n 3"}', "'args' must be a list"),
        ('{"name": "x", "args": [3]}', "'args' must be a list of strings"),
        ('{"name": "x", "stdin": 5}', "'stdin' must be a str"),
        ('{"name": "x", "expected_exit": true}', "'expected_exit' must be a int"),
        ('{"name": "x", "expected_exit": 300}', "'expected_exit' must be an exit status"),
        ('{"name": "x", "expected": "y"}', "unknown field(s) expected"),
        ('{"name": "x", "stdin": "a\\u0000b"}', "may not hold NUL"),
        ('{"name": "x"}\n{"name": "x"}', "run name 'x' is used twice"),
    ],
)
def test_a_bad_run_is_one_line_with_its_place(line: str, says: str) -> None:
    with pytest.raises(TaskError) as caught:
        parse_runs(line + "\n", "visible/runs.jsonl", "t/tests/visible/runs.jsonl")
    assert str(caught.value).startswith("t/tests/visible/runs.jsonl:")
    assert says in str(caught.value)


def test_runs_without_expected_output_need_a_reference(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match="no expected_stdout and there is no fixed/"):
        load_task(make(tmp_path / "t", '{"name": "x"}\n', fixed=False))
    task = load_task(
        make(tmp_path / "u", '{"name": "x", "expected_stdout": "hi\\n"}\n', fixed=False)
    )
    assert task.fixed is None


def test_a_c_task_needs_a_bench_or_runs_and_other_jsonl_files_are_refused(tmp_path: Path) -> None:
    root = make(tmp_path / "t", '{"name": "x"}\n')
    (root / "tests/visible/runs.jsonl").rename(root / "tests/visible/cases.jsonl")
    with pytest.raises(TaskError, match=r"C tasks take golden-output runs in runs\.jsonl"):
        load_task(root)
    (root / "tests/visible/cases.jsonl").unlink()
    with pytest.raises(TaskError, match=r"no test bench .* and no runs\.jsonl"):
        load_task(root)


def test_the_build_table_is_read_and_checked(tmp_path: Path) -> None:
    toml = TOML + '\n[build]\nflags = ["-O2"]\nsanitize = []\nunit = true\n'
    task = load_task(make(tmp_path / "t", '{"name": "x"}\n', toml=toml))
    assert task.build.flags == ["-O2"] and task.build.sanitize == [] and task.build.unit
    bad = TOML + '\n[build]\nflags = ["-fplugin=/tmp/x.so"]\n'
    with pytest.raises(TaskError) as caught:
        load_task(make(tmp_path / "u", '{"name": "x"}\n', toml=bad))
    assert "task.toml: build.flags: '-fplugin=/tmp/x.so'" in str(caught.value)
    python = 'id = "p"\nentry_point = "p"\n[build]\nunit = true\n'
    root = tmp_path / "p"
    for rel, text in {
        "task.toml": python,
        "buggy/p.py": "def p():\n    return 1\n",
        "tests/visible/cases.jsonl": '{"args": [], "expected": 1}\n',
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    with pytest.raises(TaskError, match=r"\[build\] is for C and C\+\+ tasks only"):
        load_task(root)
