"""GCC's warnings on the lines a diff adds to a C or C++ file, built as the project builds it.

The file is compiled as of the reviewed revision (:class:`~duckfix.source_tree.SourceTree`:
the checkout when it is that revision, else the C and C++ files copied out of
git; never the current checkout's), with ``gcc -fsyntax-only -Wall -Wextra
-Wno-unknown-pragmas`` (``g++`` for C++, and for a ``.h`` that reads as C++) plus
the project's own flags (:mod:`~duckfix.agents.review_checks.c_flags`:
``compile_commands.json``, else ``[review.c]``, else a best effort). A header is
compiled through a source file that includes it (it may need the project's
prelude header first); one that no file includes is compiled alone, after the
``prelude`` headers. For C++ the ``ap_int`` / ``hls_stream`` headers come along
when the ``hls`` extra provides them. A file the patch adds that the tree does
not hold (a patch not applied here) is compiled from its text. Diagnostics
come as JSON (``-fdiagnostics-format=json``) or, from a compiler without it, as
``FILE:LINE:COL: kind: message [-Wflag]`` text.

The text is a patch's, and a patch names what the compiler reads
(``#include "/root/.ssh/id_rsa"``), so gcc runs in :mod:`duckfix.sandbox`: one run
per file, as an unprivileged uid, in an empty folder, seeing the reviewed tree
and the include folders the build names read-only, and of the host nothing
else but the compiler. A caller about to review many files of one tree may run
their compiles in one sandbox first (:func:`compile_of`, then
:mod:`~duckfix.agents.review_checks.compile_ahead`); the check then takes its
diagnostics from there.

Kept: warnings (``warning``) and errors (``error``) in the file itself on added
lines; notes are dropped. Category ``c/<flag without -W>`` (``c/unused-variable``)
or ``c/error``. When the file cannot be checked here the check raises
:class:`~duckfix.errors.CheckNotRun` saying why (coverage, never a finding): a
header that is not found, or errors on lines the diff does not touch (the
flags here would not be the build's, so its other errors would be guesses). A
header compiled on its own warns of ``#pragma once`` and of unused ``static``
definitions; those are dropped for headers.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from duckfix.agents.review_checks.compile_ahead import ENV, Compile, take
from duckfix.agents.review_checks.python_lint import NO_TEXT
from duckfix.agents.review_checks.tool import run_sandboxed, sandbox_path
from duckfix.errors import CheckNotRun
from duckfix.findings import Finding, Severity
from duckfix.patches import FileContext
from duckfix.review_settings import ReviewSettings

if TYPE_CHECKING:
    from duckfix.source_tree import SourceTree

__all__ = ["CompileJob", "check", "compile_of", "plan_compile"]


_C = {".c", ".h"}
_CXX = {".cc", ".cpp", ".cxx", ".hpp", ".hh", ".hxx"}
_HEADERS = {".h", ".hpp", ".hh", ".hxx"}
# What a compile reads besides its source: headers, and the fragments projects include.
_INCLUDED = _HEADERS | {".h", ".inc", ".def", ".inl", ".ipp", ".tcc", ".x", ".tbl"}
_LOOKS_CXX = re.compile(
    r"^\s*(?:namespace\b|template\s*<|class\s+\w+\s*[:{]|#include\s*<(?:iostream|string|vector)>)"
    r"|\bstd::",
    re.MULTILINE,
)
_TEXT_DIAG = re.compile(
    r"^(.+?):(\d+):(?:\d+:)? (warning|error|fatal error|note): (.*?)(?: \[(-W[^\]]+)\])?$"
)
_HINTS = {  # by flag prefix, first match wins
    "unused-result": "use or check the returned value",
    "unused": "remove it, or mark it as intentionally unused",
    "sign-compare": "make both sides the same signedness",
    "implicit-fallthrough": "add a break, or mark the fall-through as intended",
    "uninitialized": "initialise it before use",
    "maybe-uninitialized": "initialise it before use",
    "format": "make the format string match the arguments",
    "return-type": "return a value on every path",
}


@dataclass(frozen=True, slots=True)
class _Diag:
    file: str
    """``<stdin>``, or the path of the file the diagnostic is in, as the compiler names it."""
    line: int
    kind: str
    """``warning``, ``error``, ``fatal error`` or ``note``."""
    message: str
    flag: str | None
    """The option that controls it, like ``-Wunused-variable``."""


def check(ctx: FileContext, settings: ReviewSettings) -> list[Finding]:
    """GCC ``-Wall -Wextra`` warnings and errors on the added lines of a C/C++ file."""
    change = ctx.change
    suffix = PurePosixPath(change.path).suffix.lower()
    added = change.added_lines
    if not _checked(ctx):
        return []
    if ctx.new_text is None:
        raise CheckNotRun(NO_TEXT)
    job = plan_compile(ctx, settings, _is_cxx(ctx.change.path, ctx.new_text))
    diags = _compile(job)
    fatal = next((d for d in diags if d.kind == "fatal error"), None)
    if fatal is not None:
        where = job.where(fatal.file, fatal.line)
        raise CheckNotRun(
            f"the file does not compile here ({where}: {fatal.message}; flags: {job.source})"
        )
    # Errors are the patch's only when the flags are the project's (its
    # compile_commands.json or [review.c]) and all of them sit on added lines:
    # with flags guessed here, or a header compiled alone, "unknown type name"
    # says more about the guess than about the patch.
    outside = next(
        (
            d
            for d in diags
            if d.kind == "error"
            and (not job.trusted or not (job.is_target(d.file) and d.line in added))
        ),
        None,
    )
    if outside is not None:
        where = job.where(outside.file, outside.line)
        raise CheckNotRun(
            f"the file does not compile here ({where}: {outside.message}; flags: {job.source})"
        )
    out: list[Finding] = []
    for d in diags:
        if not job.is_target(d.file) or d.line not in added or d.kind not in ("warning", "error"):
            continue
        if suffix in _HEADERS and _header_noise(d):
            continue
        name = (d.flag or "").removeprefix("-Werror=").removeprefix("-W") or (
            "error" if d.kind == "error" else "warning"
        )
        hint = next((h for key, h in _HINTS.items() if name.startswith(key)), None)
        severity: Severity = "error" if d.kind == "error" else "warning"
        tool = "g++" if job.cxx else "gcc"
        message = f"{d.message} ({tool}{f' {d.flag}' if d.flag else ''})"
        out.append(
            Finding(
                path=change.path,
                line=d.line,
                severity=severity,
                category=f"c/{name}",
                message=f"{message}: {hint}" if hint else message,
            )
        )
    return out


def _checked(ctx: FileContext) -> bool:
    change = ctx.change
    suffix = PurePosixPath(change.path).suffix.lower()
    return suffix in _C | _CXX and not change.binary and bool(change.added_lines)


def _is_cxx(path: str, text: str) -> bool:
    suffix = PurePosixPath(path).suffix.lower()
    return suffix in _CXX or (suffix == ".h" and bool(_LOOKS_CXX.search(text)))


def compile_of(ctx: FileContext, settings: ReviewSettings) -> Compile | None:
    """The compiler run :func:`check` would make for ``ctx``, or None if it would make none.

    For :func:`~duckfix.agents.review_checks.compile_ahead.compiled_ahead`: many
    files' runs in one sandbox. Never raises; the check says why it cannot run.
    """
    if not _checked(ctx) or ctx.new_text is None:
        return None
    try:
        job = plan_compile(ctx, settings, _is_cxx(ctx.change.path, ctx.new_text))
        exe, json = _compiler(job)
        command, read_only = _invocation(job, exe, json)
    except Exception:  # the check itself will meet it again, and say so
        return None
    return Compile(tuple(command), job.stdin, tuple(read_only))


def _header_noise(d: _Diag) -> bool:
    """What a header compiled as a main file is warned about only because of that."""
    return "#pragma once in main file" in d.message or d.message.endswith("defined but not used")


# --- what to compile, and how ----------------------------------------------------------


@dataclass
class CompileJob:
    """One compiler run: what it reads, with which flags, and whose diagnostics count."""

    arguments: list[str]
    cxx: bool
    target: str
    """The reviewed file as the compiler names it: an absolute path, or ``<stdin>``."""
    folder: str | None = None
    """The reviewed tree's folder (absolute), to name other files by repository path."""
    stdin: str = ""
    read_only: list[str] = field(default_factory=list)
    source: str = "best effort"
    """Where the flags came from, said when the file cannot be checked."""
    trusted: bool = False
    """The flags are the project's own and the file is compiled as its build would."""
    main: str | None = None
    """The file compiled (absolute): the reviewed one, or a file including it; None: stdin."""

    def is_target(self, file: str) -> bool:
        return file == self.target if file == "<stdin>" else os.path.normpath(file) == self.target

    def where(self, file: str, line: int) -> str:
        """``line N`` in the reviewed file, else ``PATH, line N`` by repository path."""
        if self.is_target(file):
            return f"line {line}"
        file = os.path.normpath(file)
        if self.folder and file.startswith(self.folder + os.sep):
            file = file[len(self.folder) + 1 :]
        return f"{file}, line {line}"


