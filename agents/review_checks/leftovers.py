"""Debugging aids and focused or skipped tests left in the lines a diff adds.

The language comes from the file extension. Rules (category ``leftovers/<rule>``):

- ``debugger`` (error): Python ``breakpoint()``, ``import pdb``/``ipdb``/``pudb``,
  ``pdb.set_trace()``; JavaScript/TypeScript ``debugger;``.
- ``debug-print`` (warning): a Python ``print(`` that looks like debugging
  (``print("DEBUG ...``, ``print(f"{x=}")``, ``print(repr(...``, ``print("here")``,
  or a ``# debug`` comment on the line), outside test files, because ``print`` is
  how a CLI talks; C ``printf("DEBUG``/``fprintf(stderr, "DEBUG``; JavaScript
  ``console.log(``/``console.debug(``.
- ``focused-test`` (error): ``it.only(``, ``describe.only(``, ``test.only(``, and
  in test files Jasmine's ``fit(``/``fdescribe(``: the rest of the suite stops running.
- ``skipped-test`` (warning): ``@pytest.mark.skip`` or ``@unittest.skip`` without
  a reason; in test files ``xit(``/``xdescribe(``.

A match counts only where it starts in code: comments and string literals are
told apart line by line (with triple-quoted strings, block comments and template
literals followed across lines), a heuristic rather than a tokenizer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

from duckfix.findings import Finding, Severity
from duckfix.patches import FileContext
from duckfix.review_settings import ReviewSettings

__all__ = ["check"]

Lang = Literal["python", "c", "js"]

_LANGS: dict[str, Lang] = {
    **dict.fromkeys((".py", ".pyi", ".pyw"), "python"),
    **dict.fromkeys((".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh", ".hxx"), "c"),
    **dict.fromkeys((".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts"), "js"),
}


@dataclass(frozen=True, slots=True)
class _Rule:
    pattern: re.Pattern[str]
    severity: Severity
    rule: str
    message: str
    files: Literal["any", "tests", "non-tests"] = "any"


_JS = r"(?<![\w$.])"
_RULES: dict[Lang, list[_Rule]] = {
    "python": [
        _Rule(re.compile(r"(?<![\w.])breakpoint\s*\(\s*\)"), "error", "debugger",
              "breakpoint() left in: remove it, it stops the program waiting for a debugger"),
        _Rule(re.compile(r"^\s*(?:import|from)\s+(?:i?pdb|pudb)\b"), "error", "debugger",
              "debugger import left in: remove it together with its set_trace() call"),
        _Rule(re.compile(r"(?<![\w.])(?:i?pdb|pudb|pytest)\.set_trace\s*\("), "error", "debugger",
              "set_trace() left in: remove it, it stops the program waiting for a debugger"),
        _Rule(re.compile(r"^\s*@pytest\.mark\.skip\s*(?:\(\s*\))?\s*(?:#.*)?$"), "warning",
              "skipped-test",
              "test skipped without a reason: give one (@pytest.mark.skip(reason=...)) or "
              "drop the marker"),
        _Rule(re.compile(r"""^\s*@unittest\.skip\s*(?:\(\s*(?:""|'')?\s*\))?\s*(?:#.*)?$"""),
              "warning", "skipped-test",
              "test skipped without a reason: give one (@unittest.skip(\"why\")) or drop it"),
    ],
    "c": [
        _Rule(re.compile(r'(?<![\w.>])printf\s*\(\s*"(?i:debug)'), "warning", "debug-print",
              "debug printf left in: remove it, or use the project's logging"),
        _Rule(re.compile(r'(?<![\w.>])fprintf\s*\(\s*stderr\s*,\s*"(?i:debug)'), "warning",
              "debug-print", "debug fprintf left in: remove it, or use the project's logging"),
    ],
    "js": [
        _Rule(re.compile(_JS + r"debugger\s*(?:;|$)"), "error", "debugger",
              "debugger statement left in: remove it"),
        _Rule(re.compile(_JS + r"console\.(?:log|debug)\s*\("), "warning", "debug-print",
              "console.log left in: remove it, or use the project's logger"),
        _Rule(re.compile(_JS + r"(?:it|describe|test|context|suite)\.only\s*\("), "error",
              "focused-test", ".only() runs this test alone and silently skips the rest: "
              "remove .only"),
        _Rule(re.compile(_JS + r"(?:fit|fdescribe)\s*\("), "error", "focused-test",
              "focused test (fit/fdescribe) skips every other test: use it/describe", "tests"),
        _Rule(re.compile(_JS + r"(?:xit|xdescribe)\s*\("), "warning", "skipped-test",
              "test skipped with xit/xdescribe and no reason: re-enable it, or say why in a "
              "comment and track it", "tests"),
    ],
}  # fmt: skip

