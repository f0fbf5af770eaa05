"""The project's own compiler flags for one C / C++ file: what its build would pass.

In order:

1. ``compile_commands.json`` (CMake, Meson and Bear write one): ``review.c.compile_commands``,
   else the first found at the repository's top, in ``build/``, or one or two
   folders down, in the checkout (build output is rarely committed) or in the
   reviewed tree. The file's own entry, else a neighbour's in the same folder
   (a new file is not in the database yet), else the first entry's.
2. ``[review.c]`` settings: ``flags``, ``include`` folders and ``prelude`` headers.
3. A best effort: the repository's top folder and its ``include`` folders.

Only what shapes how the file parses is kept: macros (``-D``/``-U``), include
folders and forced includes, the language standard, ``-f``/``-m``/``-O`` options
and the project's own ``-Wno-...``. Nothing that runs or loads a program
(``-fplugin``, ``-B``, ``-specs``), writes a file (``-o``, ``-MF``) or turns
warnings into errors (``-Werror``). Include folders inside the build's source
root are read from the reviewed tree; those outside it (generated headers in a
build folder) from where they are, read-only.
"""

from __future__ import annotations

import functools
import json
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from duckfix.review_settings import CReviewSettings

__all__ = ["CompileSetup", "compile_database", "setup_for"]

_INCLUDE_OPTIONS = ("-I", "-iquote", "-isystem", "-idirafter")
_FORCED = ("-include", "-imacros")
_SKIP_WITH_VALUE = {"-o", "-MF", "-MT", "-MQ", "-x", "-B", "-specs", "--sysroot", "-isysroot",
                    "-Xclang", "--param", "-aux-info", "-main-file-name"}  # fmt: skip
_SKIP = {"-c", "-S", "-E", "-M", "-MM", "-MD", "-MMD", "-MP", "-g", "-pipe", "-v", "-save-temps"}
_BAD_PREFIXES = (
    "-fplugin", "-fdump", "-fprofile", "-fdiagnostics", "-fcolor", "-fsave", "-fcoverage",
    "-Werror", "-Wl,", "-Wa,", "-Wp,", "-specs=", "--sysroot=", "-B", "-o", "-fstack-usage",
    "-fcallgraph", "-frecord", "-fmessage-length",
)  # fmt: skip
_WRAPPERS = {"ccache", "sccache", "distcc", "icecc"}
_DB_NAME = "compile_commands.json"


@dataclass
class CompileSetup:
    """How one file is compiled here: flags, include folders, forced headers, and whence."""

    flags: list[str] = field(default_factory=list)
    includes: list[tuple[str, str]] = field(default_factory=list)
    """(option, absolute folder): ``("-I", "/tmp/tree/include")``."""
    prelude: list[str] = field(default_factory=list)
    """Absolute paths of headers included before the file (``-include``)."""
    read_only: list[str] = field(default_factory=list)
    """Host folders outside the reviewed tree that the compiler must read."""
    source: str = "best effort"
    """Where the flags came from, for the coverage line."""
    own: bool = False
    """The flags are the project's for this file (its compile_commands.json entry, or
    [review.c]), not a guess."""
    known_files: frozenset[str] = frozenset()
    """Repository paths the database compiles (to prefer them as a header's includer)."""

    def arguments(self) -> list[str]:
        """The flags, include folders and forced headers as compiler arguments."""
        out = list(self.flags)
        for option, folder in self.includes:
            out += [option, folder]
        for header in self.prelude:
            out += ["-include", header]
        return out


@dataclass(frozen=True)
class _Entry:
    directory: str
    file: str
    """Absolute, normalised."""
    arguments: tuple[str, ...]


@dataclass(frozen=True)
class _Database:
    path: str
    root: str
    """The source root the entries' paths are under (the checkout that was built)."""
    by_file: dict[str, _Entry]
    """Repository-relative path -> entry."""


