"""Load tasks in duckfix's folder format, saying precisely what is wrong with a bad one.

A task is a folder::

    task.toml          id, language, entry_point, program, category, description
    buggy/             the program under repair (``program`` is a path inside it)
    fixed/             the reference fix (optional for a user's own tasks)
    tests/visible/     cases.jsonl ({"args": [...], "expected": ...} a line) and/or test_*.py
    tests/hidden/      the same, used only to judge
"""

from __future__ import annotations

import ast
import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from duckfix.errors import TaskError
from duckfix.models import Task, TestCase, TestSet

__all__ = [
    "check_syntax",
    "entry_point_defined",
    "is_task_folder",
    "json_lines",
    "load_task",
    "load_task_folders",
    "parse_cases",
]

_REQUIRED = ("id", "entry_point")
_KNOWN = {"id", "language", "entry_point", "program", "category", "description"}
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_SKIP = {"__pycache__", ".pytest_cache"}


def is_task_folder(path: Path) -> bool:
    return (path / "task.toml").is_file()


def load_task_folders(root: Path) -> list[Task]:
    """Every task under ``root``: ``root`` itself if it is a task, else its task subfolders."""
    if not root.is_dir():
        raise TaskError(f"{root}: not a folder of tasks")
    if is_task_folder(root):
        return [load_task(root)]
    folders = sorted(p for p in root.iterdir() if p.is_dir() and is_task_folder(p))
    if not folders:
        raise TaskError(f"{root}: no task folders (folders holding a task.toml) found")
    tasks = [load_task(p) for p in folders]
    seen: dict[str, Path] = {}
    for task, folder in zip(tasks, folders, strict=True):
        if task.id in seen:
            raise TaskError(f"{folder}: task id {task.id!r} is also used by {seen[task.id]}")
        seen[task.id] = folder
    return tasks