_PRINT = re.compile(r"(?<![\w.])print\s*\(")
_DEBUG_ARGS = re.compile(
    r"""\s*(?:
        [rRbBfFuU]{0,2}["'](?i:debug)             # print("DEBUG ...")
      | [rR]?[fF][rR]?["'][^"']*\{[^{}]*?=\s*(?:![rsa])?\s*(?::[^{}]*)?\}   # print(f"{x=}")
      | repr\s*\(                                 # print(repr(x))
      | ["'](?i:here)!*["']                        # print("here")
    )""",
    re.VERBOSE,
)
_DEBUG_COMMENT = re.compile(r"#\s*debug\b", re.IGNORECASE)
_PRINT_MESSAGE = "debug print left in: remove it, or log it with the logging module"


def check(ctx: FileContext, settings: ReviewSettings) -> list[Finding]:
    """Debuggers, debug prints, and focused or reason-less skipped tests on added lines."""
    change = ctx.change
    lang = _LANGS.get(PurePosixPath(change.path).suffix.lower())
    if lang is None or change.binary or change.status == "deleted":
        return []
    is_test = _is_test_file(change.path, lang)
    masks = _masks(ctx, lang)
    out: list[Finding] = []
    for line, text in change.added_lines.items():
        mask = masks.get(line) or _scan([text], lang)[0]
        seen: set[str] = set()
        for rule in _RULES[lang]:
            if rule.rule in seen or (rule.files == "tests" and not is_test):
                continue
            if any(mask[m.start()] == "c" for m in rule.pattern.finditer(text)):
                seen.add(rule.rule)
                out.append(_finding(change.path, line, rule.severity, rule.rule, rule.message))
        if lang == "python" and not is_test and _python_debug_print(text, mask):
            out.append(_finding(change.path, line, "warning", "debug-print", _PRINT_MESSAGE))
    return out


def _finding(path: str, line: int, severity: Severity, rule: str, message: str) -> Finding:
    return Finding(
        path=path, line=line, severity=severity, category=f"leftovers/{rule}", message=message
    )


def _python_debug_print(text: str, mask: str) -> bool:
    """A ``print(`` call in code whose arguments or comment say it is for debugging."""
    for m in _PRINT.finditer(text):
        if mask[m.start()] != "c":
            continue
        if _DEBUG_ARGS.match(text, m.end()):
            return True
        comment = mask.find("#")
        if comment >= 0 and _DEBUG_COMMENT.match(text, comment):
            return True
    return False


def _is_test_file(path: str, lang: Lang) -> bool:
    p = PurePosixPath(path)
    dirs = {part.lower() for part in p.parts[:-1]}
    if lang == "python":
        return (
            p.name.startswith("test_")
            or p.name.endswith("_test.py")
            or p.name == "conftest.py"
            or bool(dirs & {"test", "tests", "testing"})
        )
    return (
        ".test." in p.name
        or ".spec." in p.name
        or bool(dirs & {"test", "tests", "__tests__", "spec", "specs"})
    )


# --- telling code from comments and strings ------------------------------------------


def _masks(ctx: FileContext, lang: Lang) -> dict[int, str]:
    """New line number -> a mask of that line: ``c`` code, ``s`` string, ``#`` comment.

    Scanned over the whole new file when it is known and agrees with the diff (so a
    docstring opened above the hunk is seen), else over each hunk's new side.
    """
    added = ctx.change.added_lines
    if ctx.new_text is not None:
        lines = [line.rstrip("\r") for line in ctx.new_text.split("\n")]
        if all(0 < n <= len(lines) and lines[n - 1] == text for n, text in added.items()):
            return dict(enumerate(_scan(lines, lang), 1))
    masks: dict[int, str] = {}
    for hunk in ctx.change.hunks:
        shown = [(ln.new, ln.text) for ln in hunk.lines if ln.new is not None]
        scanned = _scan([text for _, text in shown], lang)
        masks.update((number, mask) for (number, _), mask in zip(shown, scanned, strict=True))
    return masks


def _scan(lines: list[str], lang: Lang) -> list[str]:
    """One mask per line (see :func:`_masks`), carrying open strings and comments on."""
    quotes = "\"'`" if lang == "js" else "\"'"
    state: str | None = None  # the text that closes what is open: a quote, ``*/``
    out: list[str] = []
    for line in lines:
        mask: list[str] = []
        i, n = 0, len(line)
        while i < n:
            if state is None:
                if (lang == "python" and line[i] == "#") or (
                    lang != "python" and line.startswith("//", i)
                ):
                    mask += "#" * (n - i)
                    break
                if lang != "python" and line.startswith("/*", i):
                    state, width, kind = "*/", 2, "#"
                elif lang == "python" and line.startswith(('"""', "'''"), i):
                    state, width, kind = line[i : i + 3], 3, "s"
                elif line[i] in quotes:
                    state, width, kind = line[i], 1, "s"
                else:
                    width, kind = 1, "c"
            else:
                kind = "#" if state == "*/" else "s"
                if kind == "s" and line[i] == "\\":
                    width = 2
                elif line.startswith(state, i):
                    width, state = len(state), None
                else:
                    width = 1
            mask += kind * width
            i += width
        if state in ('"', "'"):  # a one-line string does not carry on to the next line
            state = None
        out.append("".join(mask)[:n])
    return out