def compile_database(
    checkout: Path | None, tree_root: Path, settings: CReviewSettings
) -> _Database | None:
    """The project's compile_commands.json, parsed (see the module docstring); None if none."""
    for base in [b for b in (checkout, tree_root) if b is not None]:
        for candidate in _candidates(base, settings):
            if candidate.is_file():
                stat = candidate.stat()
                return _load(str(candidate), stat.st_mtime_ns, stat.st_size, str(base))
    return None


def _candidates(base: Path, settings: CReviewSettings) -> list[Path]:
    if settings.compile_commands:
        given = Path(settings.compile_commands)
        return [given if given.is_absolute() else base / given]
    out = [base / _DB_NAME, base / "build" / _DB_NAME]
    try:
        for first in sorted(base.iterdir()):
            if first.is_dir() and not first.name.startswith(".git"):
                out.append(first / _DB_NAME)
                out += sorted(p / _DB_NAME for p in first.iterdir() if p.is_dir())
    except OSError:
        pass
    return out


@functools.lru_cache(maxsize=8)
def _load(path: str, _mtime: int, _size: int, base: str) -> _Database | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            raw = json.load(fh)
    except (OSError, ValueError, RecursionError):
        return None
    entries: list[_Entry] = []
    for item in raw if isinstance(raw, list) else []:
        entry = _entry(item)
        if entry is not None:
            entries.append(entry)
    if not entries:
        return None
    root = _source_root(entries, base)
    by_file: dict[str, _Entry] = {}
    for entry in entries:
        if entry.file.startswith(root + os.sep):
            by_file.setdefault(entry.file[len(root) + 1 :].replace(os.sep, "/"), entry)
    return _Database(path, root, by_file)


def _entry(item: Any) -> _Entry | None:
    if not isinstance(item, dict):
        return None
    directory, file = item.get("directory"), item.get("file")
    if not isinstance(directory, str) or not isinstance(file, str):
        return None
    args = item.get("arguments")
    if isinstance(args, list) and all(isinstance(a, str) for a in args):
        arguments = tuple(args)
    elif isinstance(item.get("command"), str):
        try:
            arguments = tuple(shlex.split(item["command"]))
        except ValueError:
            return None
    else:
        return None
    full = os.path.normpath(os.path.join(directory, file))
    return _Entry(directory, full, arguments)


def _source_root(entries: list[_Entry], base: str) -> str:
    """Where the build's sources were: the checkout, or the common folder of the entries."""
    real = os.path.realpath(base)
    for root in (base, real):
        if any(e.file.startswith(root + os.sep) for e in entries):
            return root
    # Built elsewhere (another machine, another clone): the entries' common folder.
    common = os.path.commonpath([os.path.dirname(e.file) for e in entries])
    return common


def setup_for(
    path: str,
    tree_root: Path,
    checkout: Path | None,
    settings: CReviewSettings,
) -> CompileSetup:
    """How to compile ``path`` (repository-relative) as the project does, reading ``tree_root``."""
    database = compile_database(checkout, tree_root, settings)
    if database is not None:
        entry, how = _entry_for(database, path)
        if entry is not None:
            setup = _from_entry(entry, database, tree_root)
            setup.source = f"{_shown(database.path, checkout, tree_root)} ({how})"
            setup.known_files = frozenset(database.by_file)
            # A neighbour's flags are the best guess for a file the build does
            # not list (a new file, or one its configuration leaves out, like an
            # optional backend): good enough for warnings, not to call errors.
            setup.own = how == "its entry" or bool(settings.flags or settings.include)
            _add_settings(setup, tree_root, settings)
            return setup
    setup = CompileSetup(source="review.c settings", own=True)
    if not (settings.flags or settings.include or settings.prelude):
        setup.source = "best effort (no compile_commands.json, no [review.c] settings)"
        setup.own = False
        for folder in _best_effort_includes(tree_root):
            setup.includes.append(("-I", str(folder)))
    else:
        setup.includes.append(("-I", str(tree_root)))
    _add_settings(setup, tree_root, settings)
    return setup