def load_task(folder: Path) -> Task:
    """One task folder, validated."""
    meta = _read_meta(folder)
    language = meta.get("language", "python")
    program = meta.get("program") or (f"{meta['id']}.py" if language == "python" else "")
    if not program:
        raise TaskError(f"{folder / 'task.toml'}: 'program' is required for language {language!r}")
    buggy = _read_tree(folder / "buggy", folder)
    if program not in buggy:
        raise TaskError(
            f"{folder}: buggy/{program} is missing (task.toml says program = {program!r})"
        )
    fixed = _read_tree(folder / "fixed", folder) if (folder / "fixed").is_dir() else None
    if fixed is not None and program not in fixed:
        raise TaskError(f"{folder}: fixed/{program} is missing")
    if language == "python":
        for side, files in (("buggy", buggy), ("fixed", fixed or {})):
            if program in files:
                _check_entry_point(folder / side / program, files[program], meta["entry_point"])
    visible = _read_tests(folder, "visible", language)
    hidden = _read_tests(folder, "hidden", language)
    if language != "python" and not visible.bench_paths:
        raise TaskError(
            f"{folder}: tests/visible/ holds no test bench (a .c / .cpp file with DUCKFIX_MAIN)"
        )
    if not len(visible):
        raise TaskError(
            f"{folder}: tests/visible/ holds no cases.jsonl cases, no test_*.py "
            "and no test bench (a .c / .cpp file with DUCKFIX_MAIN)"
        )
    try:
        return Task(
            id=meta["id"],
            language=language,
            entry_point=meta["entry_point"],
            program=program,
            description=meta.get("description", ""),
            category=meta.get("category", "unknown"),
            buggy=buggy,
            fixed=fixed,
            visible=visible,
            hidden=hidden,
            origin=str(folder),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise TaskError(f"{folder / 'task.toml'}: {where}: {first['msg']}") from exc


def _read_meta(folder: Path) -> dict[str, Any]:
    path = folder / "task.toml"
    if not path.is_file():
        raise TaskError(f"{folder}: task.toml is missing")
    try:
        meta = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise TaskError(f"{path}: not valid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise TaskError(f"{path}: not UTF-8 text") from exc
    missing = [k for k in _REQUIRED if not meta.get(k)]
    if missing:
        raise TaskError(f"{path}: missing required key(s): {', '.join(missing)}")
    unknown = sorted(set(meta) - _KNOWN)
    if unknown:
        raise TaskError(
            f"{path}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_KNOWN))}"
        )
    for key in _KNOWN & set(meta):
        if not isinstance(meta[key], str):
            raise TaskError(f"{path}: {key} must be a string, not {type(meta[key]).__name__}")
    if not _ID.match(meta["id"]):
        raise TaskError(f"{path}: id {meta['id']!r} may hold only letters, digits, '_', '.', '-'")
    return meta


def _read_tree(root: Path, task_folder: Path) -> dict[str, str]:
    if not root.is_dir():
        raise TaskError(f"{task_folder}: {root.name}/ is missing")
    files: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not _SKIP & set(path.parts) and path.suffix != ".pyc":
            rel = path.relative_to(root).as_posix()
            try:
                files[rel] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                raise TaskError(f"{path}: not UTF-8 text") from exc
    return files


def _read_tests(folder: Path, side: str, language: str = "python") -> TestSet:
    root = folder / "tests" / side
    if not root.is_dir():
        if side == "hidden":
            return TestSet()
        raise TaskError(f"{folder}: tests/{side}/ is missing")
    cases: list[TestCase] = []
    pytest_files: dict[str, str] = {}
    benches: dict[str, str] = {}
    for rel, text in _read_tree(root, folder).items():
        if rel.endswith(".jsonl"):
            cases.extend(parse_cases(text, f"{side}/{rel}", root / rel))
        elif language != "python":
            # Benches, and the headers and data files they include.
            benches[f"tests/{side}/{rel}"] = text
        else:
            if rel.endswith(".py"):
                check_syntax(root / rel, text)
            pytest_files[f"tests/{side}/{rel}"] = text
    return TestSet(cases=cases, pytest_files=pytest_files, benches=benches)


def check_syntax(path: Path, source: str) -> None:
    """A Python file that does not parse is bad input, named with its line."""
    try:
        ast.parse(source)
    except SyntaxError as exc:
        raise TaskError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from exc


def json_lines(text: str, path: Path | str, comments: bool = True) -> Iterator[tuple[int, Any]]:
    """(line number, value) of each non-blank line; ``#`` and ``//`` lines are comments."""
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or (comments and stripped.startswith(("#", "//"))):
            continue
        try:
            yield number, json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise TaskError(
                f"{path}:{number}: not valid JSON ({exc.msg} at column {exc.colno})"
            ) from exc


def parse_cases(text: str, label: str, path: Path | str) -> list[TestCase]:
    """Cases of a ``cases.jsonl`` file, one ``{"args": [...], "expected": ...}`` a line."""
    cases = []
    for number, data in json_lines(text, path):
        if not isinstance(data, dict) or "args" not in data or "expected" not in data:
            raise TaskError(
                f'{path}:{number}: a case must be an object {{"args": [...], "expected": ...}}'
            )
        if not isinstance(data["args"], list):
            raise TaskError(f"{path}:{number}: 'args' must be a list of positional arguments")
        extra = sorted(set(data) - {"args", "expected"})
        if extra:
            raise TaskError(f"{path}:{number}: unknown field(s) {', '.join(extra)}")
        cases.append(
            TestCase(args=data["args"], expected=data["expected"], name=f"{label}:{number}")
        )
    return cases


def entry_point_defined(source: str, name: str) -> bool:
    """Whether a module's top level defines ``name`` (def, class, assignment or import)."""
    tree = ast.parse(source)
    for node in tree.body:
        if (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and node.name == name
        ):
            return True
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return True
        if isinstance(node, ast.Import | ast.ImportFrom) and any(
            (a.asname or a.name.split(".")[0]) == name for a in node.names
        ):
            return True
    return False


def _check_entry_point(path: Path, source: str, name: str) -> None:
    check_syntax(path, source)
    if not entry_point_defined(source, name):
        raise TaskError(f"{path}: entry point {name!r} is not defined at the top level")
