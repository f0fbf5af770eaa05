"""Scaffold a golden-output C task from a program with its own ``main()`` (``duckfix tasks new``).

The program and the ``.c`` / ``.h`` files it includes by quoted name (from its
own folder, followed recursively) are copied into ``fixed/`` and ``buggy/``
(the same until the user puts the bug in ``buggy/``); each run's arguments and
stdin are run against the program in the sandbox, and what it printed and its
exit status are written to ``tests/visible/runs.jsonl`` and
``tests/hidden/runs.jsonl`` as the expected output.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from duckfix.build_config import BuildConfig
from duckfix.errors import TaskError, UsageError
from duckfix.models import GoldenRun, Task, TestSet
from duckfix.runner import RunOptions, record_runs
from duckfix.safe_files import DEFAULT_MAX_BYTES

__all__ = ["NewTask", "Scaffolded", "scaffold_task"]

_INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"\n]+)"', re.MULTILINE)
_COPIED = (".c", ".h", ".cc", ".cpp", ".cxx", ".hh", ".hpp", ".inc", ".def")
_MAX_FILES = 200


@dataclass(frozen=True)
class NewTask:
    """What ``tasks new`` was asked for."""

    program: Path
    out: Path
    runs: Sequence[str] = ()
    """Each run's arguments, as a shell line (``'-n 3 input'``)."""
    stdins: Sequence[str] = ()
    """Stdin texts: one for every run, or one per run."""
    hidden: int | None = None
    """Runs (the last ones) kept hidden; default a third of them."""
    language: str = "c"
    build: BuildConfig = field(default_factory=BuildConfig)


@dataclass(frozen=True)
class Scaffolded:
    """What was written."""

    folder: Path
    files: list[str]
    visible: int
    hidden: int


def _program_files(program: Path) -> dict[str, str]:
    """The program and the files it includes by quoted name from its folder, recursively."""
    if not program.is_file():
        raise UsageError(f"{program}: no such program file")
    root = program.parent.resolve()
    found: dict[str, str] = {}
    todo = [program.name]
    while todo:
        rel = todo.pop()
        if rel in found:
            continue
        path = root / rel
        if path.is_symlink() or not path.is_file():
            if rel == program.name:
                raise UsageError(f"{program}: not a regular file")
            continue  # a system header, or one the compiler finds elsewhere
        if path.stat().st_size > DEFAULT_MAX_BYTES:
            raise UsageError(f"{path}: larger than {DEFAULT_MAX_BYTES >> 20} MB")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{path}: cannot read it as UTF-8 text ({exc})") from exc
        found[rel] = text
        if len(found) > _MAX_FILES:
            raise UsageError(f"{program}: includes more than {_MAX_FILES} files")
        here = posixpath.dirname(rel)
        for name in _INCLUDE.findall(text):
            target = posixpath.normpath(posixpath.join(here, name))
            if target.startswith("../") or target.startswith("/") or not target.endswith(_COPIED):
                continue
            todo.append(target)
    return found


def _runs(spec: NewTask) -> list[GoldenRun]:
    lines = list(spec.runs) or [""]
    stdins = list(spec.stdins) or [""]
    if len(stdins) == 1:
        stdins *= len(lines)
    elif len(lines) == 1 and not spec.runs:
        lines *= len(stdins)
    if len(stdins) != len(lines):
        raise UsageError(
            f"{len(spec.runs)} --run but {len(spec.stdins)} --stdin: give one --stdin for all "
            "runs or one per run"
        )
    runs = []
    for index, (line, stdin) in enumerate(zip(lines, stdins, strict=True), start=1):
        try:
            args = shlex.split(line)
        except ValueError as exc:
            raise UsageError(f"--run {line!r}: {exc}") from exc
        runs.append(GoldenRun(name=f"run{index}", args=args, stdin=stdin))
    return runs


def scaffold_task(spec: NewTask, options: RunOptions) -> Scaffolded:
    """Write a task folder for ``spec``; one clear error when the program cannot be a task."""
    if spec.language not in ("c", "hls"):
        raise UsageError(f"--lang {spec.language!r}: tasks new makes C tasks (c or hls)")
    if not spec.program.name.endswith((".c", ".cpp", ".cc", ".cxx")):
        raise UsageError(f"{spec.program}: give a C or C++ source file (.c, .cpp)")
    if spec.out.exists() and (not spec.out.is_dir() or any(spec.out.iterdir())):
        raise UsageError(f"{spec.out}: already exists and is not an empty folder")
    files = _program_files(spec.program)
    runs = _runs(spec)
    hidden = len(runs) // 3 if spec.hidden is None else spec.hidden
    if not 0 <= hidden < len(runs):
        raise UsageError(f"--hidden {hidden}: keep at least one of the {len(runs)} runs visible")
    task_id = re.sub(r"[^A-Za-z0-9_.-]", "_", spec.program.stem) or "program"
    task = Task(
        id=task_id,
        language=spec.language,
        entry_point="main",
        program=spec.program.name,
        buggy=files,
        fixed=files,
        visible=TestSet(runs=runs),
        build=spec.build,
    )
    records = record_runs(task, runs, files, options)
    expected: list[dict[str, object]] = []
    for run in runs:
        line = shlex.join(run.args) or "(no arguments)"
        record = records.get(run.name, {"status": "error", "message": "no result"})
        message = str(record.get("message") or "")
        if message.startswith("does not compile:"):
            raise TaskError(f"{spec.program}: {message}")
        if record.get("status") == "timeout":
            raise TaskError(
                f"{spec.program}: the run {line} took more "
                f"than {options.case_timeout:g} s (--case-timeout raises the limit)"
            )
        if record.get("status") != "ran":
            raise TaskError(f"{spec.program}: the run {line} failed: {message or 'no result'}")
        entry: dict[str, object] = {"name": run.name, "args": run.args}
        if run.stdin:
            entry["stdin"] = run.stdin
        entry["expected_stdout"] = record["stdout"]
        entry["expected_exit"] = record["exit"]
        expected.append(entry)
    return _write(spec, task_id, files, expected, hidden)


def _toml_list(items: Sequence[str]) -> str:
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def _write(
    spec: NewTask,
    task_id: str,
    files: dict[str, str],
    runs: list[dict[str, object]],
    hidden: int,
) -> Scaffolded:
    build = spec.build
    sources = build.source_list(files)
    toml = [
        f"id = {json.dumps(task_id)}",
        f"language = {json.dumps(spec.language)}",
        'entry_point = "main"',
        f"program = {json.dumps(spec.program.name)}",
        f"description = {json.dumps(f'{spec.program.name}, tested by its output')}",
        "",
        "[build]",
        f"sources = {_toml_list(sources)}",
        f"unit = {'true' if build.unit else 'false'}",
        f"flags = {_toml_list(build.flags)}",
        f"sanitize = {_toml_list(build.sanitize)}",
        "",
    ]
    written: dict[str, str] = {"task.toml": "\n".join(toml)}
    for side in ("fixed", "buggy"):
        for rel, text in files.items():
            written[f"{side}/{rel}"] = text
    cut = len(runs) - hidden
    for side, chosen in (("visible", runs[:cut]), ("hidden", runs[cut:])):
        if chosen:
            written[f"tests/{side}/runs.jsonl"] = "".join(json.dumps(r) + "\n" for r in chosen)
    for rel, text in written.items():
        path = spec.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return Scaffolded(folder=spec.out, files=sorted(written), visible=cut, hidden=hidden)
