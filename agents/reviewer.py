"""The reviewer's patch check: is a plausible patch a fix, or does it game the visible tests?

A patch that passes the visible tests may still be wrong. Two kinds of wrong are
cheap to see in the source alone, without running anything:

- it special-cases the tests: a new comparison of a parameter with a visible
  test input (``if x == 7:``), a new ``return`` of a visible expected output
  (``return 42``), or a new table of the visible cases' inputs and outputs;
- it deletes the behaviour under test: the entry point disappears, is defined a
  second time (a wrapper), shrinks to ``pass`` / ``return <constant>`` / ``raise``,
  or loses more than half of its statements.

Only what the patch *adds* is examined: statements are compared per scope by a
shallow ``ast.dump`` (nested bodies left out), so an edit inside a loop flags the
edited statement, not the loop around it. A rejection of a real fix costs more
than a missed overfit (the hidden tests still judge the patch), so each rule
stays narrow.
"""

from __future__ import annotations

import ast
import copy
import difflib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from duckfix.agents.regions import WHOLE_FILE_CHARS, around
from duckfix.agents.templates.candidate import changed_span
from duckfix.models import Task

__all__ = ["PatchReview", "review_patch"]

Key = tuple[object, ...]
"""A literal value made hashable and comparable the way the test harness compares."""

_SHOW = 60  # characters of source quoted in a reason


class PatchReview(BaseModel):
    """The reviewer's verdict on one plausible patch."""

    verdict: Literal["accept", "reject"]
    reasons: list[str]
    """Why, in plain words, each naming the line; empty when accepted."""
    notes: list[str] = []
    """What was seen but not acted on (an ungrounded model objection, a model error)."""
    objected: bool = False
    """The model objected, on grounds not acted on: it did not accept the patch either."""


def review_patch(task: Task, before: dict[str, str], after: dict[str, str]) -> PatchReview:
    """Accept ``after`` as a fix of ``before``, or reject it with the reasons.

    ``before`` and ``after`` map run-layout paths to the source of the program's
    files. Only Python is examined; other languages are accepted unseen.
    """
    if task.language != "python":
        return PatchReview(verdict="accept", reasons=[])
    before, after = _views(task, before, after)
    tests = _visible_literals(task)
    vocabulary: set[Key] = set()
    for path, source in before.items():
        tree = _parse(source) if path.endswith(".py") else None
        if tree is not None:
            vocabulary |= _program_literals(tree)
    reasons: list[str] = []
    for path in sorted(after):
        new = after[path]
        if not path.endswith(".py") or before.get(path) == new:
            continue
        after_tree = _parse(new)
        if after_tree is None:
            reasons.append(f"{path} no longer parses as Python")
            continue
        before_tree = _parse(before.get(path, "")) or ast.Module(body=[], type_ignores=[])
        before_statements = _statements(before_tree)
        check = _FileCheck(path, new, tests, vocabulary, _labels(before_statements))
        for scope, stmt, params in _added_statements(before_statements, after_tree):
            check.statement(scope, stmt, params)
        reasons.extend(check.reasons)
    reasons.extend(_entry_point_reasons(task, before, after))
    unique = list(dict.fromkeys(reasons))
    return PatchReview(verdict="reject" if unique else "accept", reasons=unique)


# ----- large files -----

_ENTRY_LINES = 50
"""Top-level lines naming the entry point kept in a large file's view, at most."""


