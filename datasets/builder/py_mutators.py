"""Python mutators: every candidate bug the builder can inject into a correct program.

Sites are found with :mod:`ast`; a mutant replaces one span of the text, with
character offsets computed from the nodes' UTF-8 byte columns, so everything
outside the span (comments, spacing, quotes) keeps its form.

| category | mutator | what it does |
| --- | --- | --- |
| off-by-one | range_bounds | ``range`` start / stop ``b`` -> ``b + 1`` / ``b - 1`` |
| | | (``n - 1`` -> ``n`` / ``n - 2``: a constant term is folded) |
| off-by-one | index_shift | ``a[i]`` -> ``a[i + 1]`` / ``a[i - 1]``; not string keys, not dicts |
| off-by-one | slice_bounds | a slice's lower or upper bound moved by one |
| off-by-one | len_bound | ``len(x)`` compared -> ``len(x) - 1`` |
| wrong-operator | binary_operator | ``+`` <-> ``-``, ``*`` -> ``/`` ``+``, ``//`` -> ``/`` ``%``, |
| | | ``%`` -> ``//``, ``**`` -> ``*``, ``<<`` <-> ``>>``, bitwise and / or / xor |
| wrong-operator | boolean_operator | ``and`` <-> ``or``, one occurrence at a time |
| wrong-operator | augmented_operator | ``+=`` <-> ``-=``, ``*=`` -> ``/=`` ``+=``, ... |
| wrong-operator | not_removed | ``not x`` -> ``x`` |
| wrong-comparison | comparison | ``<`` -> ``<=`` ``>``, ``==`` <-> ``!=``, ``is`` <-> ``is not``, |
| | | ``in`` <-> ``not in`` |
| wrong-variable | variable | a read of a local -> another local of the function, bound |
| | | before it: the 3 bound last; never a list for an index |
| wrong-initial-value | initial_value | a first assignment's value: ``0`` <-> ``1``, ``-1`` -> |
| | | ``0``, ``True`` <-> ``False``, ``None`` / ``inf`` -> ``0``, ``"s"`` -> ``""``, |
| | | ``n - 1`` -> ``n``; inside ``[0] * n`` and ``(0, 0)`` too; |
| | | ``self.x = ...`` in ``__init__`` as well |
| missing-statement | delete_statement | an assignment, call, ``break``, ``continue``, or a |
| | | ``return`` under a loop or ``if``, deleted with its lines (``pass`` when |
| | | its block would be left empty) |
| swapped-arguments | swap_arguments | two neighbouring positional arguments swapped (not in |
| | | ``min`` / ``max``) |

Never mutated: docstrings, comments, imports, decorators, annotations,
f-strings, ``if __name__ == "__main__":`` blocks, and a function's only
statement. Each candidate is re-parsed (the edited expression, or the smallest
enclosing statement: not the whole file, so a 100-line program takes a few
milliseconds) and dropped unless it parses and differs from the original beyond
whitespace.

Which names each scope binds, where, and what they seem to hold (for wrong-variable
and wrong-initial-value) comes from :mod:`~duckfix.datasets.builder.py_scopes`.
"""

from __future__ import annotations

import ast
import re
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from duckfix.datasets.builder.categories import CATEGORIES
from duckfix.datasets.builder.mutants import Mutant, line_of
from duckfix.datasets.builder.py_scopes import (
    ARITHMETIC,
    CONTAINERS,
    DICT_MAKERS,
    FUNCTIONS,
    Bindings,
    callee,
    collect_bindings,
    first_assignments,
    int_value,
    latest_binding,
    name_roles,
)
from duckfix.errors import TaskError

__all__ = ["python_mutants"]

_MAX_VARIABLE_SWAPS = 3  # a slip is plausible only between names in recent use

