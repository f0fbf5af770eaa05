"""Loading a QuixBugs-style folder: the tasks found, the visible/hidden split, and its errors.

The folder is built here from toy programs of our own: ``add_one`` (JSON cases;
the buggy version fails one case, picked to land on the hidden side), ``count_down``
(JSON cases; the buggy version loops forever on one), ``reachable`` (a graph task
using the shared node.py, tested only by a pytest file) and ``shout`` (one JSON
case, no correct version).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from duckfix.datasets.quixbugs import load_quixbugs
from duckfix.errors import TaskError
from duckfix.models import Task, TestCase
from duckfix.runner import RunOptions, run_tests

OPTIONS = RunOptions(case_timeout=1.0)

ROOT_CONFTEST = """\
import pytest


def pytest_addoption(parser):
    parser.addoption("--correct", action="store_true")
    parser.addoption("--runslow", action="store_true")


def pytest_configure(config):
    pytest.use_correct = config.getoption("correct")
    pytest.run_slow = config.getoption("runslow")
"""

NODE = """\
class Node:
    def __init__(self, value, successors=None):
        self.value = value
        self.successors = successors or []
"""

FILES = {
    "python_programs/__init__.py": "",
    "python_programs/node.py": NODE,
    "correct_python_programs/node.py": NODE,
    # Not a task (no tests of its own): laid out as a helper like node.py.
    "python_programs/shared_util.py": "def twice(x):\n    return 2 * x\n",
    "python_programs/add_one.py": "def add_one(x):\n    return x + 1\n",  # rewritten below
    "correct_python_programs/add_one.py": "def add_one(x):\n    return x + 1\n",
    # A blank line (4) and a trailing one: skipped, and the names keep the file's lines.
    "json_testcases/add_one.json": "".join(
        f"[[{x}], {x + 1}]\n" + ("\n" if x in (2, 5) else "") for x in range(6)
    ),
    "python_programs/count_down.py": """\
        def count_down(n):
            steps = 0
            while n != 0:
                n -= 1
                steps += 1
            return steps
        """,
    "correct_python_programs/count_down.py": """\
        def count_down(n):
            steps = 0
            while n > 0:
                n -= 1
                steps += 1
            return steps
        """,
    # Line 1's args are not a list: a single argument.
    "json_testcases/count_down.json": "[3, 3]\n[[0], 0]\n[[-2], 0]\n",
    "python_programs/reachable.py": """\
        def reachable(start, goal):
            return start is goal or any(node is goal for node in start.successors)
        """,
    "correct_python_programs/reachable.py": """\
        def reachable(start, goal):
            seen, todo = set(), [start]
            while todo:
                node = todo.pop()
                if node is goal:
                    return True
                if id(node) not in seen:
                    seen.add(id(node))
                    todo.extend(node.successors)
            return False
        """,
    "python_testcases/graph_helpers.py": """\
        def chain(node_class, length):
            nodes = [node_class(i) for i in range(length)]
            for a, b in zip(nodes, nodes[1:]):
                a.successors.append(b)
            return nodes
        """,
    "python_testcases/test_reachable.py": """\
        import pytest
        from graph_helpers import chain

        if pytest.use_correct:
            from correct_python_programs.node import Node
            from correct_python_programs.reachable import reachable
        else:
            from python_programs.node import Node
            from python_programs.reachable import reachable


        def test_next_node():
            a, b = chain(Node, 2)
            assert reachable(a, b)


        def test_far_node():
            nodes = chain(Node, 4)
            assert reachable(nodes[0], nodes[-1])


        def test_cycle_without_goal():
            a, b = chain(Node, 2)
            b.successors.append(a)
            assert not reachable(a, Node("elsewhere"))
        """,
    "python_programs/shout.py": "def shout(text):\n    return text.capitalize()\n",
    "json_testcases/shout.json": '["hi", "HI"]\n',
    # Tests without a program: not a task.
    "json_testcases/ghost.json": "[[1], 1]\n",
    "conftest.py": ROOT_CONFTEST,
}


def write_layout(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def by_id(tasks: list[Task]) -> dict[str, Task]:
    return {t.id: t for t in tasks}


def names(cases: list[TestCase]) -> list[str]:
    return [c.name for c in cases]


def line(name: str) -> int:
    """The JSON file line a case name points at (``json_testcases/NAME.json:LINE``)."""
    return int(name.rsplit(":", 1)[1])


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The toy folder; add_one's buggy version fails only on a case the hash puts hidden."""
    root = tmp_path_factory.mktemp("quixbugs")
    write_layout(root, FILES)
    plain = by_id(load_quixbugs(root, probe=False))["add_one"]
    bad_input = plain.hidden.cases[0].args[0]
    (root / "python_programs/add_one.py").write_text(
        f"def add_one(x):\n    return x + 2 if x == {bad_input} else x + 1\n"
    )
    return root