def _views(
    task: Task, before: dict[str, str], after: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """``before`` and ``after`` with each large file cut to the code the review reads.

    A large Python file (see :mod:`duckfix.agents.regions`) keeps the code
    around the lines the patch changes and the top-level lines that name the
    entry point; the rest is blanked, so line numbers stay. Small files are
    read whole, as they always were.
    """
    old_view, new_view = dict(before), dict(after)
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path), after.get(path)
        if not path.endswith(".py") or max(len(old or ""), len(new or "")) <= WHOLE_FILE_CHARS:
            continue
        named = _naming_lines(old or "", task.entry_point) if path == task.program else []
        if old is not None and new is not None and old != new:
            start, end, replacement = changed_span(old, new)
            first = old.count("\n", 0, start) + 1
            old_lines = [first, old.count("\n", 0, end) + 1]
            new_lines = [first, first + replacement.count("\n")]
            new_named = _naming_lines(new, task.entry_point) if path == task.program else []
            old_view[path] = around(old, [*old_lines, *named])
            new_view[path] = around(new, [*new_lines, *new_named])
        elif old is not None:
            old_view[path] = around(old, named)
            if new is not None:
                new_view[path] = old_view[path]
        else:
            assert new is not None
            new_view[path] = around(new, [])
    return old_view, new_view


def _naming_lines(source: str, name: str) -> list[int]:
    """Lines (1-based) at column 0 that name ``name``: its top-level bindings among them."""
    word = re.compile(rf"^(?=\S).*\b{re.escape(name)}\b", re.MULTILINE)
    found = []
    for match in word.finditer(source):
        found.append(source.count("\n", 0, match.start()) + 1)
        if len(found) >= _ENTRY_LINES:
            break
    return found


# ----- literal values -----

# 0, 1, -1, True, False, None, "" and empty containers turn up in every program
# (counters, sentinels, base cases) and in many tests; a patch that compares with
# or returns one of them says nothing about memorised tests. They still count
# inside a larger literal: `[0, 1]` or `(0, 1, 0)` is specific enough.
_COMMON: frozenset[Key] = frozenset(
    {("n", 0), ("n", 1), ("n", -1), ("c", True), ("c", False), ("c", None), ("s", "")}
)


def _key(value: object, into: set[Key] | None = None) -> Key:
    """The comparable form of ``value``; with ``into``, collect every nested value's too."""
    key: Key
    if value is None or isinstance(value, bool):
        key = ("c", value)  # before int: True must not match the number 1
    elif isinstance(value, int | float):
        key = ("n", value)
    elif isinstance(value, str):
        key = ("s", value)
    elif isinstance(value, list | tuple):
        # The harness turns tuples into lists, so (3, 4) and [3, 4] are one value.
        key = ("l", tuple(_key(v, into) for v in value))
    elif isinstance(value, set | frozenset):
        key = ("l", tuple(sorted((_key(v, into) for v in value), key=repr)))
    elif isinstance(value, dict):
        pairs = ((_key(k, into), _key(v, into)) for k, v in value.items())
        key = ("d", frozenset(pairs))
    else:
        key = ("o", repr(value))
    if into is not None:
        into.add(key)
    return key


def _distinctive(key: Key) -> bool:
    """Whether a value is specific enough to be taken from a test, not from habit."""
    if key[0] == "l":
        items = key[1]
        assert isinstance(items, tuple)
        return len(items) >= 2 or any(_distinctive(i) for i in items)
    if key[0] == "d":
        return bool(key[1])
    return key not in _COMMON


_NO_VALUE = object()
_ARITHMETIC: dict[type[ast.operator], Callable[[Any, Any], object]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Div: lambda a, b: a / b,
    ast.Mod: lambda a, b: a % b,
}


def _constant(node: ast.AST) -> object:
    """The value of a literal or an expression of literals (``6 * 7``), else ``_NO_VALUE``."""
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        left, right = _constant(node.left), _constant(node.right)
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (left, right))
        texts = isinstance(node.op, ast.Add) and all(isinstance(v, str) for v in (left, right))
        if numbers or texts:
            try:
                return _ARITHMETIC[type(node.op)](left, right)
            except (ArithmeticError, ValueError):
                return _NO_VALUE
    return _NO_VALUE


def _decoded(text: str) -> object:
    """A string that holds a container literal (JSON or Python), decoded; else ``_NO_VALUE``.

    A memoiser can hide its table in a string, e.g. ``json.loads('[[[3], 9]]')``.
    """
    text = text.strip()
    if len(text) < 2 or text[0] not in "[{(":
        return _NO_VALUE
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NO_VALUE


