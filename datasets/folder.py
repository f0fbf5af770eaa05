"""Load tasks in duckfix's folder format, saying precisely what is wrong with a bad one.

A task is a folder::

    task.toml          id, language, entry_point, program, category, description
    buggy/             the program under repair (``program`` is a path inside it)
    fixed/             the reference fix (optional for a user's own tasks)
    tests/visible/     cases.jsonl ({"args": [...], "expected": ...} a line) and/or test_*.py
    tests/hidden/      the same, used only to judge

C and C++ tasks (``language = "c"`` / ``"hls"``) are tested by test benches
(``.c`` / ``.cpp`` files with ``DUCKFIX_MAIN``) and/or golden-output runs
(``runs.jsonl``: ``{"name", "args", "stdin"}`` a line, optionally
``expected_stdout`` / ``expected_exit``), and may say how they are built in a
``[build]`` table (:mod:`duckfix.build_config`).

A task folder is hostile input and is read through :class:`SafeFolder`: a
symbolic link, special file, foreign hard link or file over ``max_bytes``
(the setting ``tasks.max_file_mb``) in the parts duckfix reads (``task.toml``,
``buggy/``, ``fixed/``, ``tests/visible/``, ``tests/hidden/``) is refused, and
so is a link or special file among the entries of the task folder itself and
of ``tests/``, read or not. A folder of tasks may hold no link among its
entries either. Python sources, cases and ``task.toml`` are parsed by
:mod:`.parsing`, which refuses text nested too deeply for later stages.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from duckfix.build_config import parse_build
from duckfix.datasets.parsing import check_syntax, json_lines, parse_python, parse_toml
from duckfix.errors import TaskError
from duckfix.models import GoldenRun, Task, TestCase, TestSet
from duckfix.safe_files import DEFAULT_MAX_BYTES, SafeFolder

__all__ = [
    "check_syntax",
    "entry_point_defined",
    "is_task_folder",
    "json_lines",
    "load_task",
    "load_task_folders",
    "parse_cases",
    "parse_runs",
]

_REQUIRED = ("id", "entry_point")
_KNOWN = {"id", "language", "entry_point", "program", "category", "description"}
_TABLES = {"build"}
RUNS_FILE = "runs.jsonl"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def is_task_folder(path: Path) -> bool:
    """Whether ``path`` holds a ``task.toml`` (a regular file, not a link to one)."""
    try:
        with SafeFolder(path) as folder:
            return folder.kind("task.toml") == "file"
    except TaskError:
        return False


def load_task_folders(root: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Task]:
    """Every task under ``root``: ``root`` itself if it is a task, else its task subfolders.

    Files over ``max_bytes`` (the setting ``tasks.max_file_mb``), links and
    special files are refused (:mod:`duckfix.safe_files`).
    """
    if not root.is_dir():
        raise TaskError(f"{root}: not a folder of tasks")
    with SafeFolder(root, max_bytes=max_bytes) as top:
        if top.kind("task.toml") == "file":
            return [_load(top)]
        # A link among the suite's entries is refused, not skipped: it may be a task.
        names = [
            name
            for name, kind in top.names()
            if kind == "folder" and top.kind(f"{name}/task.toml") == "file"
        ]
        if not names:
            raise TaskError(f"{root}: no task folders (folders holding a task.toml) found")
        tasks = []
        for name in names:
            with top.folder(name) as folder:
                tasks.append(_load(folder))
    seen: dict[str, Path] = {}
    for task, name in zip(tasks, names, strict=True):
        if task.id in seen:
            raise TaskError(f"{root / name}: task id {task.id!r} is also used by {seen[task.id]}")
        seen[task.id] = root / name
    return tasks


def load_task(folder: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Task:
    """One task folder, validated; files over ``max_bytes``, links and special files refused."""
    if not folder.is_dir():
        raise TaskError(f"{folder}: not a task folder (a folder holding a task.toml)")
    with SafeFolder(folder, max_bytes=max_bytes) as root:
        return _load(root)


def _load(root: SafeFolder) -> Task:
    folder = root.path
    meta = _read_meta(root)
    language = meta.get("language", "python")
    program = meta.get("program") or (f"{meta['id']}.py" if language == "python" else "")
    if not program:
        raise TaskError(f"{folder / 'task.toml'}: 'program' is required for language {language!r}")
    # What is not read is still looked at: a link or special file anywhere on
    # the task's own levels is refused, read or not.
    root.names()
    if root.kind("tests") == "folder":
        root.names("tests")
    buggy = _read_tree(root, "buggy")
    if program not in buggy:
        raise TaskError(
            f"{folder}: buggy/{program} is missing (task.toml says program = {program!r})"
        )
    fixed = _read_tree(root, "fixed") if root.kind("fixed") == "folder" else None
    if fixed is not None and program not in fixed:
        raise TaskError(f"{folder}: fixed/{program} is missing")
    if language == "python":
        for side, files in (("buggy", buggy), ("fixed", fixed or {})):
            if program in files:
                _check_entry_point(folder / side / program, files[program], meta["entry_point"])
    visible = _read_tests(root, "visible", language)
    hidden = _read_tests(root, "hidden", language)
    if language == "python" and "build" in meta:
        raise TaskError(f"{folder / 'task.toml'}: [build] is for C and C++ tasks only")
    build = parse_build(meta.get("build"), str(folder / "task.toml"), buggy)
    if language != "python" and not visible.bench_paths and not visible.runs:
        raise TaskError(
            f"{folder}: tests/visible/ holds no test bench (a .c / .cpp file with DUCKFIX_MAIN) "
            f"and no {RUNS_FILE}"
        )
    if fixed is None and any(r.expected_stdout is None for r in (*visible.runs, *hidden.runs)):
        raise TaskError(
            f"{folder}: a run of {RUNS_FILE} has no expected_stdout and there is no fixed/ "
            "reference to record it from"
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
            build=build,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise TaskError(f"{folder / 'task.toml'}: {where}: {first['msg']}") from exc


def _read_meta(root: SafeFolder) -> dict[str, Any]:
    path = root.path / "task.toml"
    if root.kind("task.toml") != "file":
        raise TaskError(f"{root.path}: task.toml is missing")
    meta = parse_toml(root.read_text("task.toml"), path)
    missing = [k for k in _REQUIRED if not meta.get(k)]
    if missing:
        raise TaskError(f"{path}: missing required key(s): {', '.join(missing)}")
    unknown = sorted(set(meta) - _KNOWN - _TABLES)
    if unknown:
        known = ", ".join(sorted(_KNOWN | _TABLES))
        raise TaskError(f"{path}: unknown key(s) {', '.join(unknown)}; known: {known}")
    for key in _KNOWN & set(meta):
        if not isinstance(meta[key], str):
            raise TaskError(f"{path}: {key} must be a string, not {type(meta[key]).__name__}")
    if not _ID.match(meta["id"]):
        raise TaskError(f"{path}: id {meta['id']!r} may hold only letters, digits, '_', '.', '-'")
    return meta


def _read_tree(root: SafeFolder, rel: str) -> dict[str, str]:
    if root.kind(rel) != "folder":
        raise TaskError(f"{root.path}: {rel}/ is missing")
    return root.text_tree(rel)


def _read_tests(root: SafeFolder, side: str, language: str = "python") -> TestSet:
    rel_root = f"tests/{side}"
    if root.kind(rel_root) != "folder":
        if side == "hidden":
            return TestSet()
        raise TaskError(f"{root.path}: tests/{side}/ is missing")
    where = root.path / rel_root
    cases: list[TestCase] = []
    pytest_files: dict[str, str] = {}
    benches: dict[str, str] = {}
    runs: list[GoldenRun] = []
    for rel, text in root.text_tree(rel_root).items():
        if language != "python" and rel.endswith(".jsonl"):
            if rel.rsplit("/", 1)[-1] != RUNS_FILE:
                raise TaskError(f"{where / rel}: C tasks take golden-output runs in {RUNS_FILE}")
            runs.extend(parse_runs(text, f"{side}/{rel}", where / rel))
        elif rel.endswith(".jsonl"):
            cases.extend(parse_cases(text, f"{side}/{rel}", where / rel))
        elif language != "python":
            # Benches, and the headers and data files they include.
            benches[f"tests/{side}/{rel}"] = text
        else:
            if rel.endswith(".py"):
                check_syntax(where / rel, text)
            pytest_files[f"tests/{side}/{rel}"] = text
    return TestSet(cases=cases, pytest_files=pytest_files, benches=benches, runs=runs)


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


_RUN_FIELDS = {
    "name": str,
    "args": list,
    "stdin": str,
    "expected_stdout": str,
    "expected_exit": int,
}
_RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def parse_runs(text: str, label: str, path: Path | str) -> list[GoldenRun]:
    """Runs of a ``runs.jsonl`` file, one ``{"name", "args", "stdin"}`` object a line.

    ``label`` (``visible/runs.jsonl``) prefixes each run's name, as outcomes name it.
    """
    runs: list[GoldenRun] = []
    seen: set[str] = set()
    for number, data in json_lines(text, path):
        where = f"{path}:{number}"
        if not isinstance(data, dict):
            raise TaskError(f'{where}: a run must be an object {{"name": ..., "args": [...]}}')
        extra = sorted(set(data) - set(_RUN_FIELDS))
        if extra:
            known = ", ".join(_RUN_FIELDS)
            raise TaskError(f"{where}: unknown field(s) {', '.join(extra)}; known: {known}")
        for key, kind in _RUN_FIELDS.items():
            value = data.get(key)
            if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
                raise TaskError(f"{where}: {key!r} must be a {kind.__name__}")
        name = data.get("name")
        if not isinstance(name, str) or not _RUN_NAME.match(name):
            raise TaskError(
                f"{where}: 'name' is required: letters, digits, '_', '.', '-' (100 at most)"
            )
        if name in seen:
            raise TaskError(f"{where}: run name {name!r} is used twice")
        seen.add(name)
        args = data.get("args") or []
        if not all(isinstance(a, str) for a in args):
            raise TaskError(f"{where}: 'args' must be a list of strings (as a shell passes them)")
        if any("\0" in a for a in [*args, data.get("stdin") or ""]):
            raise TaskError(f"{where}: arguments and stdin may not hold NUL characters")
        exit_code = data.get("expected_exit")
        if exit_code is not None and not 0 <= exit_code <= 255:
            raise TaskError(f"{where}: 'expected_exit' must be an exit status, 0 to 255")
        runs.append(
            GoldenRun(
                name=f"{label}:{name}",
                args=args,
                stdin=data.get("stdin") or "",
                expected_stdout=data.get("expected_stdout"),
                expected_exit=exit_code,
            )
        )
    return runs


def entry_point_defined(source: str | ast.Module, name: str) -> bool:
    """Whether a module's top level defines ``name`` (def, class, assignment or import).

    ``source`` may be the module already parsed: a large program is parsed once.
    """
    tree = ast.parse(source) if isinstance(source, str) else source
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
    if not entry_point_defined(parse_python(path, source), name):
        raise TaskError(f"{path}: entry point {name!r} is not defined at the top level")