def _shown(db_path: str, checkout: Path | None, tree_root: Path) -> str:
    for base in (checkout, tree_root):
        if base is not None and db_path.startswith(str(base) + os.sep):
            return db_path[len(str(base)) + 1 :]
    return db_path


def _entry_for(database: _Database, path: str) -> tuple[_Entry | None, str]:
    if path in database.by_file:
        return database.by_file[path], "its entry"
    folder = str(PurePosixPath(path).parent)
    suffix = PurePosixPath(path).suffix
    same_folder = [p for p in database.by_file if str(PurePosixPath(p).parent) == folder]
    for other in sorted(same_folder, key=lambda p: (PurePosixPath(p).suffix != suffix, p)):
        return database.by_file[other], f"as {other}"
    first = sorted(database.by_file)[0] if database.by_file else None
    return (database.by_file[first], f"as {first}") if first else (None, "")


def _from_entry(entry: _Entry, database: _Database, tree_root: Path) -> CompileSetup:
    setup = CompileSetup()
    args = list(entry.arguments)
    if args and os.path.basename(args[0]) in _WRAPPERS:
        args = args[1:]
    args = args[1:]  # the compiler itself
    i = 0
    while i < len(args):
        arg = args[i]
        value = args[i + 1] if i + 1 < len(args) else None
        i += 1
        if arg in _SKIP_WITH_VALUE:
            i += 1
            continue
        if arg in _SKIP or not arg.startswith("-"):
            continue
        option = next((o for o in _INCLUDE_OPTIONS if arg == o or arg.startswith(o)), None)
        if option is not None or arg in _FORCED:
            name = option or arg
            folder = arg[len(name) :] if arg != name else value
            if arg == name:
                i += 1
            if folder:
                mapped = _map(folder, entry.directory, database.root, tree_root, setup)
                if mapped is not None:
                    if name in _FORCED:
                        setup.prelude.append(mapped)
                    else:
                        setup.includes.append((name, mapped))
            continue
        if arg in ("-D", "-U"):
            if value is not None:
                setup.flags += [arg + value]
            i += 1
            continue
        if arg.startswith(_BAD_PREFIXES):
            continue
        if arg.startswith(("-D", "-U", "-std=", "-f", "-m", "-O", "-W", "-pthread", "-ansi")):
            setup.flags.append(arg)
    return setup


def _map(given: str, directory: str, root: str, tree_root: Path, setup: CompileSetup) -> str | None:
    """An include path of the build, as read here: in the reviewed tree, or where it is."""
    full = os.path.normpath(os.path.join(directory, given))
    if full == root or full.startswith(root + os.sep):
        rel = full[len(root) + 1 :] if full != root else ""
        inside = tree_root / rel if rel else tree_root
        if inside.exists():
            return str(inside)
    if os.path.exists(full):
        real = os.path.realpath(full)
        folder = real if os.path.isdir(real) else os.path.dirname(real)
        if folder not in setup.read_only:
            setup.read_only.append(folder)
        return real
    return None


def _add_settings(setup: CompileSetup, tree_root: Path, settings: CReviewSettings) -> None:
    setup.flags += [f for f in settings.flags if not f.startswith(_BAD_PREFIXES)]
    for folder in settings.include:
        setup.includes.append(("-I", str(tree_root / folder)))
    for header in settings.prelude:
        setup.prelude.append(str(tree_root / header))


def _best_effort_includes(tree_root: Path) -> list[Path]:
    """The top folder and every ``include`` folder up to three levels down."""
    out = [tree_root]
    pending = [(tree_root, 0)]
    while pending:
        folder, depth = pending.pop()
        try:
            children = sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink())
        except OSError:
            continue
        for child in children:
            if child.name.startswith("."):
                continue
            if child.name in ("include", "inc"):
                out.append(child)
            if depth < 2:
                pending.append((child, depth + 1))
    return out