def _container_literals(node: ast.AST) -> Iterator[tuple[ast.AST, object]]:
    """The outermost literal containers under ``node``, and strings that decode to one."""
    if isinstance(node, ast.List | ast.Tuple | ast.Set | ast.Dict):
        value = _constant(node)
        if value is not _NO_VALUE:
            yield node, value
            return
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        value = _decoded(node.value)
        if isinstance(value, list | tuple | dict):
            yield node, value
        return
    for child in ast.iter_child_nodes(node):
        yield from _container_literals(child)


def _program_literals(tree: ast.AST) -> set[Key]:
    """Every literal value in a program, nested values included: its own vocabulary."""
    keys: set[Key] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant):
            _key(node.value, keys)
            if isinstance(node.value, str) and (decoded := _decoded(node.value)) is not _NO_VALUE:
                _key(decoded, keys)
        elif isinstance(node, ast.List | ast.Tuple | ast.Set | ast.Dict | ast.UnaryOp):
            value = _constant(node)
            if value is not _NO_VALUE:
                _key(value, keys)
    return keys


# ----- the visible tests -----


@dataclass
class _Case:
    label: str
    args: set[Key]
    """The whole argument list and each argument, when distinctive."""
    expected: Key


@dataclass
class _Tests:
    """What the visible tests show a patch: input values and expected outputs."""

    inputs: dict[Key, str] = field(default_factory=dict)
    """Each distinctive input value (nested ones too) -> the first test that uses it."""
    expected: dict[Key, str] = field(default_factory=dict)
    """Each distinctive expected output -> the first test that expects it."""
    cases: list[_Case] = field(default_factory=list)


def _visible_literals(task: Task) -> _Tests:
    tests = _Tests()
    for number, case in enumerate(task.visible.cases, 1):
        label = case.name or f"case {number}"
        nested: set[Key] = set()
        whole = _key(case.args, nested)
        for key in nested:
            if _distinctive(key):
                tests.inputs.setdefault(key, label)
        expected = _key(case.expected)
        if _distinctive(expected):
            tests.expected.setdefault(expected, label)
        args = {whole, *(_key(a) for a in case.args)}
        tests.cases.append(_Case(label, {k for k in args if _distinctive(k)}, expected))
    for path, text in sorted(task.visible.pytest_files.items()):
        tree = _parse(text)
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant | ast.List | ast.Tuple | ast.Set | ast.Dict):
                value = _constant(node)
                nested = set()
                if value is not _NO_VALUE:
                    _key(value, nested)
                for key in nested:
                    if _distinctive(key):
                        tests.inputs.setdefault(key, path)
            elif isinstance(node, ast.Assert) and isinstance(node.test, ast.Compare):
                # `assert f(x) == 42`: the literal side is an expected output.
                for operand in (node.test.left, *node.test.comparators):
                    value = _constant(operand)
                    if value is not _NO_VALUE and _distinctive(key := _key(value)):
                        tests.expected.setdefault(key, path)
    return tests


# ----- what the patch adds -----


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return None


_BODY_TYPES = (ast.stmt, ast.excepthandler, ast.match_case)


def _is_body(value: object) -> bool:
    return isinstance(value, list) and bool(value) and isinstance(value[0], _BODY_TYPES)


def _shallow(stmt: ast.stmt) -> str:
    """``ast.dump`` of a statement without the statements nested in it."""
    clone = copy.copy(stmt)
    for name, value in ast.iter_fields(stmt):
        if _is_body(value):
            assert isinstance(value, list)
            if isinstance(value[0], ast.match_case):
                # Keep the patterns: `case 7:` is part of the match, not of its body.
                value = [ast.match_case(c.pattern, c.guard, []) for c in value]
            else:
                value = []
            setattr(clone, name, value)
    return ast.dump(clone)


