"""Loading task folders, and the precise messages for malformed ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from duckfix.datasets.folder import entry_point_defined, load_task, load_task_folders
from duckfix.errors import TaskError

TOML = """\
id = "double"
language = "python"
entry_point = "double"
program = "double.py"
category = "wrong-operator"
description = "Return twice n."
"""


def write_task(root: Path, name: str = "double", **overrides: str) -> Path:
    files = {
        "task.toml": TOML.replace('"double"', f'"{name}"', 1),
        "buggy/double.py": "def double(n):\n    return n + 2\n",
        "fixed/double.py": "def double(n):\n    return n * 2\n",
        "tests/visible/cases.jsonl": '{"args": [2], "expected": 4}\n{"args": [3], "expected": 6}\n',
        "tests/hidden/cases.jsonl": '# hidden\n{"args": [0], "expected": 0}\n',
        "tests/hidden/test_more.py": (
            "from double import double\n\ndef test_neg():\n    assert double(-1) == -2\n"
        ),
    }
    files.update(overrides)
    folder = root / name
    for rel, text in files.items():
        if text is None or text == "<delete>":
            continue
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


def test_loads_a_well_formed_task(tmp_path: Path) -> None:
    task = load_task(write_task(tmp_path))
    assert task.id == "double" and task.category == "wrong-operator"
    assert task.program == "double.py" and task.module == "double"
    assert task.buggy["double.py"].endswith("n + 2\n")
    assert [c.args for c in task.visible.cases] == [[2], [3]]
    assert task.visible.cases[1].name == "visible/cases.jsonl:2"
    assert task.hidden.cases[0].name == "hidden/cases.jsonl:2"
    assert list(task.hidden.pytest_files) == ["tests/hidden/test_more.py"]


def test_folder_of_tasks_and_duplicate_ids(tmp_path: Path) -> None:
    write_task(tmp_path, "a")
    write_task(tmp_path, "b")
    assert [t.id for t in load_task_folders(tmp_path)] == ["a", "b"]
    (tmp_path / "b" / "task.toml").write_text(TOML.replace('"double"', '"a"', 1))
    with pytest.raises(TaskError, match="task id 'a' is also used"):
        load_task_folders(tmp_path)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"task.toml": "<delete>"}, r"task\.toml is missing"),
        ({"task.toml": 'id = "double"\nentry_point = \n'}, r"task\.toml: not valid TOML"),
        ({"task.toml": 'id = "double"\n'}, r"missing required key\(s\): entry_point"),
        ({"task.toml": TOML + 'colour = "red"\n'}, r"unknown key\(s\) colour"),
        ({"task.toml": TOML.replace('program = "double.py"', 'program = "twice.py"')},
         r"buggy/twice\.py is missing"),
        ({"task.toml": TOML.replace('entry_point = "double"', 'entry_point = "triple"')},
         r"buggy/double\.py: entry point 'triple' is not defined"),
        ({"tests/visible/cases.jsonl": '{"args": [2], "expected": 4}\n{"args": [3] "expected": 6}'},
         r"visible/cases\.jsonl:2: not valid JSON"),
        ({"tests/visible/cases.jsonl": '{"args": 2, "expected": 4}\n'},
         r"cases\.jsonl:1: 'args' must be a list"),
        ({"tests/visible/cases.jsonl": '[[2], 4]\n'}, r"cases\.jsonl:1: a case must be an object"),
        ({"buggy/double.py": "def double(n)\n    return n\n"}, r"double\.py:1: syntax error"),
    ],
)  # fmt: skip
def test_malformed_tasks_say_exactly_what_is_wrong(
    tmp_path: Path, overrides: dict[str, str], message: str
) -> None:
    folder = write_task(tmp_path, **overrides)
    with pytest.raises(TaskError, match=message):
        load_task(folder)


def test_missing_visible_tests(tmp_path: Path) -> None:
    folder = write_task(tmp_path, **{"tests/visible/cases.jsonl": "<delete>"})
    with pytest.raises(TaskError, match=r"tests/visible/ is missing"):
        load_task(folder)


def test_not_a_folder_of_tasks(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match="no task folders"):
        load_task_folders(tmp_path)


def test_entry_point_defined_forms() -> None:
    assert entry_point_defined("class Heap:\n    pass\n", "Heap")
    assert entry_point_defined("from math import gcd\n", "gcd")
    assert entry_point_defined("f = lambda x: x\n", "f")
    assert not entry_point_defined("def g():\n    def f():\n        pass\n", "f")