_NEWLINE = re.compile(r"\r\n|\r|\n")  # the line breaks Python's tokenizer counts
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_SKIPPED_FIELDS: dict[type[ast.AST], frozenset[str]] = {
    ast.FunctionDef: frozenset({"decorator_list", "returns", "type_params"}),
    ast.AsyncFunctionDef: frozenset({"decorator_list", "returns", "type_params"}),
    ast.ClassDef: frozenset({"decorator_list", "bases", "keywords", "type_params"}),
    ast.AnnAssign: frozenset({"annotation"}),
}
_Table = tuple[str, tuple[str, ...]]  # an operator (a regex for _COMPARISON), its replacements
_BINARY: dict[type[ast.operator], _Table] = {
    ast.Add: ("+", ("-",)), ast.Sub: ("-", ("+",)), ast.Mult: ("*", ("/", "+")),
    ast.Div: ("/", ("//", "*")), ast.FloorDiv: ("//", ("/", "%")), ast.Mod: ("%", ("//",)),
    ast.Pow: ("**", ("*",)), ast.LShift: ("<<", (">>",)), ast.RShift: (">>", ("<<",)),
    ast.BitAnd: ("&", ("|", "^")), ast.BitOr: ("|", ("&", "^")), ast.BitXor: ("^", ("|", "&")),
}  # fmt: skip
_COMPARISON: dict[type[ast.cmpop], _Table] = {
    ast.Lt: ("<", ("<=", ">")), ast.LtE: ("<=", ("<", ">=")),
    ast.Gt: (">", (">=", "<")), ast.GtE: (">=", (">", "<=")),
    ast.Eq: ("==", ("!=",)), ast.NotEq: ("!=", ("==",)),
    ast.Is: (r"is\b", ("is not",)), ast.IsNot: (r"is\s+not\b", ("is",)),
    ast.In: (r"in\b", ("not in",)), ast.NotIn: (r"not\s+in\b", ("in",)),
}  # fmt: skip
_INT_FLIPS = {0: ("1",), 1: ("0",), -1: ("0",)}
_SELF_NAMES = frozenset({"self", "cls"})
_SYMMETRIC_CALLS = frozenset({"max", "min"})  # swapping their arguments changes nothing
_DICT_METHODS = frozenset({"get", "items", "keys", "values", "setdefault", "popitem"})


@dataclass
class _Source:
    """The program, its tree, and what the mutators share about it."""

    text: str
    starts: list[int]
    """Character offset where each line starts; ``starts[0]`` is line 1."""
    wide: dict[int, bytes]
    """Lines holding non-ASCII characters, UTF-8 encoded, by line number."""
    nodes: list[ast.AST] = field(default_factory=list)
    """Every node open to mutation, in source order."""
    parent: dict[ast.AST, ast.AST] = field(default_factory=dict)
    scope: dict[ast.AST, ast.AST] = field(default_factory=dict)
    """Innermost module, class, function or lambda whose namespace a node reads."""
    bindings: Bindings = field(default_factory=dict)
    """Per scope, per name, sorted: (offset from which reads see the new value, binding node)."""
    declared: dict[ast.AST, set[str]] = field(default_factory=dict)
    """Per scope, names declared ``global`` / ``nonlocal``: not locals."""


@dataclass(frozen=True)
class _Edit:
    """A raw candidate, before it is checked and made a :class:`Mutant`."""

    category: str
    start: int
    end: int
    replacement: str
    context: ast.AST
    """The expression the description shows, and whose statement is re-parsed."""
    description: str | None = None
    """Set when ``old -> new`` on the context would not say it best."""
    checked: bool = True
    """False when the edit cannot break the syntax (a name for another name): no re-parse."""


# ---------------------------------------------------------------- positions and text


def _pos(src: _Source, lineno: int, col: int) -> int:
    wide = src.wide.get(lineno)
    if wide is None:
        return src.starts[lineno - 1] + col
    # ast columns count UTF-8 bytes; the str offset counts characters.
    return src.starts[lineno - 1] + len(wide[:col].decode("utf-8", errors="replace"))


def _span(src: _Source, node: ast.AST) -> tuple[int, int]:
    start = _pos(src, node.lineno, node.col_offset)  # type: ignore[attr-defined]
    return start, _pos(src, node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]


def _text(src: _Source, node: ast.AST) -> str:
    start, end = _span(src, node)
    return src.text[start:end]


def _line_start(src: _Source, lineno: int) -> int:
    return src.starts[lineno - 1] if lineno <= len(src.starts) else len(src.text)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _short(text: str, limit: int = 48) -> str:
    flat = _flat(text)
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _skip_gap(text: str, i: int, end: int) -> int:
    """First offset in ``text[i:end]`` past spaces, grouping brackets, continuations, comments."""
    while i < end:
        if text[i] in " \t\f\r\n\\()":
            i += 1
        elif text[i] == "#":
            newline = text.find("\n", i, end)
            i = end if newline < 0 else newline
        else:
            break
    return i


