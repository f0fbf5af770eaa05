"""Parsing a task's text: what Python's parsers cannot take becomes a one-line TaskError."""

from __future__ import annotations

import ast

import pytest

from duckfix.datasets.parsing import (
    MAX_AST_DEPTH,
    MAX_JSON_DEPTH,
    ast_depth,
    json_depth,
    json_lines,
    parse_python,
    parse_toml,
)
from duckfix.errors import TaskError


def test_a_plain_program_parses() -> None:
    tree = parse_python("p.py", "def f(x):\n    return [x + 1 for _ in range(3)]\n")
    assert isinstance(tree.body[0], ast.FunctionDef)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def f(x)\n    return x\n", r"^p\.py:1: syntax error"),
        ("x = 1\0\n", r"^p\.py(:1)?: syntax error"),
        ("x = " + "-" * 200_000 + "1\n", r"^p\.py: nested too deeply to parse"),
        ("x = 1" + "+1" * 300_000 + "\n", r"^p\.py: nested too deeply to parse"),
        ("x = 1" + "+1" * 900 + "\n", r"^p\.py:1: nested 903 levels deep, more than the 100"),
        ("x = " + "(" * 150 + "1" + ")" * 150 + "\n", None),
    ],
    ids=["syntax", "null-byte", "minus", "plus", "binops", "parentheses"],
)
def test_bad_python_is_refused_on_one_line(source: str, message: str | None) -> None:
    if message is None:  # parentheses alone add no depth to the tree
        parse_python("p.py", source)
        return
    with pytest.raises(TaskError, match=message) as caught:
        parse_python("p.py", source)
    assert "\n" not in str(caught.value)


def test_depth_is_counted_without_recursion() -> None:
    assert ast_depth(ast.parse("x = 1\n")) == (4, 1)  # Module > Assign > Name > Store
    terms = MAX_AST_DEPTH - 3  # Module > Assign > BinOp x terms > Constant or Add
    parse_python("p.py", "x = 1" + "+1" * terms + "\n")
    with pytest.raises(TaskError, match="levels deep"):
        parse_python("p.py", "x = 1" + "+1" * (terms + 1) + "\n")


def test_json_depth_numbers_and_errors() -> None:
    assert json_depth(1) == 0 and json_depth([[1], {"a": [2]}]) == 3
    ok = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert next(json_lines(f"# comment\n\n{ok}\n", "c.jsonl"))[0] == 3
    with pytest.raises(TaskError, match=r"^c\.jsonl:1: nested too deeply to parse"):
        list(json_lines("[" + ok + "]\n", "c.jsonl"))
    with pytest.raises(TaskError, match=r"^c\.jsonl:2: nested too deeply to parse"):
        list(json_lines("1\n" + "[" * 100_000 + "]" * 100_000, "c.jsonl"))
    with pytest.raises(TaskError, match=r"^c\.jsonl:1: a number with more than 4300 digits"):
        list(json_lines("[" + "9" * 5000 + "]", "c.jsonl"))
    with pytest.raises(TaskError, match=r"^c\.jsonl:1: not valid JSON"):
        list(json_lines("[1,", "c.jsonl"))


def test_toml_errors() -> None:
    assert parse_toml('id = "x"\n', "task.toml") == {"id": "x"}
    with pytest.raises(TaskError, match=r"^task\.toml: nested too deeply to parse"):
        parse_toml("x = " + "[" * 100_000 + "]" * 100_000, "task.toml")
    with pytest.raises(TaskError, match=r"^task\.toml: a number with more than 4300 digits"):
        parse_toml("x = " + "7" * 5000, "task.toml")
    with pytest.raises(TaskError, match=r"^task\.toml: not valid TOML"):
        parse_toml("x = ", "task.toml")