def plan_compile(ctx: FileContext, settings: ReviewSettings, cxx: bool) -> CompileJob:
    """What to compile for ``ctx``: the file in its tree, a file including it, or its text."""
    from duckfix.agents.review_checks.c_flags import setup_for

    path, text = ctx.path, ctx.new_text or ""
    tree = ctx.source_tree()
    if tree is None:  # a patch outside any repository: its text alone
        return CompileJob(["-x", "c++" if cxx else "c", "-"], cxx, "<stdin>", stdin=text)
    # Headers (what includes read) for all; sources only those compiled here.
    folder = tree.folder(_header_like)
    folder = tree.folder(lambda p: p == path).resolve()
    in_place = _holds(folder / path, text)
    setup = setup_for(path, folder, ctx.repo, settings.c)
    main, main_cxx = path, cxx
    header = PurePosixPath(path).suffix.lower() in _HEADERS
    alone = header
    if header and in_place:
        includer = _includer(tree, path, setup.known_files)
        alone = includer is None
        if includer is not None:
            tree.folder(lambda p: p == includer)
            main = includer
            main_cxx = PurePosixPath(includer).suffix.lower() in _CXX
            setup = setup_for(includer, folder, ctx.repo, settings.c)
            setup.source += f", through {includer}"
    arguments = ["-x", "c++" if main_cxx else "c"]
    if main_cxx and not any(f.startswith("-std=") for f in setup.flags):
        arguments.append("-std=c++17")
    arguments += setup.arguments()
    job = CompileJob(arguments, main_cxx, str(folder / path), str(folder))
    job.read_only = [str(folder), *setup.read_only]
    job.source = setup.source + (", the header alone" if alone else "")
    job.trusted = setup.own and not alone
    if in_place:
        job.main = str(folder / main)
        job.arguments.append(job.main)
    else:
        # The tree does not hold this text (a patch not applied here): the
        # headers beside where it would be are found as if it were there.
        where = (folder / path).parent
        job.arguments += ["-iquote", str(where if where.is_dir() else folder), "-"]
        job.target, job.stdin = "<stdin>", text
    return job