def _own_nodes(stmt: ast.stmt) -> Iterator[ast.AST]:
    """The expressions (and match patterns) of a statement, not of the statements inside it."""
    for _, value in ast.iter_fields(stmt):
        if _is_body(value):
            assert isinstance(value, list)
            for case in value:
                if isinstance(case, ast.match_case):
                    yield from ast.walk(case.pattern)
                    if case.guard is not None:
                        yield from ast.walk(case.guard)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, ast.AST):
                    yield from ast.walk(item)
        elif isinstance(value, ast.AST):
            yield from ast.walk(value)


Statements = dict[str, list[tuple[ast.stmt, frozenset[str]]]]
"""Scope (qualified name) -> its statements, each with the parameters it can see."""


def _statements(tree: ast.Module) -> Statements:
    """Every statement of a module by the scope it runs in, with the parameters it can see."""
    out: Statements = {}

    def visit(body: list[ast.stmt], scope: str, params: frozenset[str]) -> None:
        for stmt in body:
            out.setdefault(scope, []).append((stmt, params))
            inner, inner_params = scope, params
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                inner = f"{scope}.{stmt.name}"
                if not isinstance(stmt, ast.ClassDef):
                    a = stmt.args
                    names = [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]
                    inner_params = params | {n.arg for n in names if n is not None}
            for _, value in ast.iter_fields(stmt):
                if not _is_body(value):
                    continue
                assert isinstance(value, list)
                for item in value:
                    if isinstance(item, ast.stmt):
                        visit([item], inner, inner_params)
                    elif isinstance(item, ast.ExceptHandler | ast.match_case):
                        visit(item.body, inner, inner_params)

    visit(tree.body, "", frozenset())
    return out


def _added_statements(
    before: Statements, after: ast.Module
) -> Iterator[tuple[str, ast.stmt, frozenset[str] | None]]:
    """Statements of ``after`` with no identical counterpart in the same scope of ``before``.

    Each comes with its scope and the parameters it can see (``None`` at module
    level, where any name may be compared).
    """
    old = {scope: Counter(_shallow(s) for s, _ in stmts) for scope, stmts in before.items()}
    for scope, stmts in _statements(after).items():
        seen = old.get(scope, Counter())
        for stmt, params in stmts:
            dump = _shallow(stmt)
            if seen[dump] > 0:
                seen[dump] -= 1
            else:
                yield scope, stmt, (params if scope else None)


def _labels(statements: Statements) -> dict[str, set[object]]:
    """Per scope, the kinds (number, string) of distinctive constants its returns give."""
    out: dict[str, set[object]] = {}
    for scope, stmts in statements.items():
        for stmt, _ in stmts:
            if isinstance(stmt, ast.Return) and stmt.value is not None:
                value = _constant(stmt.value)
                if value is not _NO_VALUE and _distinctive(key := _key(value)):
                    out.setdefault(scope, set()).add(key[0])
    return out


_EQUALITY = (ast.Eq, ast.NotEq, ast.In, ast.NotIn, ast.Is, ast.IsNot)
_CONVERSIONS = frozenset({"list", "tuple", "str", "repr", "sorted", "set", "frozenset", "dict"})


def _is_variable(node: ast.AST, params: frozenset[str] | None) -> bool:
    """A parameter, or something made of parameters only (``self.key``, ``(a, b)``, ``list(args)``).

    Loop variables and locals are left out: genuine fixes compare them with
    literals all the time (``if ch == "("``), memoisers compare the inputs.
    """
    if isinstance(node, ast.Name):
        return params is None or node.id in params
    if isinstance(node, ast.Attribute | ast.Starred):
        return _is_variable(node.value, params)
    if isinstance(node, ast.Tuple | ast.List):
        return bool(node.elts) and all(_is_variable(e, params) for e in node.elts)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _CONVERSIONS
        and len(node.args) == 1
        and not node.keywords
    ):
        return _is_variable(node.args[0], params)
    return False