def _token_between(
    src: _Source, left: ast.AST, right: ast.AST, pattern: str
) -> tuple[int, int] | None:
    """The span of the operator matching ``pattern`` between two operands."""
    start, end = _span(src, left)[1], _span(src, right)[0]
    found = re.compile(pattern).match(src.text, _skip_gap(src.text, start, end), end)
    return (found.start(), found.end()) if found else None


def _describe(src: _Source, edit: _Edit) -> str:
    """``old -> new`` shown on the context expression, or on the span alone when that is long."""
    if edit.description is not None:
        return edit.description
    a, b = _span(src, edit.context)
    old = src.text[a:b]
    if a <= edit.start and edit.end <= b and len(_flat(old)) <= 48:
        new = src.text[a : edit.start] + edit.replacement + src.text[edit.end : b]
        return f"{_flat(old)} -> {_flat(new)}"
    return f"{_short(src.text[edit.start : edit.end])} -> {_short(edit.replacement)}"


def _is_text_or_container(node: ast.AST) -> bool:
    """An operand that makes ``+`` ``*`` ``%`` concatenation, repetition or formatting."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult)):
        return _is_text_or_container(node.left) or _is_text_or_container(node.right)  # a + "b" + c
    return (
        isinstance(node, (*CONTAINERS, ast.JoinedStr))
        or (isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)))
        or callee(node) in ("str", "repr", "join", "format")
    )


# ---------------------------------------------------------------- the tree


def _is_docstring(node: ast.AST, parent: ast.AST | None) -> bool:
    return (
        isinstance(parent, (ast.Module, ast.ClassDef, *FUNCTIONS))
        and parent.body[0] is node
        and isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _is_main_guard(node: ast.AST) -> bool:
    if not (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)):
        return False
    sides = [node.test.left, *node.test.comparators]
    return (
        isinstance(node.test.ops[0], ast.Eq)
        and any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
        and any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides)
    )


def _skipped(node: ast.AST, parent: ast.AST | None) -> bool:
    # arg nodes hold only annotations; an f-string is text, and its inner columns
    # are unreliable before Python 3.12.
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.JoinedStr, ast.arg)):
        return True
    return type(node).__name__ == "TypeAlias" or _is_docstring(node, parent) or _is_main_guard(node)


def _prepare(text: str, tree: ast.Module) -> _Source:
    starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]
    ends = [*starts[1:], len(text)]
    wide = {
        number: text[start:end].encode("utf-8", errors="surrogatepass")
        for number, (start, end) in enumerate(zip(starts, ends, strict=True), 1)
        if not text[start:end].isascii()
    }
    src = _Source(text, starts, wide)
    stack: list[tuple[ast.AST, ast.AST | None, ast.AST]] = [(tree, None, tree)]
    while stack:
        node, parent, scope = stack.pop()
        if _skipped(node, parent):
            continue
        src.nodes.append(node)
        if parent is not None:
            src.parent[node] = parent
        src.scope[node] = scope
        skipped = _SKIPPED_FIELDS.get(type(node), frozenset())
        children: list[tuple[ast.AST, ast.AST, ast.AST]] = []
        for name, value in ast.iter_fields(node):
            # Defaults are evaluated outside the function; its body runs in its own scope.
            inner = node if isinstance(node, _SCOPES) and name != "args" else scope
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST) and name not in skipped:
                    children.append((child, node, inner))
        stack.extend(reversed(children))
    src.bindings, src.declared = collect_bindings(src.nodes, src.scope, lambda n: _span(src, n))
    return src


# ---------------------------------------------------------------- off-by-one


def _binds_tighter_than_plus(node: ast.AST) -> bool:
    if isinstance(node, ast.BinOp):
        return isinstance(node.op, ARITHMETIC)
    return isinstance(node, (ast.Name, ast.Attribute, ast.Subscript, ast.Call)) or (
        isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.Not)
    )


def _shifted(src: _Source, node: ast.AST) -> list[str]:
    """Source text of ``node + 1`` and ``node - 1``, folded into a constant term when it has one.

    Empty when ``node`` cannot be a number (a string, a tuple, a comparison ...).
    """
    text = _text(src, node)
    value = int_value(node)
    if value is not None:
        return [str(value + 1), str(value - 1)]
    if (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, (ast.Add, ast.Sub))
        and isinstance(node.right, ast.Constant)
        and type(node.right.value) is int
        and node.right.value > 0
    ):
        op = _token_between(src, node.left, node.right, re.escape(_BINARY[type(node.op)][0]))
        if op is None:
            return []
        start = _span(src, node)[0]
        head = src.text[start : op[0]].rstrip()  # the left operand as written, brackets kept
        constant = (_span(src, node.right)[0] - start, _span(src, node.right)[1] - start)
        term = node.right.value if isinstance(node.op, ast.Add) else -node.right.value
        # |term| >= 1, so moving it by one either empties it or keeps its sign.
        return [
            head
            if term + d == 0
            else text[: constant[0]] + str(abs(term + d)) + text[constant[1] :]
            for d in (1, -1)
        ]
    if _binds_tighter_than_plus(node):
        return [f"{text} + 1", f"{text} - 1"]
    if isinstance(node, (ast.BinOp, ast.IfExp)):
        return [f"({text}) + 1", f"({text}) - 1"]
    return []


def _shift_edits(src: _Source, node: ast.AST, context: ast.AST) -> Iterator[_Edit]:
    start, end = _span(src, node)
    for new in _shifted(src, node):
        yield _Edit("off-by-one", start, end, new, context)


def _range_bounds(src: _Source) -> Iterator[_Edit]:
    for node in src.nodes:
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "range"
            and 1 <= len(node.args) <= 3
            and not node.keywords
            and not any(isinstance(a, ast.Starred) for a in node.args)
        ):
            for bound in node.args[:2]:
                yield from _shift_edits(src, bound, node)


def _dict_names(src: _Source) -> set[str]:
    """Texts of names and attributes that hold a dict: their subscripts are keys, not indexes.

    A dict is known by its value (``{}``, ``dict()``, ``defaultdict(...)``,
    ``dict.fromkeys(...)``) or by a method only mappings have (``d.get(k)``, ``d.items()``).
    """
    out: set[str] = set()
    for node in src.nodes:
        if isinstance(node, ast.Assign) and (
            isinstance(node.value, (ast.Dict, ast.DictComp)) or callee(node.value) in DICT_MAKERS
        ):
            out.update(_flat(_text(src, t)) for t in node.targets)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _DICT_METHODS
        ):
            out.add(_flat(_text(src, node.func.value)))
    return out


def _index_shift(src: _Source) -> Iterator[_Edit]:
    dicts = _dict_names(src)
    for node in src.nodes:
        if (
            isinstance(node, ast.Subscript)
            and not isinstance(node.slice, (ast.Slice, ast.Tuple))
            and _flat(_text(src, node.value)) not in dicts
        ):
            yield from _shift_edits(src, node.slice, node)


def _slice_bounds(src: _Source) -> Iterator[_Edit]:
    for node in src.nodes:
        if isinstance(node, ast.Slice):
            for bound in (node.lower, node.upper):
                if bound is not None:
                    yield from _shift_edits(src, bound, src.parent.get(node, node))


def _len_bound(src: _Source) -> Iterator[_Edit]:
    for node in src.nodes:
        if isinstance(node, ast.Compare):
            for side in (node.left, *node.comparators):
                if isinstance(side, ast.Call) and callee(side) == "len" and len(side.args) == 1:
                    start, end = _span(src, side)
                    yield _Edit("off-by-one", start, end, src.text[start:end] + " - 1", node)


# ---------------------------------------------------------------- operators and comparisons


def _token_edits(
    src: _Source, category: str, node: ast.AST, operands: tuple[ast.AST, ast.AST], table: _Table
) -> Iterator[_Edit]:
    """One edit per replacement (``table[1]``) of the operator (``table[0]``) between operands."""
    token = _token_between(src, *operands, table[0])
    if token is not None:
        for new in table[1]:
            yield _Edit(category, *token, new, node)


def _binary_operator(src: _Source) -> Iterator[_Edit]:
    for node in src.nodes:
        if (
            isinstance(node, ast.BinOp)
            and type(node.op) in _BINARY
            and not (_is_text_or_container(node.left) or _is_text_or_container(node.right))
        ):
            old, news = _BINARY[type(node.op)]
            table = (re.escape(old), news)
            yield from _token_edits(src, "wrong-operator", node, (node.left, node.right), table)


def _boolean_operator(src: _Source) -> Iterator[_Edit]:
    for node in src.nodes:
        if isinstance(node, ast.BoolOp):
            table = (r"and\b", ("or",)) if isinstance(node.op, ast.And) else (r"or\b", ("and",))
            for operands in zip(node.values, node.values[1:], strict=False):
                yield from _token_edits(src, "wrong-operator", node, operands, table)


def _augmented_operator(src: _Source) -> Iterator[_Edit]:
    for node in src.nodes:
        if (
            isinstance(node, ast.AugAssign)
            and type(node.op) in _BINARY
            and not _is_text_or_container(node.value)  # s += "x", items += [x]: not arithmetic
        ):
            old, news = _BINARY[type(node.op)]
            table = (re.escape(old + "="), tuple(new + "=" for new in news))
            yield from _token_edits(src, "wrong-operator", node, (node.target, node.value), table)


def _not_removed(src: _Source) -> Iterator[_Edit]:
    for node in src.nodes:
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            start, end = _span(src, node)
            # Up to the operand's first character, so its brackets stay: not (a or b) -> (a or b).
            stop = start + 3
            while stop < end and src.text[stop] in " \t\f\r\n\\":
                stop += 1
            yield _Edit("wrong-operator", start, stop, "", node)


def _comparison(src: _Source) -> Iterator[_Edit]:
    for node in src.nodes:
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            for op, left, right in zip(node.ops, sides, sides[1:], strict=False):
                table = _COMPARISON[type(op)]
                yield from _token_edits(src, "wrong-comparison", node, (left, right), table)


# ---------------------------------------------------------------- wrong-variable


def _variable(src: _Source) -> Iterator[_Edit]:
    by_scope: dict[ast.AST, list[ast.AST]] = {}
    for node in src.nodes:
        by_scope.setdefault(src.scope[node], []).append(node)
    for scope, table in src.bindings.items():
        if not isinstance(scope, FUNCTIONS):
            continue
        excluded = src.declared.get(scope, set()) | _SELF_NAMES
        names = sorted((n for n in table if n not in excluded), key=lambda n: table[n][0][0])
        order = {name: i for i, name in enumerate(names)}
        roles = name_roles(by_scope.get(scope, []))
        for node in by_scope.get(scope, []):
            if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)):
                continue
            parent = src.parent[node]
            if node.id not in order or (isinstance(parent, ast.Call) and parent.func is node):
                continue  # not a local, or a local called: another would not be callable
            start, end = _span(src, node)
            mine = roles.get(node.id, set())
            recent = []
            for name in names:
                point = latest_binding(table[name], start)
                theirs = roles.get(name, set())
                if (
                    name != node.id
                    and point is not None
                    and (not mine or not theirs or mine & theirs)
                ):
                    recent.append((start - point, order[name], name))
            context = parent if isinstance(parent, ast.expr) else node
            for _, _, name in sorted(recent)[:_MAX_VARIABLE_SWAPS]:
                yield _Edit("wrong-variable", start, end, name, context, checked=False)


# ---------------------------------------------------------------- wrong-initial-value


def _is_infinity(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _is_infinity(node.operand)
    if isinstance(node, ast.Call) and callee(node) == "float" and len(node.args) == 1:
        arg = node.args[0]
        spelled = str(arg.value).strip().lower() if isinstance(arg, ast.Constant) else ""
        return spelled.lstrip("+-") in ("inf", "infinity")
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return (node.value.id, node.attr) in (("math", "inf"), ("sys", "maxsize"))
    return isinstance(node, ast.Name) and node.id == "inf"


def _initial_leaves(src: _Source, value: ast.AST) -> Iterator[tuple[ast.AST, list[str]]]:
    """Parts of an initial value worth changing, each with its replacements."""
    number = int_value(value)
    if number is not None:
        yield value, list(_INT_FLIPS.get(number, (str(number - 1), str(number + 1))))
    elif isinstance(value, ast.Constant):
        if isinstance(value.value, bool):
            yield value, [str(not value.value)]
        elif isinstance(value.value, float):
            yield value, ["1.0" if value.value == 0 else "0.0"]
        elif value.value is None:
            yield value, ["0"]
        elif isinstance(value.value, str) and value.value:
            quote = _text(src, value)[:1]
            if quote in ("'", '"'):  # a prefixed string (r"", b"") is left alone
                yield value, [quote * 2]
    elif _is_infinity(value):
        yield value, ["0"]
    elif isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Add, ast.Sub)):
        if int_value(value.right) is not None:
            yield value, _shifted(src, value)
    elif isinstance(value, ast.BinOp) and isinstance(value.op, ast.Mult):
        for side in (value.left, value.right):
            if isinstance(side, (ast.List, ast.Tuple)):  # [0] * n: the element, the list stays
                yield from _initial_leaves(src, side)
    elif isinstance(value, (ast.List, ast.Tuple, ast.Set)) and len(value.elts) <= 3:
        for element in value.elts:
            yield from _initial_leaves(src, element)
    elif isinstance(value, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
        yield from _initial_leaves(src, value.elt)


def _initial_value(src: _Source) -> Iterator[_Edit]:
    for name, value in first_assignments(src.nodes, src.scope, src.bindings):
        for leaf, news in _initial_leaves(src, value):
            start, end = _span(src, leaf)
            old = _short(src.text[start:end])
            for new in news:
                what = f"{name}: {old} -> {new}"
                if leaf is value:
                    what = f"{name} = {old} -> {name} = {new}"
                yield _Edit("wrong-initial-value", start, end, new, leaf, what)


# ---------------------------------------------------------------- missing-statement


def _deletable(src: _Source, node: ast.AST) -> bool:
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.Break, ast.Continue)):
        return True
    if isinstance(node, ast.AnnAssign):
        return node.value is not None
    if isinstance(node, ast.Expr):
        value = node.value.value if isinstance(node.value, ast.Await) else node.value
        return isinstance(value, ast.Call)
    if isinstance(node, ast.Return):
        # Only an early return: deleting a function's final one is rarely a plausible slip.
        current = src.parent.get(node)
        while current is not None and not isinstance(current, FUNCTIONS):
            if isinstance(current, (ast.For, ast.AsyncFor, ast.While, ast.If)):
                return True
            current = src.parent.get(current)
    return False


def _block_of(parent: ast.AST, node: ast.stmt) -> list[ast.stmt]:
    for name in ("body", "orelse", "finalbody"):
        block: list[ast.stmt] = getattr(parent, name, None) or []
        if any(s is node for s in block):
            return block
    return [node]


def _delete_statement(src: _Source) -> Iterator[_Edit]:
    for node in src.nodes:
        if not (isinstance(node, ast.stmt) and isinstance(src.scope[node], FUNCTIONS)):
            continue
        parent = src.parent[node]
        block = _block_of(parent, node)
        alone = len([s for s in block if not _is_docstring(s, parent)]) == 1
        if not _deletable(src, node) or (alone and isinstance(parent, FUNCTIONS)):
            continue  # never a function's only statement
        start, end = _span(src, node)
        first = _line_start(src, node.lineno)
        after = _line_start(src, (node.end_lineno or node.lineno) + 1)
        indent, rest = src.text[first:start], src.text[end:after]
        what = f"deleted {_short(src.text[start:end].splitlines()[0])}"
        if not indent.strip() and (not rest.strip() or rest.strip().startswith("#")):
            newline = rest[len(rest.rstrip("\r\n")) :]
            replacement = f"{indent}pass{newline}" if alone else ""
            yield _Edit("missing-statement", first, after, replacement, parent, what)
        elif alone:  # if x: return y -> if x: pass
            yield _Edit("missing-statement", start, end, "pass", parent, what)


# ---------------------------------------------------------------- swapped-arguments


def _swap_arguments(src: _Source) -> Iterator[_Edit]:
    for node in src.nodes:
        if not isinstance(node, ast.Call) or callee(node) in _SYMMETRIC_CALLS:
            continue
        for left, right in zip(node.args, node.args[1:], strict=False):
            if isinstance(left, ast.Starred) or isinstance(right, ast.Starred):
                continue
            (a, b), (c, d) = _span(src, left), _span(src, right)
            first, second = src.text[a:b], src.text[c:d]
            if _flat(first) != _flat(second):
                yield _Edit("swapped-arguments", a, d, second + src.text[b:c] + first, node)


# ---------------------------------------------------------------- checking


_MUTATORS: tuple[Callable[[_Source], Iterator[_Edit]], ...] = (
    _range_bounds, _index_shift, _slice_bounds, _len_bound,
    _binary_operator, _boolean_operator, _augmented_operator, _not_removed,
    _comparison, _variable, _initial_value, _delete_statement, _swap_arguments,
)  # fmt: skip
_WARNINGS_LOCK = threading.Lock()
_RANK = {c.name: i for i, c in enumerate(CATEGORIES)}
_HEADED = (ast.If, ast.While, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, *FUNCTIONS)


def _regions(src: _Source, node: ast.AST | None) -> Iterator[tuple[int, int, str, str]]:
    """Regions to re-parse around an edit in ``node``, smallest first: (start, end, head, tail).

    An edit inside an expression needs only that expression re-parsed (it cannot
    change how the expression binds to its surroundings); a deletion needs its block.
    """
    if isinstance(node, ast.expr):
        yield *_span(src, node), "(", ")"
    while node is not None:
        if isinstance(node, ast.stmt):
            if isinstance(node, _HEADED):
                # The header alone with a stand-in body: an edit in a loop's condition
                # need not re-parse the whole loop.
                body = node.body[0]
                body_line = min(
                    [body.lineno, *(d.lineno for d in getattr(body, "decorator_list", []))]
                )
                if body_line > node.lineno:
                    first = _line_start(src, node.lineno)
                    line = src.text[first : _line_start(src, node.lineno + 1)]
                    indent = line[: len(line) - len(line.lstrip())]
                    yield first, _line_start(src, body_line), "", f"\n{indent} pass\n"
            last_line = node.end_lineno or node.lineno
            yield _line_start(src, node.lineno), _line_start(src, last_line + 1), "", ""
        node = src.parent.get(node)
    yield 0, len(src.text), "", ""


def _parses(code: str, expression: bool) -> bool:
    if code[:1] in (" ", "\t", "\f"):
        code = "if 1:\n" + code  # an indented statement parses as the body of a block
    try:
        ast.parse(code, mode="eval" if expression else "exec")
    except (SyntaxError, ValueError):
        return False
    return True


def _keeps(src: _Source, edit: _Edit, cache: dict[tuple[int, int, str, str], bool]) -> bool:
    """Whether the edited program parses and differs from the original beyond whitespace."""
    if not edit.checked:
        return True
    for first, last, head, tail in _regions(src, edit.context):
        if not first <= edit.start <= edit.end <= last:
            continue
        original = head + src.text[first:last] + tail
        if (first, last, head, tail) not in cache:
            cache[first, last, head, tail] = _parses(original, bool(head))
        if not cache[first, last, head, tail]:
            continue  # not a statement on its own (an elif, a line of a; b): try a wider one
        edited = head + src.text[first : edit.start] + edit.replacement
        edited += src.text[edit.end : last] + tail
        return _flat(edited) != _flat(original) and _parses(edited, bool(head))
    return False


def python_mutants(text: str, file: str) -> list[Mutant]:
    """Every candidate mutant of the Python source ``text`` (path ``file``), in a stable order.

    Ordered by span, then category (taxonomy order), then replacement; a span and
    replacement that two mutators both propose appear once. Raises
    :class:`~duckfix.errors.TaskError` when ``text`` is not valid Python.
    """
    # Invalid escapes in the program warn on every parse, and under -W error would fail
    # it. catch_warnings swaps process-wide filters: the lock keeps builder threads from
    # restoring each other's (the work holds the GIL, so it costs no parallelism).
    with _WARNINGS_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError) as exc:
            raise TaskError(f"{file}: not valid Python, so it cannot be mutated: {exc}") from exc
        src = _prepare(text, tree)
        edits = [
            (edit, mutator.__name__.lstrip("_"))
            for mutator in _MUTATORS
            for edit in mutator(src)
            if edit.replacement != text[edit.start : edit.end]
        ]
        edits.sort(key=lambda e: (e[0].start, e[0].end, _RANK[e[0].category], e[0].replacement))
        cache: dict[tuple[int, int, str, str], bool] = {}
        seen: set[tuple[int, int, str]] = set()
        mutants = []
        for edit, mutator in edits:
            key = (edit.start, edit.end, edit.replacement)
            if key in seen or not _keeps(src, edit, cache):
                continue
            seen.add(key)
            mutants.append(
                Mutant(
                    category=edit.category,
                    kind="logic",
                    file=file,
                    start=edit.start,
                    end=edit.end,
                    replacement=edit.replacement,
                    line=line_of(text, edit.start),
                    description=_describe(src, edit),
                    mutator=mutator,
                )
            )
    return mutants