def _header_like(path: str) -> bool:
    return PurePosixPath(path).suffix.lower() in _INCLUDED


def _holds(file: Path, text: str) -> bool:
    try:
        return file.read_text(encoding="utf-8", errors="replace") == text
    except OSError:
        return False


_INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.MULTILINE)
_SOURCES = (".c", ".cc", ".cpp", ".cxx")


def _includer(tree: SourceTree, header: str, known: frozenset[str]) -> str | None:
    """A source file that includes ``header``: compiled, it shows the header's warnings.

    Preferred: one the compile database builds, then one beside the header,
    then the shortest path.
    """
    name = PurePosixPath(header).name
    pattern = r'^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"]*/)?' + re.escape(name)
    found: list[tuple[bool, bool, int, str]] = []
    for candidate, line in tree.grep_lines(pattern + '[>"]', _SOURCES):
        m = _INCLUDE.match(line)
        if m is None:
            continue
        value = m.group(1)
        beside = os.path.normpath(str(PurePosixPath(candidate).parent / value))
        if header in (beside, value) or header.endswith("/" + value):
            same = PurePosixPath(candidate).parent == PurePosixPath(header).parent
            found.append((candidate not in known, not same, len(candidate), candidate))
    return min(found)[3] if found else None


# --- running the compiler ------------------------------------------------------------