class _FileCheck:
    """The special-casing rules, applied to the added statements of one file."""

    def __init__(
        self,
        path: str,
        source: str,
        tests: _Tests,
        vocabulary: set[Key],
        labels: Mapping[str, set[object]],
    ) -> None:
        self.path = path
        self.source = source
        self.tests = tests
        self.vocabulary = vocabulary
        self.labels = labels
        self.reasons: list[str] = []

    def show(self, node: ast.AST) -> str:
        text = ast.get_source_segment(self.source, node) or ast.unparse(node)
        text = " ".join(text.split())
        return text if len(text) <= _SHOW else text[: _SHOW - 3] + "..."

    def from_tests(self, key: Key, table: Mapping[Key, str]) -> str | None:
        """The test a value was taken from, unless the program already used that value."""
        # A value the program held before the patch belongs to the algorithm (the 2
        # of `range(2, n)`, a table's existing key), so a fix reusing it is not
        # evidence of copying from the tests, even when a test happens to use it.
        if not _distinctive(key) or key in self.vocabulary:
            return None
        return table.get(key)

    def statement(self, scope: str, stmt: ast.stmt, params: frozenset[str] | None) -> None:
        """Check one added statement: its comparisons, its return value, its literals."""
        nodes = list(_own_nodes(stmt))
        subject = stmt.subject if isinstance(stmt, ast.Match) else None
        for node in nodes:
            if isinstance(node, ast.Compare):
                self.comparison(node, params)
            elif isinstance(node, ast.MatchValue) and subject and _is_variable(subject, params):
                self.compared(node, subject, node.value, in_container=False)
        if isinstance(stmt, ast.Return) and stmt.value is not None:
            value = _constant(stmt.value)
            key = _key(value) if value is not _NO_VALUE else None
            # A function that already returns labels ("Fizz", "Buzz") may gain a
            # branch returning another ("FizzBuzz"): a missing case, not a memorised one.
            label = (
                key is not None and key[0] in ("n", "s") and key[0] in self.labels.get(scope, ())
            )
            if key is not None and not label:
                test = self.from_tests(key, self.tests.expected)
                if test is not None:
                    self.reasons.append(
                        f"{self.path} line {stmt.lineno}: `{self.show(stmt)}` returns a constant "
                        f"that is the expected output of the visible test {test}, "
                        "instead of computing it"
                    )
        for expr in (n for n in ast.iter_child_nodes(stmt) if isinstance(n, ast.expr)):
            for node, value in _container_literals(expr):
                self.table(stmt, node, value)

    def comparison(self, node: ast.Compare, params: frozenset[str] | None) -> None:
        operands = [node.left, *node.comparators]
        for i, op in enumerate(node.ops):
            if not isinstance(op, _EQUALITY):
                continue
            a, b = operands[i], operands[i + 1]
            within = isinstance(op, ast.In | ast.NotIn)
            if _is_variable(a, params):
                self.compared(node, a, b, in_container=within)
            elif _is_variable(b, params) and not within:
                self.compared(node, b, a, in_container=False)

    def compared(
        self, node: ast.AST, variable: ast.AST, literal: ast.AST, *, in_container: bool
    ) -> None:
        value = _constant(literal)
        if value is _NO_VALUE:
            return
        candidates = [value]
        if in_container and isinstance(value, list | tuple | set | frozenset):
            candidates.extend(value)  # `x in (7, 8)` tests x against 7 and 8
        for candidate in candidates:
            test = self.from_tests(_key(candidate), self.tests.inputs)
            if test is not None:
                line = getattr(node, "lineno", 0)
                self.reasons.append(
                    f"{self.path} line {line}: `{self.show(node)}` special-cases "
                    f"`{self.show(variable)}` against {_show_value(candidate)}, an input of "
                    f"the visible test {test}"
                )
                return

    def table(self, stmt: ast.stmt, node: ast.AST, value: object) -> None:
        """Reject a new literal that tabulates the visible cases' inputs and outputs."""
        nested: set[Key] = set()
        _key(value, nested)
        new = nested - self.vocabulary
        items = len(value) if isinstance(value, list | tuple | dict) else 1
        # A case counts when the table holds its expected output and a newly
        # written input of it: a table the program already had (a Roman
        # numeral list, say) may gain an output, but its keys were there before.
        matched = [
            case
            for case in self.tests.cases
            if case.expected in nested and any(k in new for k in case.args)
        ]
        cases = len(self.tests.cases)
        if matched and len(matched) >= min(2, cases) and 2 * len(matched) >= min(items, cases):
            self.reasons.append(
                f"{self.path} line {stmt.lineno}: `{self.show(node)}` is a table of the visible "
                f"tests' inputs and expected outputs ({len(matched)} of {cases} cases)"
            )
            return
        outputs = [k for k in self.tests.expected if k in new]
        if len(outputs) >= 3 and 2 * len(outputs) >= items:
            self.reasons.append(
                f"{self.path} line {stmt.lineno}: `{self.show(node)}` is a table of "
                f"{len(outputs)} expected outputs of the visible tests"
            )