@pytest.fixture(scope="module")
def probed(root: Path) -> dict[str, Task]:
    return by_id(load_quixbugs(root, OPTIONS))


def test_finds_a_task_per_program_with_tests(root: Path) -> None:
    tasks = load_quixbugs(root, probe=False)

    assert [t.id for t in tasks] == ["add_one", "count_down", "reachable", "shout"]
    add_one = tasks[0]
    assert add_one.entry_point == "add_one"
    assert add_one.language == "python"
    assert add_one.program == "python_programs/add_one.py"
    assert add_one.module == "python_programs.add_one"
    assert add_one.category == "unknown"
    assert add_one.description == ""
    assert add_one.origin == str(root / "python_programs/add_one.py")
    assert add_one.buggy == {
        "python_programs/add_one.py": (root / "python_programs/add_one.py").read_text()
    }
    assert add_one.fixed == {"python_programs/add_one.py": "def add_one(x):\n    return x + 1\n"}
    assert by_id(tasks)["shout"].fixed is None


def test_support_holds_helpers_but_no_other_task(root: Path) -> None:
    support = load_quixbugs(root, probe=False)[0].support

    assert sorted(support) == [
        "conftest.py",
        "python_programs/__init__.py",
        "python_programs/node.py",
        "python_programs/shared_util.py",
        "python_testcases/graph_helpers.py",
    ]
    # The root conftest keeps its place: it declares --correct for the test files.
    assert support["conftest.py"] == ROOT_CONFTEST


def test_json_cases_keep_their_file_lines_and_wrap_a_lone_argument(root: Path) -> None:
    tasks = by_id(load_quixbugs(root, probe=False))

    add_one = tasks["add_one"]
    every = sorted(names(add_one.visible.cases + add_one.hidden.cases), key=line)
    assert every == [f"json_testcases/add_one.json:{line}" for line in (1, 2, 3, 5, 6, 7)]
    count_down = tasks["count_down"]
    first = next(c for c in count_down.visible.cases + count_down.hidden.cases if line(c.name) == 1)
    assert (first.args, first.expected) == ([3], 3)


def test_split_is_deterministic_halved_and_complete(root: Path) -> None:
    first = by_id(load_quixbugs(root, probe=False))
    again = by_id(load_quixbugs(root, probe=False))

    for name in ("add_one", "count_down"):
        task = first[name]
        assert task.visible == again[name].visible
        assert task.hidden == again[name].hidden
        visible, hidden = names(task.visible.cases), names(task.hidden.cases)
        assert not set(visible) & set(hidden)
        assert len(visible) == (len(visible) + len(hidden) + 1) // 2
        # Each side keeps the file's order.
        assert visible == sorted(visible, key=line)
        assert hidden == sorted(hidden, key=line)
    assert len(first["add_one"].visible.cases) + len(first["add_one"].hidden.cases) == 6


def test_a_single_case_is_on_both_sides(root: Path) -> None:
    shout = by_id(load_quixbugs(root, probe=False))["shout"]

    assert shout.visible == shout.hidden
    assert [(c.args, c.expected) for c in shout.visible.cases] == [(["hi"], "HI")]