_JSON_UNSUPPORTED: set[str] = set()
"""Compilers (by path) that rejected ``-fdiagnostics-format=json``: gcc < 9, gcc 15, clang."""


def _compile(job: CompileJob) -> list[_Diag]:
    exe, json = _compiler(job)
    if json:
        command, read_only = _invocation(job, exe, json=True)
        stderr = _run(command, job, read_only)
        if not ("fdiagnostics-format" in stderr and not stderr.lstrip().startswith("[")):
            return _parse_json(stderr)
        _JSON_UNSUPPORTED.add(exe)
    command, read_only = _invocation(job, exe, json=False)
    return _parse_text(_run(command, job, read_only))


def _compiler(job: CompileJob) -> tuple[str, bool]:
    """The compiler's path, and whether it is known to write JSON diagnostics."""
    import shutil

    name = "g++" if job.cxx else "gcc"
    # Looked up where the sandbox looks: the compiler found must be one it can run.
    exe = shutil.which(name, path=sandbox_path())
    if exe is None:
        raise CheckNotRun(f"{name} is not installed")
    return exe, exe not in _JSON_UNSUPPORTED


def _invocation(job: CompileJob, exe: str, json: bool) -> tuple[list[str], list[str]]:
    """The command line and the folders it reads (real paths)."""
    options = ["-fsyntax-only", "-Wall", "-Wextra", "-Wno-unknown-pragmas"]
    # Real paths: the sandbox mounts a folder where it really is, not at a
    # symbolic link to it (the link may sit in a folder the sandbox covers).
    read_only = [os.path.realpath(p) for p in job.read_only]
    if job.cxx:
        from duckfix.hls_headers import hls_include

        # HLS kernels include ap_int.h / hls_stream.h: without the open headers
        # (the hls extra) every such file would only say "could not run".
        headers = hls_include()
        if headers:
            headers = os.path.realpath(headers)
            options += ["-isystem", headers]
            read_only.append(headers)
    json_format = ["-fdiagnostics-format=json"] if json else []
    return [exe, *json_format, *options, *job.arguments], read_only


def _run(command: list[str], job: CompileJob, read_only: list[str]) -> str:
    ahead = take(Compile(tuple(command), job.stdin, tuple(read_only)))
    if ahead is not None:  # a batch of many files ran it already
        return ahead
    done = run_sandboxed(command, job.stdin, what="the compiler", read_only=read_only, env=ENV)
    return done.stderr


def _parse_json(stderr: str) -> list[_Diag]:
    import json

    # gcc prints the JSON array on one line, maybe followed by "compilation terminated."
    start = stderr.find("[")
    if start < 0:
        return _parse_text(stderr)
    try:
        raw, _ = json.JSONDecoder().raw_decode(stderr, start)
    except json.JSONDecodeError:
        return _parse_text(stderr)
    out: list[_Diag] = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        locations = item.get("locations") or [{}]
        caret = locations[0].get("caret", {})
        line = caret.get("line")
        out.append(
            _Diag(
                str(caret.get("file", "<stdin>")),
                line if isinstance(line, int) else 0,
                str(item.get("kind", "")),
                str(item.get("message", "")),
                item.get("option"),
            )
        )
    return out


def _parse_text(stderr: str) -> list[_Diag]:
    out: list[_Diag] = []
    for raw in stderr.splitlines():
        m = _TEXT_DIAG.match(raw)
        if m:
            out.append(_Diag(m.group(1), int(m.group(2)), m.group(3), m.group(4), m.group(5)))
    return out