def _show_value(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _SHOW else text[: _SHOW - 3] + "..."


# ----- the entry point -----


def _bindings(tree: ast.Module, name: str) -> list[ast.stmt]:
    """The top-level statements that bind ``name``: def, class, assignment or import."""
    found: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name == name:
                found.append(node)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
            if name in names:
                found.append(node)
        elif isinstance(node, ast.Import | ast.ImportFrom) and any(
            (a.asname or a.name.split(".")[0]) == name for a in node.names
        ):
            found.append(node)
    return found


Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def _body(node: Definition) -> list[ast.stmt]:
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    return body


def _trivial(node: Definition) -> bool:
    """Whether a definition does nothing: only ``pass``, ``...``, ``return <constant>``, raise."""
    if isinstance(node, ast.ClassDef):
        methods = [n for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        return all(_trivial(m) for m in methods)
    for stmt in _body(node):
        if isinstance(stmt, ast.Pass | ast.Raise):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue
        if isinstance(stmt, ast.Return) and (
            stmt.value is None or _constant(stmt.value) is not _NO_VALUE
        ):
            continue
        return False
    return True


def _shape(node: ast.AST) -> list[str]:
    """The statement kinds under a definition in source order, nested ones included."""
    out: list[str] = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.stmt):
            out.append(type(child).__name__)
        out.extend(_shape(child))
    return out


def _entry_point_reasons(task: Task, before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Whether the patch deletes, replaces or guts the function (or class) under test."""
    path, name = task.program, task.entry_point
    old_tree = _parse(before.get(path, ""))
    if old_tree is None or not (old := _bindings(old_tree, name)):
        return []  # nothing to compare with
    if path not in after:
        return [f"the patch deletes {path}, which holds `{name}`"]
    new_tree = _parse(after[path])
    if new_tree is None:
        return []  # reported with the file's other problems
    new = _bindings(new_tree, name)
    if not new:
        return [f"{path}: `{name}` is no longer defined, so the behaviour under test is gone"]
    if len(new) > len(old):
        first, last = new[0], new[-1]
        return [
            f"{path} line {last.lineno}: `{name}` is defined again after line {first.lineno}, "
            "so the tests call the new definition instead of a fixed original"
        ]
    was, now = old[-1], new[-1]
    if not isinstance(was, Definition):
        return []
    if not isinstance(now, Definition):
        return [
            f"{path} line {now.lineno}: `{name}` is now bound to "
            f"`{ast.unparse(now)[:_SHOW]}` instead of being defined"
        ]
    if _trivial(now) and not _trivial(was):
        body = "; ".join(ast.unparse(s) for s in _body(now)) or "nothing"
        return [
            f"{path} line {now.lineno}: `{name}` now only does `{body[:_SHOW]}`, "
            "so the behaviour under test is gone"
        ]
    old_shape, new_shape = _shape(was), _shape(now)
    matcher = difflib.SequenceMatcher(None, old_shape, new_shape, autojunk=False)
    kept = sum(block.size for block in matcher.get_matching_blocks())
    removed = len(old_shape) - kept
    if old_shape and removed * 2 > len(old_shape):
        return [
            f"{path} line {now.lineno}: the patch removes {removed} of the "
            f"{len(old_shape)} statements of `{name}`"
        ]
    return []
