"""A task made on the spot from a user's program and its tests (``duckfix debug prog.py``).

The files the user names are read by the paths they typed (a link they typed
is their choice), but only a regular file of at most ``max_bytes`` is read,
never a FIFO or a device; a ``conftest.py`` picked up beside the test file
was not named by the user and may not be a link (:mod:`duckfix.safe_files`).
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

from duckfix.datasets.folder import entry_point_defined, parse_cases
from duckfix.datasets.parsing import check_syntax, parse_python
from duckfix.errors import NotFoundError, TaskError, UsageError
from duckfix.models import Task, TestSet
from duckfix.safe_files import DEFAULT_MAX_BYTES, SafeFolder, read_file

__all__ = ["task_from_program", "test_layout_path"]


def test_layout_path(tests: Path) -> str:
    """Where a user's pytest file sits in the task's layout (pytest wants ``test_*`` names)."""
    name = tests.name if tests.name.startswith("test_") else f"test_{tests.name}"
    return f"tests/{name}"


def _read(path: Path, what: str, max_bytes: int) -> str:
    if not os.path.lexists(path):
        raise NotFoundError(f"{what} {path} does not exist")
    data = read_file(path, max_bytes=max_bytes)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TaskError(f"{path}: not UTF-8 text") from exc


def _conftest(tests: Path, program: Path, max_bytes: int) -> str | None:
    """The ``conftest.py`` beside the test file, unless it is the program itself."""
    with SafeFolder(tests.parent, max_bytes=max_bytes, what="test folders") as folder:
        if folder.kind("conftest.py") != "file":
            return None
        if (tests.parent / "conftest.py").resolve() == program.resolve():
            return None
        return folder.read_text("conftest.py")


def _entry_point(source: str, path: Path, given: str | None) -> str:
    tree = parse_python(path, source)
    if given:
        if not entry_point_defined(tree, given):
            raise TaskError(f"{path}: entry point {given!r} is not defined at the top level")
        return given
    if entry_point_defined(tree, path.stem):
        return path.stem
    public = [
        n.name
        for n in tree.body
        if isinstance(n, ast.FunctionDef | ast.ClassDef) and not n.name.startswith("_")
    ]
    if len(public) == 1:
        return public[0]
    raise UsageError(
        f"{path}: cannot tell which function the cases call "
        f"(found {', '.join(public) or 'none'}); name it with --entry"
    )


def task_from_program(
    program: Path,
    *,
    tests: Path | None = None,
    cases: Path | None = None,
    entry: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Task:
    """A task whose visible tests are a pytest file or a JSON-lines file of cases.

    Each file is refused when it is not a regular file or is over ``max_bytes``.
    """
    if (tests is None) == (cases is None):
        raise UsageError("give the program's tests: --tests test_file.py or --cases cases.jsonl")
    if program.suffix != ".py":
        raise UsageError(f"{program}: duckfix debug takes a Python file (.py) or a task folder")
    source = _read(program, "program", max_bytes)
    name = program.name
    visible = TestSet()
    if cases is not None:
        text = _read(cases, "cases file", max_bytes)
        visible = TestSet(cases=parse_cases(text, cases.name, cases))
        if not visible.cases:
            raise TaskError(f"{cases}: holds no cases")
        entry_point = _entry_point(source, program, entry)
    else:
        assert tests is not None
        test_text = _read(tests, "test file", max_bytes)
        check_syntax(tests, test_text)
        pytest_files = {test_layout_path(tests): test_text}
        conftest = _conftest(tests, program, max_bytes)
        if conftest is not None:
            pytest_files["tests/conftest.py"] = conftest
        visible = TestSet(pytest_files=pytest_files)
        check_syntax(program, source)
        entry_point = entry or program.stem
    return Task(
        id=program.stem,
        entry_point=entry_point,
        program=name,
        buggy={name: source},
        visible=visible,
        origin=str(program),
    )
