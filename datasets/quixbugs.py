"""Load a QuixBugs-style folder of buggy Python programs as duckfix tasks.

The layout, under a root the user names::

    python_programs/NAME.py            the buggy program (defines NAME); also shared helpers
                                       such as node.py, which are not tasks
    correct_python_programs/NAME.py    the reference fix (may be missing)
    json_testcases/NAME.json           JSON lines, each ``[args, expected]``
    python_testcases/test_NAME.py      a pytest file importing python_programs.NAME
                                       (or correct_python_programs.NAME under ``--correct``)
    conftest.py                        declares --correct / --runslow (optional)

The root is read through :class:`SafeFolder`: in the four folders above and
for ``conftest.py``, a symbolic link, a special file, a foreign hard link or
a file over ``max_bytes`` (``tasks.max_file_mb``) is refused, and so is a link
in place of one of those folders. The rest of a checkout (``java_programs/``,
``.git/``...) is not looked at.

A task is a NAME with a program and a JSON file or a pytest file. JSON cases are
split between the visible and hidden sides by a hash, so the split never changes
between loads; a probe run of the buggy program then makes sure a bug that shows
at all shows on the visible side.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from duckfix.datasets.parsing import check_syntax, json_lines
from duckfix.errors import TaskError
from duckfix.models import Task, TestCase, TestSet
from duckfix.runner import RunOptions, is_test_file, run_tests
from duckfix.safe_files import DEFAULT_MAX_BYTES, SafeFolder

__all__ = ["load_quixbugs"]

_PROGRAMS = "python_programs"
_CORRECT = "correct_python_programs"
_JSON = "json_testcases"
_TESTS = "python_testcases"
_LAYOUT = (
    f"a QuixBugs-style root holds {_PROGRAMS}/NAME.py (buggy programs), "
    f"optionally {_CORRECT}/NAME.py (fixes), and tests as {_JSON}/NAME.json "
    f"(JSON lines [args, expected]) and/or {_TESTS}/test_NAME.py (pytest files)"
)
# Declares the options the test files read, for a root without its own conftest.py.
_OWN_CONFTEST = '''\
"""Options QuixBugs-style test files read (added by duckfix: the dataset has no conftest.py)."""

import pytest


def pytest_addoption(parser):
    parser.addoption("--correct", action="store_true", help="test correct_python_programs")
    parser.addoption("--runslow", action="store_true", help="also run slow tests")


def pytest_configure(config):
    pytest.use_correct = config.getoption("correct")
    pytest.run_slow = config.getoption("runslow")
'''


def load_quixbugs(
    root: Path,
    options: RunOptions | None = None,
    probe: bool = True,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list[Task]:
    """One task per program of a QuixBugs-style folder that has tests, sorted by name.

    With ``probe``, each buggy program runs once on all of its JSON cases (in
    parallel, in the sandbox, under ``options``), and when it fails only hidden
    cases, its first failing hidden case trades places with a passing visible one.
    """
    root = Path(root)
    if not root.is_dir():
        raise TaskError(f"{root}: no such folder; {_LAYOUT}")
    with SafeFolder(root, max_bytes=max_bytes, what="QuixBugs folders") as top:
        tasks = _load(top)
    if probe:
        tasks = _probe_all(tasks, options or RunOptions())
    return tasks


def _load(top: SafeFolder) -> list[Task]:
    root = top.path
    if top.kind(_PROGRAMS) != "folder":
        raise TaskError(f"{root}: {_PROGRAMS}/ is missing; {_LAYOUT}")
    programs = _files(top, _PROGRAMS, ".py")
    json_files = _files(top, _JSON, ".json")
    test_files = {
        name.removeprefix("test_"): rel
        for name, rel in _files(top, _TESTS, ".py").items()
        if is_test_file(f"{name}.py") and name.startswith("test_")
    }
    names = sorted(n for n in programs if n in json_files or n in test_files)
    if not names:
        raise TaskError(
            f"{root}: no tasks found: no {_PROGRAMS}/NAME.py has a {_JSON}/NAME.json "
            f"or a {_TESTS}/test_NAME.py; {_LAYOUT}"
        )
    support = _support(top, programs, set(names))
    tasks = []
    for name in names:
        program = f"{_PROGRAMS}/{name}.py"
        correct = f"{_CORRECT}/{name}.py"
        if name in json_files:
            path = root / json_files[name]
            cases = _parse_cases(top.read_text(json_files[name]), name, path)
            visible, hidden = _split(name, cases)
            tests = TestSet(cases=visible), TestSet(cases=hidden)
        else:
            # A pytest file cannot be split between the sides, so both see all of it.
            pytest_file = {test_files[name]: _python(top, test_files[name])}
            tests = TestSet(pytest_files=pytest_file), TestSet(pytest_files=pytest_file)
        tasks.append(
            Task(
                id=name,
                language="python",
                entry_point=name,
                program=program,
                category="unknown",
                description="",
                buggy={program: _python(top, program)},
                fixed={program: _python(top, correct)} if top.kind(correct) == "file" else None,
                support=support,
                visible=tests[0],
                hidden=tests[1],
                origin=str(root / program),
            )
        )
    return tasks


def _files(top: SafeFolder, folder: str, suffix: str) -> dict[str, str]:
    """``{stem: relative path}`` of the files ending in ``suffix`` in ``folder`` (if it is one)."""
    if top.kind(folder) != "folder":
        return {}
    entries = top.names(folder, only=lambda name: name.endswith(suffix))
    return {
        name.removesuffix(suffix): f"{folder}/{name}" for name, kind in entries if kind == "file"
    }


def _python(top: SafeFolder, rel: str) -> str:
    """A Python file's text, refused when it does not parse or nests too deeply."""
    text = top.read_text(rel)
    check_syntax(top.path / rel, text)
    return text


