"""The ``[build]`` table of a C / C++ task: which sources, compiled how, with which sanitizers.

::

    [build]
    sources = ["main.c"]              # default: every .c / .cpp not #included by another
    unit = false                      # true: all sources compiled as one translation unit
    flags = ["-DNDEBUG", "-std=c99"]  # extra compiler flags, checked against an allow-list
    sanitize = ["address", "undefined"]   # the default; [] builds without sanitizers

The same table builds the buggy side, every candidate and the reference, and
it is part of the C build cache's key. Flags come from a task folder, which is
hostile input: only flags that change how the given text is compiled are
accepted, never one that names a host file or another program (``-I/abs``,
``@file``, ``-B``, ``-wrapper``, ``-fplugin``, ``--sysroot``, ``-specs``, ``-L``,
linker and assembler pass-through, a bare file name).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from duckfix.errors import TaskError

__all__ = [
    "SOURCE_SUFFIXES",
    "BuildConfig",
    "check_flag",
    "included_sources",
    "parse_build",
]

SOURCE_SUFFIXES = (".c", ".cc", ".cpp", ".cxx")
Sanitizer = Literal["address", "undefined"]
_DEFAULT_SANITIZERS: tuple[Sanitizer, ...] = ("address", "undefined")

# Flags that take a folder or file relative to the task's root.
_PATH_FLAGS = ("-iquote", "-isystem", "-idirafter", "-include", "-I")
# The joined forms, each a closed shape; anything else is refused.
_SIMPLE = re.compile(
    r"^(-[DU][A-Za-z_][A-Za-z0-9_]*(=.*)?"  # macros: the source could say the same
    r"|-std=[a-z0-9+]+|-O[0-3sgz]?|-g[0-3]?|-w|-pedantic(-errors)?|-ansi|-pthread"
    r"|-l[A-Za-z0-9_.+-]+"  # a library from the compiler's own search path
    r"|-W(no-)?(error=)?[a-z0-9+-]+(=[a-z0-9]+)?"  # warnings, never -Wl, / -Wa, / -Wp,
    r"|-f(no-)?[a-z0-9+-]+(=[A-Za-z0-9_.,+-]+)?"  # code generation options (no paths)
    r"|-m(no-)?[a-z0-9+-]+(=[A-Za-z0-9_.,+-]+)?)$"  # target options (-march=native)
)
# -f options that load code, read or write host paths, or change the sanitizers
# (those belong to ``sanitize``, so that the flags of every build stay known).
_F_REFUSED = (
    "plugin", "profile", "auto-profile", "dump", "sanitize", "coverage", "test-coverage",
    "debug-prefix-map", "file-prefix-map", "macro-prefix-map", "record-gcc-switches",
    "save-optimization-record", "callgraph-info", "stack-usage", "lto", "compare-debug",
    "opt-info", "diagnostics-format", "asan-shadow", "instrument-functions-exclude",
)  # fmt: skip
_SANITIZE_FLAGS = {"address": "address", "undefined": "undefined"}


def check_flag(flag: str) -> str | None:
    """Why ``flag`` may not be given in ``[build].flags``; None when it may."""
    if not isinstance(flag, str) or not flag:
        return "a flag must be a non-empty string"
    if "\0" in flag or "\n" in flag:
        return "a flag may not hold a NUL or a line break"
    if not flag.startswith("-") or flag.startswith("--"):
        return (
            "not an allowed flag (a bare name is an input file, @file reads a host file, "
            "and --options such as --sysroot are refused)"
        )
    for prefix in _PATH_FLAGS:
        if flag.startswith(prefix) and flag != prefix:
            path = flag[len(prefix) :]
            if path.startswith("/") or ".." in path.split("/"):
                return f"{prefix} must name a folder inside the task (relative, no '..')"
            return None
    if flag in _PATH_FLAGS:
        return f"give {flag} joined to its value ({flag}include), not as two flags"
    if not _SIMPLE.match(flag):
        return (
            "not an allowed flag; allowed: -D, -U, -I<folder of the task>, -std=, -O, -g, "
            "-W<warning>, -f<option>, -m<option>, -l<library>, -pthread, -pedantic"
        )
    if flag.startswith(("-f", "-fno-")):
        name = flag.removeprefix("-f").removeprefix("no-")
        # Turning one of the chosen sanitizers' checks off is fine; choosing them is not.
        if name.startswith(_F_REFUSED) and not flag.startswith("-fno-sanitize"):
            return (
                f"-f{name.split('=')[0]} is refused "
                "(it loads code, names host files or sets the sanitizers)"
            )
    return None


class BuildConfig(BaseModel):
    """How a C / C++ task's program is built; see the module docstring."""

    # Built on first use (C tasks only), not on every import of duckfix.models.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)

    sources: list[str] | None = None
    """Sources compiled, relative to the side folder; None: every source no other includes."""
    unit: bool = False
    """Compile the sources as one translation unit (``#include`` them into one file)."""
    flags: list[str] = Field(default_factory=list)
    """Extra compiler flags (checked by :func:`check_flag`)."""
    sanitize: list[Sanitizer] = Field(default_factory=lambda: list(_DEFAULT_SANITIZERS))
    """Sanitizers built in; [] turns them off (legacy code that shifts negative values)."""

    @field_validator("flags")
    @classmethod
    def _flags(cls, flags: list[str]) -> list[str]:
        for flag in flags:
            why = check_flag(flag)
            if why is not None:
                raise ValueError(f"{flag!r}: {why}")
        return flags

    @field_validator("sources")
    @classmethod
    def _sources(cls, sources: list[str] | None) -> list[str] | None:
        if sources is None:
            return None
        if not sources:
            raise ValueError("name at least one source, or leave 'sources' out")
        for source in sources:
            norm = posixpath.normpath(source)
            if source.startswith("/") or norm.startswith("..") or norm != source:
                raise ValueError(f"{source!r}: a source is a plain path inside the side folder")
            if not source.endswith(SOURCE_SUFFIXES):
                raise ValueError(f"{source!r}: a source ends in {', '.join(SOURCE_SUFFIXES)}")
        return sources

    @field_validator("sanitize")
    @classmethod
    def _sanitize(cls, names: list[str]) -> list[str]:
        return sorted(set(names), key=names.index)

    def source_list(self, program: Mapping[str, Any]) -> list[str]:
        """The sources to compile among ``program``'s files (paths relative to the side)."""
        if self.sources is not None:
            return list(self.sources)
        candidates = sorted(p for p in program if p.endswith(SOURCE_SUFFIXES))
        texts = {p: program[p] for p in candidates if isinstance(program[p], str)}
        included = included_sources(texts, set(program))
        return [p for p in candidates if p not in included]

    def sanitizer_flags(self) -> list[str]:
        """``-fsanitize=...`` for the chosen sanitizers, or nothing."""
        names = [_SANITIZE_FLAGS[n] for n in self.sanitize]
        return [f"-fsanitize={','.join(names)}"] if names else []

    def key(self) -> str:
        """The table as canonical JSON: part of every cache key of a build made with it."""
        return self.model_dump_json()


_INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"\n]+)"', re.MULTILINE)


def included_sources(texts: Mapping[str, str], files: set[str]) -> set[str]:
    """The sources among ``files`` that a file of ``texts`` ``#include``s by a quoted name.

    A quoted name is looked up next to the including file, then at the root
    (the build passes ``-I .``), as the compiler does.
    """
    found: set[str] = set()
    for path, text in texts.items():
        here = posixpath.dirname(path)
        for name in _INCLUDE.findall(text):
            for base in (here, ""):
                candidate = posixpath.normpath(posixpath.join(base, name))
                if candidate in files and candidate != path:
                    if candidate.endswith(SOURCE_SUFFIXES):
                        found.add(candidate)
                    break
    return found


def parse_build(table: Any, where: str, program: Mapping[str, Any]) -> BuildConfig:
    """The ``[build]`` table of ``task.toml``, validated against the program's files.

    Raises :class:`TaskError` with one line naming the first problem.
    """
    if table is None:
        return BuildConfig()
    if not isinstance(table, dict):
        raise TaskError(f"{where}: [build] must be a table, not {type(table).__name__}")
    try:
        config = BuildConfig.model_validate(table)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "unknown key; known: sources, unit, flags, sanitize"
        raise TaskError(f"{where}: build.{field}: {message}") from exc
    for source in config.sources or ():
        if source not in program:
            raise TaskError(f"{where}: build.sources: {source!r} is not a file of the program")
    return config
