"""GCC's warnings on the lines a diff adds to a C or C++ file.

The new file goes to ``gcc -fsyntax-only -Wall -Wextra -Wno-unknown-pragmas``
(``g++ -std=c++17`` for ``.cc``/``.cpp``/``.cxx``/``.hpp``/``.hh``, and for a ``.h``
that reads as C++) on stdin, with the file's folder, the repository's top folder
and its ``include/`` on the include path, and for C++ the ``ap_int`` /
``hls_stream`` headers when the ``hls`` extra provides them. Diagnostics come as
JSON (``-fdiagnostics-format=json``) or, from a compiler without it, as
``<stdin>:LINE:COL: kind: message [-Wflag]`` text.

The text is a patch's, and a patch names what the compiler reads
(``#include "/root/.ssh/id_rsa"``), so gcc runs in :mod:`duckfix.sandbox`: one run
per file, as an unprivileged uid, in an empty folder, seeing the repository
and the HLS headers read-only and of the host nothing else but the compiler.

Kept: warnings (``warning``) and errors (``error``) of the file itself on added
lines; notes are dropped. Category ``c/<flag without -W>`` (``c/unused-variable``)
or ``c/error``. When the file cannot be checked here, one ``note`` says why and
nothing else is reported: a header that is not found (nothing after it can be
compiled), or errors on lines the diff does not touch (the file needs build
flags this check does not have, so its errors would be guesses). A header
compiled on its own warns of ``#pragma once`` and of unused ``static``
definitions; those are dropped for headers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from duckfix.agents.review_checks.tool import ToolFailed, run_sandboxed, sandbox_path
from duckfix.config import ReviewSettings
from duckfix.models import Finding, Severity
from duckfix.patches import FileContext

__all__ = ["check"]


_C = {".c", ".h"}
_CXX = {".cc", ".cpp", ".cxx", ".hpp", ".hh", ".hxx"}
_HEADERS = {".h", ".hpp", ".hh", ".hxx"}
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
    """``<stdin>`` for the file itself, else the header the diagnostic is in."""
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
    if suffix not in _C | _CXX or ctx.new_text is None or change.binary or not added:
        return []
    cxx = suffix in _CXX or (suffix == ".h" and bool(_LOOKS_CXX.search(ctx.new_text)))
    first = min(added)
    try:
        diags = _compile(ctx.new_text, change.path, ctx.repo, cxx)
    except ToolFailed as exc:
        return [_note(change.path, first, str(exc))]
    fatal = next((d for d in diags if d.kind == "fatal error"), None)
    if fatal is not None:
        where = "line" if fatal.file == "<stdin>" else f"{fatal.file}, line"
        return [_note(change.path, first, f"{where} {fatal.line}: {fatal.message}")]
    diags = [d for d in diags if d.file == "<stdin>"]
    outside = next((d for d in diags if d.kind == "error" and d.line not in added), None)
    if outside is not None:
        return [
            _note(
                change.path,
                first,
                f"the file does not compile here without its build flags "
                f"(line {outside.line}: {outside.message})",
            )
        ]
    out: list[Finding] = []
    for d in diags:
        if d.line not in added or d.kind not in ("warning", "error"):
            continue
        if suffix in _HEADERS and _header_noise(d):
            continue
        name = (d.flag or "").removeprefix("-Werror=").removeprefix("-W") or (
            "error" if d.kind == "error" else "warning"
        )
        hint = next((h for key, h in _HINTS.items() if name.startswith(key)), None)
        severity: Severity = "error" if d.kind == "error" else "warning"
        message = f"{d.message} ({'g++' if cxx else 'gcc'}{f' {d.flag}' if d.flag else ''})"
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


def _note(path: str, line: int, why: str) -> Finding:
    return Finding(
        path=path,
        line=line,
        severity="note",
        category="c/not-checked",
        message=f"could not check with gcc: {why}",
    )


def _header_noise(d: _Diag) -> bool:
    """What a header compiled as a main file is warned about only because of that."""
    return "#pragma once in main file" in d.message or d.message.endswith("defined but not used")


# --- running the compiler ------------------------------------------------------------

_JSON_UNSUPPORTED: set[str] = set()
"""Compilers (by path) that rejected ``-fdiagnostics-format=json``: gcc < 9, gcc 15, clang."""


def _compile(text: str, path: str, repo: Path | None, cxx: bool) -> list[_Diag]:
    import os
    import shutil

    name = "g++" if cxx else "gcc"
    # Looked up where the sandbox looks: the compiler found must be one it can run.
    exe = shutil.which(name, path=sandbox_path())
    if exe is None:
        raise ToolFailed(f"{name} is not installed")
    command = [exe, "-fsyntax-only", "-Wall", "-Wextra", "-Wno-unknown-pragmas"]
    command += ["-x", "c++", "-std=c++17"] if cxx else ["-x", "c"]
    read_only: list[str] = []
    if repo is not None and repo.is_dir():
        # Real paths: the sandbox mounts a folder where it really is, not at a
        # symbolic link to it (the link may sit in a folder the sandbox covers).
        repo = repo.resolve()
        folder = (repo / path).parent
        folder = folder if folder.is_dir() else repo
        command += ["-iquote", str(folder), "-I", str(repo)]
        if (repo / "include").is_dir():
            command += ["-I", str(repo / "include")]
        read_only.append(str(repo))
    if cxx:
        from duckfix.hls_headers import hls_include

        # HLS kernels include ap_int.h / hls_stream.h: without the open headers
        # (the hls extra) every such file would only say "not checked".
        headers = hls_include()
        if headers:
            headers = os.path.realpath(headers)
            command += ["-isystem", headers]
            read_only.append(headers)
    if exe not in _JSON_UNSUPPORTED:
        stderr = _run([*command, "-fdiagnostics-format=json", "-"], text, read_only)
        if not ("fdiagnostics-format" in stderr and not stderr.lstrip().startswith("[")):
            return _parse_json(stderr)
        _JSON_UNSUPPORTED.add(exe)
    return _parse_text(_run([*command, "-"], text, read_only))


def _run(command: list[str], text: str, read_only: list[str]) -> str:
    # The C locale keeps gcc's messages in English with ASCII quotes.
    env = {"LC_ALL": "C"}
    return run_sandboxed(command, text, what="the compiler", read_only=read_only, env=env).stderr


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
