"""The file under edit: its text, spans and line indexes, scopes, and precedence.

``File`` parses a file once and answers what the templates ask of it: where a node
is written (character offsets from the AST's UTF-8 byte columns), which statements
are on a line, which variables a scope has; it also builds ``Edit``s, text
replacements that keep every untouched character, adding parentheses where the
precedence of the new text asks for them.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from duckfix.agents.templates.candidate import edited_slice

__all__ = [
    "ATOM",
    "BIN_PREC",
    "COMPREHENSIONS",
    "DEFS",
    "LINE",
    "Edit",
    "File",
    "Stmt",
    "compiles",
    "own_nodes",
    "short",
]

# --- the file under edit -------------------------------------------------------------

LINE = re.compile(r".*?(?:\r\n|\r|\n)|.+\Z", re.DOTALL)
_INDENT = re.compile(r"[ \t]*")
_FIELD = re.compile(r"\{(old|new|line)\}")
# The operator between two operands: skip closing/opening parentheses, blanks,
# line continuations and comments, then the operator itself.
_OP = re.compile(
    r"(?:[\s()\\]|#[^\r\n]*)*?(?P<op>is\s+not|not\s+in|\*\*=?|//=?|<<=?|>>=?|[<>=!]=|"
    r"[-+*/%@&|^]=?|[<>]|and\b|or\b|is\b|in\b)"
)


@dataclass(frozen=True, slots=True)
class Edit:
    template: str
    parts: tuple[tuple[int, int, str], ...]
    """Non-overlapping (start, end, new text) replacements, in character offsets."""
    description: str


@dataclass(slots=True)
class Stmt:
    node: ast.stmt
    block: list[ast.stmt]
    index: int
    owner: ast.AST | None
    """The statement (or except handler) whose block this is; None at module level."""
    scope: ast.AST | None
    """The innermost enclosing function or class; None at module level."""


@dataclass(slots=True)
class _Scope:
    names: dict[str, list[int]]
    """Value variables bound in the scope -> lines where they occur."""
    collections: set[str]
    """Those of them used as collections or objects: a plain value never replaces one."""
    attrs: dict[str, dict[str, list[int]]]
    """Base variable -> attribute (never called) -> lines where it occurs."""
    bound_at: dict[str, int]
    """Variable -> the first line that binds it (a parameter: its own line)."""


class File:
    """A parsed file with the indexes the templates need."""

    def __init__(self, path: str, source: str, tree: ast.Module) -> None:
        self.path, self.source, self.tree = path, source, tree
        self.lines: list[str] = LINE.findall(source)
        self.starts: list[int] = []
        offset = 0
        for text in self.lines:
            self.starts.append(offset)
            offset += len(text)
        self.starts.append(offset)
        first = self.lines[0] if self.lines else "\n"
        self.newline = "\r\n" if first.endswith("\r\n") else "\n"
        self.parents: dict[int, tuple[ast.AST, str]] = {}
        for node in ast.walk(tree):
            for name, value in ast.iter_fields(node):
                if isinstance(value, ast.AST):
                    self.parents[id(value)] = (node, name)
                elif isinstance(value, list):
                    for item in value:
                        if isinstance(item, ast.AST):
                            self.parents[id(item)] = (node, name)
        self.stmts: list[Stmt] = []
        self._collect(tree.body, None, None)
        self.info = {id(s.node): s for s in self.stmts}
        self.at: dict[int, list[Stmt]] = {}
        for s in self.stmts:
            for line in range(s.node.lineno, _header_end(s.node) + 1):
                self.at.setdefault(line, []).append(s)
        self._scopes: dict[int, _Scope] = {}
        self.inf = _infinity(tree)
        # Whole lines of each top-level statement, decorators included.
        self.top_starts = [self.starts[_first_line(n) - 1] for n in tree.body]
        self.top_ends = [self.starts[n.end_lineno or n.lineno] for n in tree.body]

    @classmethod
    def load(cls, path: str, source: str) -> File | None:
        try:
            tree = ast.parse(source, path)
        except (SyntaxError, ValueError):
            return None
        return cls(path, source, tree)

    def _collect(self, body: list[ast.stmt], owner: ast.AST | None, scope: ast.AST | None) -> None:
        for index, node in enumerate(body):
            self.stmts.append(Stmt(node, body, index, owner, scope))
            inner = node if isinstance(node, DEFS) else scope
            for name in ("body", "orelse", "finalbody"):
                block = getattr(node, name, None)
                if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                    self._collect(block, node, inner)
            for handler in getattr(node, "handlers", ()):
                self._collect(handler.body, handler, inner)
            for case in getattr(node, "cases", ()):
                self._collect(case.body, None, inner)

    # positions

    def offset(self, lineno: int, col: int) -> int:
        """Character offset of a (1-based line, UTF-8 byte column) position."""
        text = self.lines[lineno - 1]
        if not text.isascii():
            col = len(text.encode("utf-8")[:col].decode("utf-8", "replace"))
        return self.starts[lineno - 1] + col

    def span(self, node: ast.AST) -> tuple[int, int]:
        start = self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end = self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        return start, end

    def text(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.source[start:end]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def indent(self, lineno: int) -> str:
        match = _INDENT.match(self.lines[lineno - 1])
        return match.group() if match else ""

    def op_span(self, left: ast.AST, right: ast.AST, symbol: str) -> tuple[int, int] | None:
        """Where the operator ``symbol`` between two operands is written."""
        start, stop = self.span(left)[1], self.span(right)[0]
        match = _OP.match(self.source, start, stop)
        if match is None or " ".join(match.group("op").split()) != symbol:
            return None
        return match.start("op"), match.end("op")

    def changed(self, edit: Edit) -> tuple[int, int, str]:
        """``(low, high, text)``: the edit turns ``source[low:high]`` into ``text``.

        Only the stretch the edit touches is built, never the whole new file.
        """
        low = min(start for start, _, _ in edit.parts)
        high = max(end for _, end, _ in edit.parts)
        text = self.source[low:high]
        for start, end, new in sorted(edit.parts, reverse=True):
            text = text[: start - low] + new + text[end - low :]
        return low, high, text

    def region(self, low: int, high: int, text: str) -> str:
        """The top-level statements the edit of ``source[low:high]`` into ``text`` touched,
        with the edit made.

        Whether a file compiles is decided statement by statement at the top level, so
        this is all that needs compiling; on a long file, compiling it all would cost
        milliseconds per candidate.
        """
        first = bisect.bisect_right(self.top_ends, low - 1)
        last = bisect.bisect_left(self.top_starts, high + 1) - 1
        shift = len(text) - (high - low)
        if first > last:
            return edited_slice(self.source, low, high, text, 0, len(self.source) + shift)
        start, end = self.top_starts[first], self.top_ends[last]
        return edited_slice(self.source, low, high, text, start, end + shift)

    def size(self, edit: Edit) -> int:
        total = 0
        for start, end, new in edit.parts:
            old = self.source[start:end]
            lead = 0
            while lead < min(len(old), len(new)) and old[lead] == new[lead]:
                lead += 1
            old, new = old[lead:], new[lead:]
            trail = 0
            while trail < min(len(old), len(new)) and old[-1 - trail] == new[-1 - trail]:
                trail += 1
            total += max(len(old), len(new)) - trail
        return total

    # substitution

    def parenthesized(self, node: ast.AST) -> bool:
        """Whether parentheses (grouping or a call's) closely surround the node."""
        start, end = self.span(node)
        text, blank = self.source, " \t\r\n\\"
        while start > 0 and text[start - 1] in blank:
            start -= 1
        while end < len(text) and text[end] in blank:
            end += 1
        return start > 0 and text[start - 1] == "(" and end < len(text) and text[end] == ")"

    def needs_parens(self, node: ast.AST, prec: int, minimum: int | None = None) -> bool:
        """Whether an expression of precedence ``prec`` needs parentheses where ``node`` is."""
        if minimum is None:
            minimum = _slot(self.parents.get(id(node)))
        return prec < minimum and not (prec >= 0 and self.parenthesized(node))

    def fit(self, node: ast.AST, new: str, prec: int) -> str:
        """``new`` (of precedence ``prec``) to put where ``node`` is, parenthesized if needed."""
        return f"({new})" if self.needs_parens(node, prec) else new

    def wrap(self, node: ast.AST, minimum: int | None = None) -> list[tuple[int, int, str]]:
        """Parts that parenthesize ``node`` if its place now asks for ``minimum`` precedence."""
        start, end = self.span(node)
        if not self.needs_parens(node, _prec(node, self.source[start:end]), minimum):
            return []
        return [(start, start, "("), (end, end, ")")]

    def moved(self, node: ast.expr, into: ast.AST) -> str:
        """The text of ``node`` to put where ``into`` is."""
        text = self.text(node)
        return self.fit(into, text, _prec(node, text))

    def replace(self, template: str, node: ast.AST, new: str, prec: int, what: str) -> Edit:
        """Put ``new`` where ``node`` is; ``what`` may say ``{old}``, ``{new}``, ``{line}``."""
        start, end = self.span(node)
        fields = {"old": self.source[start:end], "new": new, "line": str(self.line_of(start))}
        # Not str.format: the program's own text, braces and all, is part of `what`.
        what = _FIELD.sub(lambda m: short(fields[m.group(1)]), what)
        return Edit(template, ((start, end, self.fit(node, new, prec)),), what)

    # lines

    def whole(self, node: ast.stmt) -> bool:
        """Whether the statement alone fills its lines (a trailing comment is allowed)."""
        start, end = self.span(node)
        head = self.source[self.starts[node.lineno - 1] : start]
        tail = self.source[end : self.starts[node.end_lineno or node.lineno]]
        return not head.strip() and (not tail.strip() or tail.lstrip().startswith("#"))

    def chunk(self, first: int, last: int) -> str:
        """Lines ``first..last`` with a line end after the last (empty if ``last < first``)."""
        text = "".join(self.lines[first - 1 : last])
        return text if not text or text.endswith(("\n", "\r")) else text + self.newline

    def line_edit(self, template: str, first: int, last: int, new: str, what: str) -> Edit:
        """Replace lines ``first..last`` (``last = first - 1`` inserts before ``first``)."""
        start, end = self.starts[first - 1], self.starts[last]
        if end == len(self.source) and not self.source.endswith(("\n", "\r")):
            # The file's last line has no line end; keep it that way.
            new = new.removesuffix(self.newline)
            if start == end:
                new = self.newline + new
        return Edit(template, ((start, end, new),), what)

    def multiline_string(self, node: ast.stmt) -> bool:
        """Whether re-indenting the statement would change a string's value."""
        return any(
            isinstance(n, (ast.Constant, ast.JoinedStr)) and n.lineno != n.end_lineno
            for n in ast.walk(node)
        )

    def scope(self, s: Stmt) -> _Scope:
        """Variables of the statement's function (class, module) and attributes of its class."""
        key = id(s.scope)
        if key not in self._scopes:
            root: ast.AST = s.scope if s.scope is not None else self.tree
            owner = root
            if isinstance(root, (ast.FunctionDef, ast.AsyncFunctionDef)):
                outer = self.info[id(root)].scope
                if isinstance(outer, ast.ClassDef):
                    owner = outer
            names, collections, bound_at = _names(root)
            self._scopes[key] = _Scope(names, collections, _attrs(owner), bound_at)
        return self._scopes[key]


def _first_line(node: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def _infinity(tree: ast.Module) -> str:
    """How this file would spell infinity: with ``math`` if it imports it."""
    for node in tree.body:
        if isinstance(node, ast.Import) and any(
            a.name == "math" and a.asname is None for a in node.names
        ):
            return "math.inf"
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "math"
            and any(a.name == "inf" and a.asname is None for a in node.names)
        ):
            return "inf"
    return 'float("inf")'


def _header_end(node: ast.stmt) -> int:
    """Last line of a statement's own text: the header of a compound statement."""
    body = getattr(node, "body", None)
    if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
        return max(node.lineno, body[0].lineno - 1)
    if isinstance(node, ast.Match):
        return node.subject.end_lineno or node.lineno
    return node.end_lineno or node.lineno


# --- precedence ------------------------------------------------------------------------

DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function's own body, not those of functions, classes or lambdas in it.

    Their names are theirs: a nested function's parameter is no name of the outer one.
    """
    todo = deque(ast.iter_child_nodes(scope))  # breadth first, in ast.walk's order
    while todo:
        node = todo.popleft()
        yield node
        if not isinstance(node, (*DEFS, ast.Lambda)):
            todo.extend(ast.iter_child_nodes(node))


ATOM = 16
BIN_PREC: dict[type[ast.operator], int] = {
    ast.BitOr: 7, ast.BitXor: 8, ast.BitAnd: 9, ast.LShift: 10, ast.RShift: 10,
    ast.Add: 11, ast.Sub: 11, ast.Mult: 12, ast.Div: 12, ast.FloorDiv: 12, ast.Mod: 12,
    ast.MatMult: 12, ast.Pow: 14,
}  # fmt: skip


def _prec(node: ast.AST, text: str = "") -> int:
    if isinstance(node, ast.Lambda):
        return 1
    if isinstance(node, ast.IfExp):
        return 2
    if isinstance(node, ast.BoolOp):
        return 3 if isinstance(node.op, ast.Or) else 4
    if isinstance(node, ast.UnaryOp):
        return 5 if isinstance(node.op, ast.Not) else 13
    if isinstance(node, ast.Compare):
        return 6
    if isinstance(node, ast.BinOp):
        return BIN_PREC[type(node.op)]
    if isinstance(node, ast.Await):
        return 15
    if isinstance(node, ast.Tuple):
        return ATOM if text.startswith("(") and text.endswith(")") else -1
    if isinstance(node, (ast.NamedExpr, ast.Yield, ast.YieldFrom, ast.Starred)):
        return -2
    return ATOM


def _slot(where: tuple[ast.AST, str] | None) -> int:
    """The lowest precedence an expression may have, unparenthesized, in this place."""
    if where is None:
        return 0
    parent, name = where
    if isinstance(parent, ast.BoolOp):
        return _prec(parent) + 1
    if isinstance(parent, ast.UnaryOp):
        return _prec(parent)
    if isinstance(parent, ast.Compare):
        return 7
    if isinstance(parent, ast.BinOp):
        if isinstance(parent.op, ast.Pow):
            return 15 if name == "left" else 13
        return BIN_PREC[type(parent.op)] + (name == "right")
    if isinstance(parent, (ast.Attribute, ast.Subscript, ast.Call)) and name in ("value", "func"):
        return ATOM
    if isinstance(parent, ast.Await):
        return 15
    if isinstance(parent, ast.IfExp):
        return 2 if name == "orelse" else 3
    if isinstance(parent, ast.comprehension):
        return 3
    if isinstance(parent, ast.Lambda):
        return 1
    if isinstance(parent, (ast.Return, ast.Assign, ast.AugAssign, ast.Expr)) and name == "value":
        return -1
    return 0


def short(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# --- scopes ------------------------------------------------------------------------------


def _names(root: ast.AST) -> tuple[dict[str, list[int]], set[str], dict[str, int]]:
    """Variables bound in ``root``'s own body (nested functions, classes and lambdas aside),
    which of them are used as collections or objects rather than plain values, and the
    first line that binds each."""
    lines: dict[str, list[int]] = {}
    bound: set[str] = set()
    first: dict[str, int] = {}
    excluded: set[str] = set()
    collections: set[str] = set()
    stack: list[ast.AST] = [
        c for c in ast.iter_child_nodes(root)
        if c not in getattr(root, "decorator_list", ()) and c is not getattr(root, "returns", None)
    ]  # fmt: skip
    while stack:
        node = stack.pop()
        if isinstance(node, DEFS):
            excluded.add(node.name)
            continue
        if isinstance(node, ast.Lambda):
            continue
        collections.update(_collection_uses(node))
        if isinstance(node, COMPREHENSIONS):
            # Their targets are local to them; a use inside sees them (see sites.in_comprehension).
            for gen in node.generators:
                collections.update(_collection_uses(gen))
                stack.extend([gen.iter, *gen.ifs])
            stack.extend(c for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr))
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            excluded.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            excluded.add(node.func.id)  # called: a function, not a value
        elif isinstance(node, ast.Name):
            lines.setdefault(node.id, []).append(node.lineno)
            if not isinstance(node.ctx, ast.Load):
                bound.add(node.id)
                first[node.id] = min(first.get(node.id, node.lineno), node.lineno)
        elif isinstance(node, ast.arg):
            lines.setdefault(node.arg, []).append(node.lineno)
            bound.add(node.arg)
            first[node.arg] = min(first.get(node.arg, node.lineno), node.lineno)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            lines.setdefault(node.name, []).append(node.lineno)
            bound.add(node.name)
            first[node.name] = min(first.get(node.name, node.lineno), node.lineno)
        stack.extend(ast.iter_child_nodes(node))
    kept = sorted(bound - excluded)
    return {name: lines[name] for name in kept}, collections, {n: first[n] for n in kept}


_COLLECTION_CALLS = frozenset({"len", "enumerate", "reversed", "sorted", "zip", "iter"})


def _collection_uses(node: ast.AST) -> Iterator[str]:
    """Variables ``node`` uses as a collection or an object: indexed, iterated, ``len()``..."""
    used: list[ast.AST] = []
    if isinstance(node, (ast.Subscript, ast.Attribute)):
        used = [node.value]
    elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
        used = [node.iter]
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        used = list(node.args) if node.func.id in _COLLECTION_CALLS else []
    elif isinstance(node, ast.Compare):
        pairs = zip(node.ops, node.comparators, strict=True)
        used = [c for op, c in pairs if isinstance(op, (ast.In, ast.NotIn))]
    for n in used:
        if isinstance(n, ast.Name):
            yield n.id


def _attrs(root: ast.AST) -> dict[str, dict[str, list[int]]]:
    """``base.attr`` uses in ``root`` (a class: all its methods), called attributes aside."""
    out: dict[str, dict[str, list[int]]] = {}
    called: set[tuple[str, str]] = set()
    methods = set()
    if isinstance(root, ast.ClassDef):
        methods = {n.name for n in root.body if isinstance(n, DEFS)}
    stack = list(ast.iter_child_nodes(root))
    while stack:
        node = stack.pop()
        if isinstance(node, DEFS) and node.name not in methods:
            continue
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            out.setdefault(node.value.id, {}).setdefault(node.attr, []).append(node.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            called.add((owner.id if isinstance(owner, ast.Name) else "", node.func.attr))
        stack.extend(ast.iter_child_nodes(node))
    for base, attrs in out.items():
        for attr in list(attrs):
            if (base, attr) in called or attr in methods:
                del attrs[attr]
    return out


def compiles(text: str, path: str) -> bool:
    """Whether ``text`` compiles as the module at ``path``."""
    # A compile, not just a parse: moved statements can leave a `break` outside its
    # loop, which only the compiler rejects. It costs no more than ast.parse.
    try:
        compile(text, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True