def test_probe_moves_a_failing_hidden_case_to_the_visible_side(
    root: Path, probed: dict[str, Task]
) -> None:
    plain = by_id(load_quixbugs(root, probe=False))["add_one"]
    # The fixture made the buggy add_one fail only on the first hidden case.
    failing = plain.hidden.cases[0].name
    assert failing not in names(plain.visible.cases)

    task = probed["add_one"]
    visible, hidden = names(task.visible.cases), names(task.hidden.cases)
    assert failing in visible
    assert plain.visible.cases[0].name in hidden
    assert len(visible) == len(plain.visible.cases)
    assert sorted(visible + hidden) == sorted(
        names(plain.visible.cases) + names(plain.hidden.cases)
    )
    report = run_tests(task, "visible", options=OPTIONS)
    assert [o.name for o in report.failed] == [failing]


def test_a_buggy_program_that_loops_forever_times_out_on_the_visible_side(
    probed: dict[str, Task],
) -> None:
    task = probed["count_down"]
    assert task.fixed is not None

    buggy = run_tests(task, "visible", options=OPTIONS)
    fixed = run_tests(task, "visible", task.fixed, OPTIONS)

    assert [(o.name, o.status) for o in buggy.failed] == [
        ("json_testcases/count_down.json:3", "timeout")
    ]
    assert fixed.all_passed, fixed.outcomes


def test_probe_leaves_tasks_without_a_split_alone(root: Path, probed: dict[str, Task]) -> None:
    plain = by_id(load_quixbugs(root, probe=False))

    assert probed["shout"] == plain["shout"]
    assert probed["reachable"] == plain["reachable"]


def test_pytest_only_task_runs_its_file_on_both_sides(probed: dict[str, Task]) -> None:
    task = probed["reachable"]
    assert task.visible.cases == []
    assert list(task.visible.pytest_files) == ["python_testcases/test_reachable.py"]
    assert task.visible == task.hidden
    assert task.fixed is not None

    fixed = run_tests(task, "hidden", task.fixed, OPTIONS)
    buggy = run_tests(task, "visible", options=OPTIONS)

    assert fixed.all_passed and len(fixed.outcomes) == 3, fixed.outcomes
    assert [o.name for o in buggy.failed] == ["python_testcases/test_reachable.py::test_far_node"]


def test_without_a_root_conftest_our_own_declares_the_options(tmp_path: Path) -> None:
    files = {k: v for k, v in FILES.items() if k != "conftest.py"}
    write_layout(tmp_path, files)
    task = by_id(load_quixbugs(tmp_path, probe=False))["reachable"]
    assert "--correct" in task.support["conftest.py"]
    assert task.fixed is not None

    report = run_tests(task, "visible", task.fixed, OPTIONS)

    assert report.all_passed, report.outcomes


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match=r"nowhere: no such folder; a QuixBugs-style root holds"):
        load_quixbugs(tmp_path / "nowhere")


def test_a_folder_without_python_programs_is_named(tmp_path: Path) -> None:
    (tmp_path / "json_testcases").mkdir()
    with pytest.raises(TaskError, match=r"python_programs/ is missing; a QuixBugs-style root"):
        load_quixbugs(tmp_path)


def test_a_layout_without_tasks_says_so(tmp_path: Path) -> None:
    write_layout(tmp_path, {"python_programs/node.py": NODE, "json_testcases/ghost.json": ""})
    with pytest.raises(TaskError, match=r"no tasks found: no python_programs/NAME.py has a"):
        load_quixbugs(tmp_path)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[[0], 1]\n[[1], 2\n", r"add_one\.json:2: not valid JSON"),
        ("[[0], 1]\n\n[[1], 2, 3]\n", r"add_one\.json:3: a case must be a 2-element JSON array"),
        ('{"args": [0], "expected": 1}\n', r"add_one\.json:1: a case must be a 2-element"),
    ],
)
def test_a_bad_json_line_is_named_by_file_and_line(tmp_path: Path, text: str, problem: str) -> None:
    write_layout(tmp_path, {**FILES, "json_testcases/add_one.json": text})
    with pytest.raises(TaskError, match=problem) as raised:
        load_quixbugs(tmp_path, probe=False)
    assert str(tmp_path / "json_testcases/add_one.json") in str(raised.value)


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    write_layout(tmp_path, FILES)
    (tmp_path / "correct_python_programs/count_down.py").write_bytes(b"# caf\xe9\n")
    with pytest.raises(TaskError, match=r"correct_python_programs/count_down\.py: not UTF-8 text"):
        load_quixbugs(tmp_path, probe=False)
