"""Parse the text of a task (Python, JSON lines, TOML) into values later stages can walk.

Python's parsers recurse: a source with 200,000 nested minus signs runs the
parser out of memory, 300,000 ``+1`` terms out of stack, and JSON or TOML
arrays nested 100,000 deep out of recursion; a JSON integer of 5,000 digits
is over Python's limit for reading one. Each is bad input, refused here with
a :class:`TaskError` naming the file, never a traceback.

What parses can still be too deep for what comes after: the localizer, the
patch templates, the reviewer and the dataset builder walk Python syntax
trees recursively, and a run's checkpoint packs the test cases with a
serializer that gives up past a few hundred levels. So a Python source whose
syntax tree nests deeper than :data:`MAX_AST_DEPTH`, or a JSON value deeper
than :data:`MAX_JSON_DEPTH`, is refused too. No hand-written module of the
standard library or of duckfix's dependencies nests deeper than 100 (the
deepest reach 60 to 70; only generated tables go further), and no test case
needs lists nested 100 deep.
"""

from __future__ import annotations

import ast
import json
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from duckfix.errors import TaskError

__all__ = [
    "MAX_AST_DEPTH",
    "MAX_JSON_DEPTH",
    "ast_depth",
    "check_syntax",
    "json_depth",
    "json_lines",
    "parse_python",
    "parse_toml",
]

MAX_AST_DEPTH = 100
"""Syntax-tree levels a Python source may nest (the module is level 1)."""
MAX_JSON_DEPTH = 100
"""Levels of arrays and objects a JSON value may nest (``[[1]]`` is 2)."""
_TOO_DEEP = "nested too deeply to parse"


def parse_python(path: Path | str, source: str) -> ast.Module:
    """The syntax tree of a Python source; a :class:`TaskError` naming the line when it is bad.

    Refused: a syntax error, a source nested too deeply for the parser, and
    one whose tree nests deeper than :data:`MAX_AST_DEPTH`.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        where = f"{path}:{exc.lineno}" if exc.lineno else f"{path}"
        raise TaskError(f"{where}: syntax error: {exc.msg}") from exc
    except (MemoryError, RecursionError) as exc:
        # CPython reports a parser stack overflow as MemoryError (3.11) or
        # RecursionError, depending on the shape of the nesting.
        raise TaskError(f"{path}: {_TOO_DEEP}; simplify its deepest expression") from exc
    depth, line = ast_depth(tree)
    if depth > MAX_AST_DEPTH:
        raise TaskError(
            f"{path}:{line}: nested {depth} levels deep, more than the {MAX_AST_DEPTH} "
            "duckfix can analyse; simplify the expression on that line"
        )
    return tree


def check_syntax(path: Path | str, source: str) -> None:
    """A Python file that does not parse, or nests too deeply, is bad input named with its line."""
    parse_python(path, source)


def ast_depth(tree: ast.AST) -> tuple[int, int]:
    """(levels of the deepest node, its line) without recursion; the root is level 1."""
    best, best_line = 0, 0
    stack: list[tuple[ast.AST, int, int]] = [(tree, 1, 0)]
    while stack:
        node, depth, line = stack.pop()
        line = getattr(node, "lineno", line)
        if depth > best:
            best, best_line = depth, line
        stack.extend((child, depth + 1, line) for child in ast.iter_child_nodes(node))
    return best, best_line


def json_depth(value: Any) -> int:
    """Levels of arrays and objects in a JSON value, without recursion (a scalar is 0)."""
    best = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, list | dict):
            depth += 1
            best = max(best, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth) for child in children)
    return best


def json_lines(text: str, path: Path | str, comments: bool = True) -> Iterator[tuple[int, Any]]:
    """(line number, value) of each non-blank line; ``#`` and ``//`` lines are comments."""
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or (comments and stripped.startswith(("#", "//"))):
            continue
        yield number, _json_value(stripped, f"{path}:{number}")


def _json_value(text: str, where: str) -> Any:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TaskError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from exc
    except RecursionError as exc:
        raise TaskError(f"{where}: {_TOO_DEEP}; {_json_hint()}") from exc
    except ValueError as exc:
        # The one other ValueError json raises: an integer over Python's digit limit.
        raise TaskError(f"{where}: {_big_number()}") from exc
    if json_depth(value) > MAX_JSON_DEPTH:
        raise TaskError(f"{where}: {_TOO_DEEP}; {_json_hint()}")
    return value


def _big_number() -> str:
    return f"a number with more than {sys.get_int_max_str_digits()} digits; write it as a string"


def _json_hint() -> str:
    return f"arrays and objects may nest at most {MAX_JSON_DEPTH} deep"


def parse_toml(text: str, path: Path | str) -> dict[str, Any]:
    """A TOML document; a :class:`TaskError` when it is not valid or nests too deeply."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TaskError(f"{path}: not valid TOML: {exc}") from exc
    except RecursionError as exc:
        raise TaskError(f"{path}: {_TOO_DEEP}; arrays and tables nest too deep") from exc
    except ValueError as exc:
        # The one other ValueError tomllib lets out: an integer over Python's digit limit.
        raise TaskError(f"{path}: {_big_number()}") from exc
