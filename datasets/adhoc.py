"""A task made on the spot from a user's program and its tests (``duckfix debug prog.py``)."""

from __future__ import annotations

import ast
from pathlib import Path

from duckfix.datasets.folder import check_syntax, entry_point_defined, parse_cases
from duckfix.errors import NotFoundError, TaskError, UsageError
from duckfix.models import Task, TestSet

__all__ = ["task_from_program"]


def _read(path: Path, what: str) -> str:
    if not path.is_file():
        raise NotFoundError(f"{what} {path} does not exist")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise TaskError(f"{path}: not UTF-8 text") from exc


def _entry_point(source: str, path: Path, given: str | None) -> str:
    check_syntax(path, source)
    tree = ast.parse(source)
    if given:
        if not entry_point_defined(source, given):
            raise TaskError(f"{path}: entry point {given!r} is not defined at the top level")
        return given
    if entry_point_defined(source, path.stem):
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
) -> Task:
    """A task whose visible tests are a pytest file or a JSON-lines file of cases."""
    if (tests is None) == (cases is None):
        raise UsageError("give the program's tests: --tests test_file.py or --cases cases.jsonl")
    if program.suffix != ".py":
        raise UsageError(f"{program}: duckfix debug takes a Python file (.py) or a task folder")
    source = _read(program, "program")
    name = program.name
    visible = TestSet()
    if cases is not None:
        text = _read(cases, "cases file")
        visible = TestSet(cases=parse_cases(text, cases.name, cases))
        if not visible.cases:
            raise TaskError(f"{cases}: holds no cases")
        entry_point = _entry_point(source, program, entry)
    else:
        assert tests is not None
        test_text = _read(tests, "test file")
        check_syntax(tests, test_text)
        test_name = tests.name if tests.name.startswith("test_") else f"test_{tests.name}"
        pytest_files = {f"tests/{test_name}": test_text}
        conftest = tests.parent / "conftest.py"
        if conftest.is_file() and conftest.resolve() != program.resolve():
            pytest_files["tests/conftest.py"] = _read(conftest, "conftest")
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