def _support(top: SafeFolder, programs: dict[str, str], task_names: set[str]) -> dict[str, str]:
    """Files every run needs: shared modules, test helpers, and a conftest."""
    support: dict[str, str] = {}
    for name, rel in programs.items():
        # Another task's program stays out: it would be a second copy of a bug
        # the candidate cannot see or fix.
        if name not in task_names:
            support[rel] = _python(top, rel)
    for name, rel in _files(top, _TESTS, ".py").items():
        if not is_test_file(f"{name}.py"):
            support[rel] = _python(top, rel)
    conftest = _python(top, "conftest.py") if top.kind("conftest.py") == "file" else _OWN_CONFTEST
    support["conftest.py"] = conftest
    return support


def _parse_cases(text: str, name: str, path: Path) -> list[tuple[int, TestCase]]:
    """``(line number, case)`` for each non-blank line of a JSON-lines test file."""
    cases = []
    for number, data in json_lines(text, path, comments=False):
        if not isinstance(data, list) or len(data) != 2:
            raise TaskError(
                f"{path}:{number}: a case must be a 2-element JSON array [args, expected]"
            )
        args, expected = data
        case = TestCase(
            args=args if isinstance(args, list) else [args],
            expected=expected,
            name=f"{_JSON}/{name}.json:{number}",
        )
        cases.append((number, case))
    return cases


def _split(
    name: str, cases: Sequence[tuple[int, TestCase]]
) -> tuple[list[TestCase], list[TestCase]]:
    """Visible and hidden cases: a hash of the line picks the side, file order is kept."""
    if len(cases) == 1:
        # One case cannot be split; judging on no hidden case would judge nothing.
        return [cases[0][1]], [cases[0][1]]
    by_hash = sorted(cases, key=lambda c: hashlib.sha256(f"{name}:{c[0]}".encode()).hexdigest())
    visible_lines = {number for number, _ in by_hash[: math.ceil(len(cases) / 2)]}
    visible = [case for number, case in cases if number in visible_lines]
    hidden = [case for number, case in cases if number not in visible_lines]
    return visible, hidden


def _probe_all(tasks: list[Task], options: RunOptions) -> list[Task]:
    # A task whose sides hold the same tests has nothing to rebalance.
    todo = [t for t in tasks if t.visible.cases and t.visible != t.hidden]
    if not todo:
        return tasks
    # Each probe waits on a sandboxed subprocess, so threads run them in parallel.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = pool.map(lambda t: _probe(t, options), todo)
        probed = {task.id: result for task, result in zip(todo, results, strict=True)}
    return [probed.get(t.id, t) for t in tasks]


def _probe(task: Task, options: RunOptions) -> Task:
    """``task`` with a failing case moved to the visible side if only hidden ones fail."""
    everything = task.visible.cases + task.hidden.cases
    together = task.model_copy(update={"visible": TestSet(cases=everything)})
    report = run_tests(together, "visible", options=options)
    failing = {o.name for o in report.outcomes if not o.passed}
    visible = list(task.visible.cases)
    hidden = list(task.hidden.cases)
    if any(c.name in failing for c in visible):
        return task
    moved_in = next((c for c in hidden if c.name in failing), None)
    if moved_in is None:
        return task
    moved_out = visible[0]  # every visible case passed
    visible = [c for c in visible if c is not moved_out] + [moved_in]
    hidden = [c for c in hidden if c is not moved_in] + [moved_out]
    visible.sort(key=_line)
    hidden.sort(key=_line)
    return task.model_copy(
        update={"visible": TestSet(cases=visible), "hidden": TestSet(cases=hidden)}
    )


def _line(case: TestCase) -> int:
    """The case's line in its JSON file, from its name ``json_testcases/NAME.json:LINE``."""
    return int(case.name.rsplit(":", 1)[1])
