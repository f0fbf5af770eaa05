"""Templates for a missing statement: one inserted at the suspect line, copied or adapted.

A statement left out leaves no line to blame; the lines around where it belongs
are the suspects, and these templates insert there (before the suspect
statement, after it, or at the top of its block):

- ``define-var``: a variable the function reads but never binds (a
  ``NameError`` waiting to happen) is given a value before its first use: a
  literal that fits how it is used (``[]`` for one that is appended to, ``0``
  for one that is counted), another variable of the same kind, ``len`` of a
  collection, a ``self`` attribute of a like name. Two such variables read on
  one line get one tuple assignment;
- ``insert-control``: ``continue`` or ``break`` in a loop; ``return`` with a
  value another ``return`` of the function gives, or a variable in scope;
- ``insert-guard``: an early exit at the top of the function, ``if not xs:``
  for a parameter used as a collection with what the function returns
  elsewhere (or its empty value), and the one-line guards of the file's other
  functions (``if n < 0: return 0``), their names adapted to this one's;
- ``insert-reset``: ``xs[i] = 0`` for an element a nearby line reads, or the
  element at a loop's variable, with a value the list was filled with;
- ``insert-push``: ``xs.append(v)`` for a list the function pops but never adds
  to, ``v`` a loop variable or a nearby plain name;
- ``insert-adapted``: a short statement of another function of the file whose
  names all exist here, as it is (``self._data.move_to_end(key)`` from ``get``
  into ``put``), or a statement of this function or another with one name
  replaced by a name of the same kind used near the suspect (``i += 1`` from
  ``j += 1``).

A statement of the same function copied as it is belongs to ``insert-stmt``
(:mod:`duckfix.agents.templates.statements`).
"""

from __future__ import annotations

import ast
import builtins
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from duckfix.agents.templates.sites import Site, is_elif, nearest
from duckfix.agents.templates.spans import (
    COMPREHENSIONS,
    DEFS,
    LINE,
    Edit,
    File,
    Stmt,
    own_nodes,
    short,
)

__all__ = [
    "Spot",
    "define_var",
    "insert_adapted",
    "insert_control",
    "insert_guard",
    "insert_push",
    "insert_reset",
    "spots",
    "unbound",
    "unread_params",
]

_BUILTINS = frozenset(dir(builtins))
_SIMPLE = (ast.Assign, ast.AugAssign, ast.Expr, ast.Return, ast.Delete)
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_VALUES_PER_NAME = 14
_DONORS = 24
"""Statements considered for ``insert-adapted`` at one line, nearest first."""
_SWAPS = 3
"""Names tried in place of each name of a donor statement."""


@dataclass(frozen=True)
class Spot:
    """Where a statement goes: before line ``line``, at ``indent``."""

    line: int
    indent: str
    words: str
    """Where, in words for the candidate's description."""
    replaces: int = 0
    """Lines the statement takes the place of: 1 for a block's lone ``pass``."""


def spots(file: File, s: Stmt) -> list[Spot]:
    """Where to insert at a statement: before it, after it, at the top of its block.

    A block that holds nothing but ``pass`` (what is left when a block's one
    statement goes) gets its statement in place of the ``pass``.
    """
    first = s.node.lineno
    last = s.node.end_lineno or first
    out = [Spot(first, file.indent(first), f"before line {first}")]
    out.append(Spot(last + 1, file.indent(first), f"after line {last}"))
    body = getattr(s.node, "body", None)
    if isinstance(body, list) and body and isinstance(body[0], ast.stmt) and file.whole(body[0]):
        top = body[0].lineno
        lone = len(body) == 1 and isinstance(body[0], ast.Pass)
        words = (
            f"in place of the `pass` on line {top}"
            if lone
            else f"at the top of line {first}'s block"
        )
        out.append(Spot(top, file.indent(top), words, 1 if lone else 0))
    return out


def _insert(file: File, template: str, spot: Spot, text: str, what: str) -> Edit:
    lines = "".join(spot.indent + t if t.strip() else t for t in LINE.findall(text + file.newline))
    return file.line_edit(template, spot.line, spot.line - 1 + spot.replaces, lines, what)


def _function(file: File, s: Stmt) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    scope = s.scope
    return scope if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)) else None


# ----- define-var -----


def _params(function: ast.AST, *, packed: bool = True) -> list[str]:
    """A function's parameter names, in order; ``*args`` and ``**kwargs`` if ``packed``."""
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return []
    a = function.args
    named = [*a.posonlyargs, *a.args, *a.kwonlyargs]
    return [p.arg for p in (*named, a.vararg, a.kwarg) if p] if packed else [p.arg for p in named]


def _bound(function: ast.AST) -> set[str]:
    """Names a function binds: parameters, targets, imports, nested definitions, globals."""
    names = set(_params(function))
    for node in ast.walk(function):
        if node is function:
            continue
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, (*DEFS,)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names |= set(node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return names


def _module_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, DEFS):
            names.add(node.name)
            continue
        for sub in ast.walk(node):  # `if TYPE_CHECKING:` and `try:` imports too
            if isinstance(sub, ast.Name) and not isinstance(sub.ctx, ast.Load):
                names.add(sub.id)
            elif isinstance(sub, (ast.Import, ast.ImportFrom)):
                names |= {(a.asname or a.name).split(".")[0] for a in sub.names}
    return names


def unbound(file: File, function: ast.AST) -> dict[str, ast.Name]:
    """Names the function reads before anything binds them -> their first read.

    Either nothing binds the name (a ``NameError``), or its first read comes
    before its first binding in the text, the read on the right of that very
    assignment included (``value = value * base + digit``, ``n += 1``: an
    ``UnboundLocalError``). A loop that binds a name late in its body for its
    next turn looks the same; the candidates it brings cost one validation each.
    Functions defined inside are left to their own call: their names are theirs.
    """
    bound = _bound(function)
    # A parameter is bound on entry, however often the body assigns it again.
    params = bound - _stored(function) | set(_params(function))
    known = params | _module_names(file.tree) | _BUILTINS | _enclosing_names(file, function)
    own = list(own_nodes(function))
    stores: dict[str, tuple[int, int]] = {}
    for node in own:
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            where = _store_position(file, node)
            stores[node.id] = min(stores.get(node.id, where), where)
    found: dict[str, ast.Name] = {}
    # ``total += x`` reads ``total`` before it binds it.
    augmented = {id(n.target) for n in own if isinstance(n, ast.AugAssign)}
    in_comprehension = _comprehension_reads(own) | _read_elsewhere(function, own)
    for node in own:
        if not (
            isinstance(node, ast.Name) and (isinstance(node.ctx, ast.Load) or id(node) in augmented)
        ):
            continue
        if node.id in known or (node.id in bound and node.id not in stores):
            continue
        if id(node) in in_comprehension:
            continue
        bound_at = stores.get(node.id)
        if bound_at is not None and (node.lineno, node.col_offset) >= bound_at:
            continue
        first = found.get(node.id)
        if first is None or (node.lineno, node.col_offset) < (first.lineno, first.col_offset):
            found[node.id] = node
    return found


def _read_elsewhere(function: ast.AST, nodes: list[ast.AST]) -> set[int]:
    """Reads that are not the body's: annotations (never run under ``from __future__ import
    annotations``; a type-checking-only import is no missing statement) and the function's
    defaults (run in the enclosing scope: a method's ``kind=SEPARATOR`` reads its class)."""
    outside: list[ast.AST | None] = [n.annotation for n in nodes if isinstance(n, ast.arg)]
    outside += [n.annotation for n in nodes if isinstance(n, ast.AnnAssign)]
    if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        outside += [function.returns, *function.args.defaults, *function.args.kw_defaults]
    return {id(sub) for node in outside if node is not None for sub in ast.walk(node)}


def _comprehension_reads(nodes: list[ast.AST]) -> set[int]:
    """The reads of names a comprehension around them binds (``d`` of ``[d for d in xs]``)."""
    out: set[int] = set()
    for node in nodes:
        if isinstance(node, COMPREHENSIONS):
            targets = {
                n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)
            }
            out |= {id(n) for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in targets}
    return out


def _enclosing_names(file: File, function: ast.AST) -> set[str]:
    """Names the functions around a nested one bind: its closure, not unbound names."""
    names: set[str] = set()
    where = file.parents.get(id(function))
    while where is not None:
        node = where[0]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names |= _bound(node)
        where = file.parents.get(id(node))
    return names


def _sizes(file: File, s: Stmt, function: ast.AST) -> list[str]:
    """Numbers a table could be sized by: the function's parameters and the names its
    top-level statements bind before ``s``, nearest first, then ``len`` of a collection."""
    early = set(_params(function, packed=False))
    for stmt in getattr(function, "body", []):
        if stmt.lineno < s.node.lineno and isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            early |= _stored(stmt)
    scope = file.scope(s)
    pool = {n: v for n, v in scope.names.items() if n in early and n not in scope.collections}
    sizes = nearest(pool, s.node.lineno)[:2]
    return sizes + [f"len({c})" for c in _collections_near(file, s)][:1]


def _collections_near(file: File, s: Stmt) -> list[str]:
    """The collections in scope, nearest to ``s`` first."""
    scope = file.scope(s)
    pool = {n: v for n, v in scope.names.items() if n in scope.collections}
    return nearest(pool, s.node.lineno)


def _lengths(file: File, s: Stmt, function: ast.AST) -> list[str]:
    """``len(xs)``, ``len(xs) - 1``, and ``len(xs[0])`` for a grid ``xs[r][c]``."""
    grids = {
        n.value.value.id
        for n in ast.walk(function)
        if isinstance(n, ast.Subscript)
        and isinstance(n.value, ast.Subscript)
        and isinstance(n.value.value, ast.Name)
    }
    out: list[str] = []
    for c in _collections_near(file, s):
        out += [f"len({c})", f"len({c}) - 1"] + ([f"len({c}[0])"] if c in grids else [])
    return out


def _stored(function: ast.AST) -> set[str]:
    return {
        n.id
        for n in ast.walk(function)
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)
    }


def _store_position(file: File, name: ast.Name) -> tuple[int, int]:
    """Where a binding takes effect: after its statement's value is read (the statement's end)."""
    where = file.parents.get(id(name))
    if where is not None and isinstance(where[0], ast.NamedExpr):
        walrus = where[0]  # `(x := f())` binds where it is written, not at the statement's end
        return walrus.end_lineno or name.lineno, walrus.end_col_offset or 0
    while where is not None and not isinstance(where[0], ast.stmt):
        where = file.parents.get(id(where[0]))
    if where is None:
        return name.lineno, name.col_offset
    stmt = where[0]
    assert isinstance(stmt, ast.stmt)
    if isinstance(stmt, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith)):
        return name.lineno, name.col_offset  # bound before its body runs
    return stmt.end_lineno or stmt.lineno, stmt.end_col_offset or 0


def _uses(function: ast.AST, name: str) -> set[str]:
    """How ``name`` is used: ``append``-like calls, subscripts, arithmetic, ``len``..."""
    kinds: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == name:
                kinds.add("." + node.attr)
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            if node.value.id == name:
                kinds.add("[]")
        elif isinstance(node, (ast.BinOp, ast.AugAssign, ast.Compare)):
            operands = [getattr(node, f, None) for f in ("left", "right", "target", "value")]
            operands += getattr(node, "comparators", [])
            if any(isinstance(o, ast.Name) and o.id == name for o in operands):
                kinds.add("number")
        elif (
            isinstance(node, (ast.For, ast.comprehension))
            and isinstance(node.iter, ast.Name)
            and node.iter.id == name
        ):
            kinds.add("iterated")
    return kinds


def unread_params(function: ast.AST) -> list[str]:
    """Parameters the function never reads: what a left-out first statement read."""
    read = {
        n.id for n in ast.walk(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }
    return [p for p in _params(function, packed=False) if p != "self" and p not in read]


def _element_reads(function: ast.AST, s: Stmt, name: str) -> list[str]:
    """``xs[i]`` for a list ``xs`` subscripted beside ``name`` (compared with it, assigned it)
    and ``i`` a loop variable of a ``for`` around ``s``: the element a loop's turn reads."""
    lists: list[str] = []
    for node in ast.walk(function):
        if not isinstance(node, (ast.Compare, ast.Assign)):
            continue
        parts = list(ast.walk(node))
        if not any(isinstance(n, ast.Name) and n.id == name for n in parts):
            continue
        lists += [
            n.value.id
            for n in parts
            if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id != name
        ]
    loops = _loop_variables(function, s)
    return [f"{xs}[{i}]" for xs in dict.fromkeys(lists) for i in loops]


def _stored_into(function: ast.AST) -> set[str]:
    """Names whose elements are assigned (``xs[i] = v``, ``xs[i] += v``)."""
    return {
        n.value.id
        for n in ast.walk(function)
        if isinstance(n, ast.Subscript)
        and isinstance(n.ctx, ast.Store)
        and isinstance(n.value, ast.Name)
    }


def _values_for(file: File, s: Stmt, function: ast.AST, name: str) -> list[str]:
    """Values to give an unbound variable, those that fit its uses first."""
    uses = _uses(function, name)
    values: list[str] = []
    unread = unread_params(function)
    if uses & {"[]", "iterated"} or any(u.startswith(".") for u in uses):
        values += [v for p in unread for v in (f"list({p})", p)]
    elif "number" in uses:
        values += _element_reads(function, s, name)[:2]
    if uses & {".append", ".extend", ".pop", ".insert", "iterated"}:
        values += ["[]"]
    if ".add" in uses:
        values += ["set()"]
    if uses & {".get", ".items", ".keys", ".values", ".setdefault"}:
        values += ["{}"]
    scope = file.scope(s)
    if "[]" in uses and name in _stored_into(function):  # a table sized before its loop
        sizes = _sizes(file, s, function)
        values += [f"[0] * {n}" for n in sizes] + [f"[0] * ({n} + 1)" for n in sizes]
    if "[]" in uses:
        values += ["{}", "[]"]
    if "number" in uses or not uses:
        values += ["0", "1"]
        values += _lengths(file, s, function)[:4]
    kind = bool(uses & {"[]", "iterated"} or any(u.startswith(".") for u in uses))
    pool = {n: v for n, v in scope.names.items() if (n in scope.collections) == kind}
    near = nearest(pool, s.node.lineno, name)[:3]
    values += near
    if "number" in uses:
        values += [f"{n} {sign} 1" for n in near[:2] for sign in ("-", "+")]
        values.append(file.inf)
    if "[]" in uses:
        values += [f"list({c})" for c in near[:1]]
    self_attrs = scope.attrs.get("self", {})
    values += [f"self.{a}" for a in self_attrs if a.strip("_") == name or a.endswith(name)]
    values += [f"len({c})" for c in _collections_near(file, s)][:2]
    values += ["0", "1", "None", "[]", "-1", '""', "True", "False"]
    return list(dict.fromkeys(values))[:_VALUES_PER_NAME]


def define_var(site: Site) -> Iterator[Edit]:
    file, s = site.file, site.stmt
    if s is None:
        return
    function = _function(file, s)
    if function is None:
        return
    missing = unbound(file, function)
    here = [n for n in missing if any(
        isinstance(x, ast.Name) and x.id == n for x in site.nodes
    )]  # fmt: skip
    if not here:
        return
    places = [
        Spot(d.node.lineno, file.indent(d.node.lineno), f"before line {d.node.lineno}")
        for d in _chain(file, function, missing[here[0]].lineno)
    ]
    if all(p.line != s.node.lineno for p in places):
        places.append(
            Spot(s.node.lineno, file.indent(s.node.lineno), f"before line {s.node.lineno}")
        )
    assignments: list[tuple[str, str]] = []
    if len(here) == 1:
        name = here[0]
        assignments = [(f"{name} = {v}", name) for v in _values_for(file, s, function, name)]
    if len(here) == 1 and len(missing) == 2:
        # Two names left unbound are often one statement left out
        # (``lo, hi = 0, len(xs) - 1``): neither alone gets the function through.
        here = sorted(missing, key=lambda n: (missing[n].lineno, missing[n].col_offset))
    if len(here) > 1:
        pair = here[:2]
        pools = [_values_for(file, s, function, n)[:5] for n in pair]
        assignments += [
            (f"{pair[0]}, {pair[1]} = {a}, {b}", ", ".join(pair))
            for a, b in itertools.product(*pools)
        ]
    for spot in places:
        for text, _ in assignments:
            yield _insert(file, "define-var", spot, text, f"insert `{text}` {spot.words}")


def _chain(file: File, function: ast.AST, line: int) -> list[Stmt]:
    """The statements that hold ``line``, from the function's body inwards (whole lines only)."""
    out = [
        d for d in file.stmts
        if d.scope is function and d.node.lineno <= line <= (d.node.end_lineno or d.node.lineno)
        and file.whole(d.node) and not is_elif(file, d.node)
    ]  # fmt: skip
    return sorted(out, key=lambda d: d.node.lineno)


# ----- insert-control -----


def _in_loop(file: File, s: Stmt) -> bool:
    where: ast.AST | None = s.owner
    node: ast.AST = s.node
    while where is not None and not isinstance(where, DEFS):
        if isinstance(where, _LOOPS) and node in getattr(where, "body", []):
            return True
        info = file.info.get(id(where))
        if info is None:
            return False
        node, where = where, info.owner
    return False


def insert_control(site: Site) -> Iterator[Edit]:
    file, s = site.file, site.stmt
    if s is None or isinstance(s.node, DEFS) or is_elif(file, s.node):
        return
    function = _function(file, s)
    statements: list[str] = []
    if _in_loop(file, s) or isinstance(s.node, _LOOPS):
        statements += ["continue", "break"]
    if function is not None:
        returns = [n for n in ast.walk(function) if isinstance(n, ast.Return)]
        texts = [file.text(r.value) if r.value is not None else "" for r in returns]
        for text in dict.fromkeys(texts):
            if "\n" not in text and len(text) <= 40:
                statements.append(f"return {text}".rstrip())
        if not any(texts):
            statements.append("return")
        statements += [f"return {v}" for v in _empty_like(file, s, returns)]
        scope = file.scope(s)
        statements += [f"return {n}" for n in nearest(scope.names, s.node.lineno)[:3]]
    for text in dict.fromkeys(statements):
        for spot in spots(file, s):
            yield _insert(file, "insert-control", spot, text, f"insert `{text}` {spot.words}")


def _empty_like(file: File, s: Stmt, returns: list[ast.Return]) -> list[str]:
    """The empty value of each kind the function returns: ``[]``, ``""``, ``0``, ``False``."""
    scope = file.scope(s)
    out: list[str] = []
    for r in returns:
        v = r.value
        if isinstance(v, (ast.List, ast.ListComp)) or (
            isinstance(v, ast.Name) and v.id in scope.collections
        ):
            out.append("[]")
        elif isinstance(v, (ast.JoinedStr, ast.Constant)) and isinstance(
            getattr(v, "value", ""), str
        ):
            out.append('""')
        elif isinstance(v, ast.Constant) and isinstance(v.value, bool):
            out += ["False", "True"]
        elif isinstance(v, (ast.Constant, ast.BinOp, ast.Name)):
            out += ["0", "-1"]
    return list(dict.fromkeys(out))


# ----- insert-guard -----

_EXITS = (ast.Return, ast.Raise, ast.Continue, ast.Break)


def insert_guard(site: Site) -> Iterator[Edit]:
    file, s = site.file, site.stmt
    if s is None or isinstance(s.node, DEFS) or is_elif(file, s.node):
        return
    function = _function(file, s)
    if function is None or s.owner is not function:
        return  # a guard goes at the top of the function, before its first statements
    scope = file.scope(s)
    guards: dict[str, None] = {}
    params = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    returns = [n for n in ast.walk(function) if isinstance(n, ast.Return)]
    values = [file.text(r.value) for r in returns if r.value is not None]
    values = [v for v in values if "\n" not in v and len(v) <= 40]
    values += _empty_like(file, s, returns)
    for name in params:
        if name in scope.collections:
            for value in dict.fromkeys(values or ["None"]):
                guards.setdefault(f"if not {name}:\n    return {value}", None)
    for text in _file_guards(file, s, scope.names, scope.collections):
        guards.setdefault(text, None)
    spot = Spot(s.node.lineno, file.indent(s.node.lineno), f"before line {s.node.lineno}")
    for text in guards:
        what = f"insert `{short(text)}` {spot.words}"
        yield _insert(file, "insert-guard", spot, text, what)


def _file_guards(
    file: File, s: Stmt, names: dict[str, list[int]], collections: set[str]
) -> list[str]:
    """The one-line guards (``if c: return v``) of the file's other functions, as they are
    when every name they use exists here, else with their one unknown name replaced by
    the nearest names of the same kind."""
    out: list[str] = []
    for d in file.stmts:
        node = d.node
        if d.scope is s.scope or d.scope is None or not isinstance(node, ast.If):
            continue
        if node.orelse or len(node.body) != 1 or not isinstance(node.body[0], _EXITS):
            continue
        if (node.end_lineno or node.lineno) - node.lineno > 1:
            continue
        text = f"if {file.text(node.test)}:\n    {file.text(node.body[0])}"
        used = sorted({n.id for n in ast.walk(node) if isinstance(n, ast.Name)})
        unknown = [n for n in used if n not in names and n not in _BUILTINS]
        if not unknown:
            out.append(text)
        elif len(unknown) == 1:
            old = unknown[0]
            kind = old in _collection_names(d)
            pool = {n: v for n, v in names.items() if (n in collections) == kind}
            for new in nearest(pool, s.node.lineno)[:_SWAPS]:
                out.append(re.sub(rf"\b{re.escape(old)}\b", new, text))
    return out


def _collection_names(d: Stmt) -> set[str]:
    """Names a guard treats as collections: ``not xs``, ``len(xs)``, ``x in xs``."""
    found: set[str] = set()
    for n in ast.walk(d.node):
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.Not):
            if isinstance(n.operand, ast.Name):
                found.add(n.operand.id)
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "len":
            found.update(a.id for a in n.args if isinstance(a, ast.Name))
        elif isinstance(n, ast.Compare) and any(isinstance(o, (ast.In, ast.NotIn)) for o in n.ops):
            found.update(c.id for c in n.comparators if isinstance(c, ast.Name))
    return found


# ----- insert-reset -----


def _statement_in_function(site: Site) -> tuple[File, Stmt, ast.AST] | None:
    """The site's file, statement and function, when the site is a plain statement of one."""
    file, s = site.file, site.stmt
    if s is None or isinstance(s.node, DEFS) or is_elif(file, s.node):
        return None
    function = _function(file, s)
    return None if function is None else (file, s, function)


def insert_reset(site: Site) -> Iterator[Edit]:
    found = _statement_in_function(site)
    if found is None:
        return
    file, s, function = found
    line = s.node.lineno
    fills = _element_values(function)
    seen: dict[str, None] = {}
    for node in ast.walk(function):
        if not (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id in fills
            and abs(node.lineno - line) <= 3
            and not isinstance(node.slice, ast.Slice)
        ):
            continue
        for value in fills[node.value.id]:
            seen.setdefault(f"{file.text(node)} = {value}", None)
            # The element a loop's turn is about, where the read nearby is offset from it
            # (``dp[t] = True`` once ``dp[t - x]`` is).
            for index in _loop_variables(function, s):
                seen.setdefault(f"{node.value.id}[{index}] = {value}", None)
    for text in seen:
        for spot in spots(file, s):
            yield _insert(file, "insert-reset", spot, text, f"insert `{text}` {spot.words}")


def _loop_variables(function: ast.AST, s: Stmt) -> list[str]:
    """The names ``for`` loops around ``s`` bind, innermost first."""
    loops = [
        (n.lineno, n.target.id)
        for n in ast.walk(function)
        if isinstance(n, (ast.For, ast.AsyncFor))
        and isinstance(n.target, ast.Name)
        and n.lineno <= s.node.lineno <= (n.end_lineno or n.lineno)
    ]
    return [name for _, name in sorted(loops, reverse=True)]


# ----- insert-push -----


def insert_push(site: Site) -> Iterator[Edit]:
    """``xs.append(v)`` for a list the function pops but never adds to: a stack or queue
    whose push was left out."""
    found = _statement_in_function(site)
    if found is None:
        return
    file, s, function = found
    taken: set[str] = set()
    added = _stored_into(function)
    for node in ast.walk(function):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.attr in ("pop", "popleft"):
                taken.add(node.value.id)
            elif node.attr in ("append", "appendleft", "extend", "insert", "add"):
                added.add(node.value.id)
    stacks = sorted(taken - added)
    if not stacks:
        return
    scope = file.scope(s)
    line = s.node.lineno
    loops = _loop_variables(function, s)
    plain = {n: v for n, v in scope.names.items() if n not in scope.collections}
    values = list(dict.fromkeys([*loops, *nearest(plain, line)[:_SWAPS]]))
    for stack in stacks:
        for value in values:
            if value == stack:
                continue
            text = f"{stack}.append({value})"
            for spot in spots(file, s):
                yield _insert(file, "insert-push", spot, text, f"insert `{text}` {spot.words}")


def _element_values(function: ast.AST) -> dict[str, list[str]]:
    """List -> the literals its elements get: what it is filled with (``[0] * n``) first,
    then what single elements are set to (``xs[0] = 1``)."""
    out: dict[str, list[str]] = {}
    for node in ast.walk(function):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            continue
        target, value = node.targets[0], node.value
        if isinstance(target, ast.Name) and isinstance(value, ast.BinOp):
            # ``[0] * n``, and each part of ``[True] + [False] * n``.
            for side in ast.walk(value):
                if isinstance(side, ast.List) and len(side.elts) == 1:
                    element = side.elts[0]
                    if isinstance(element, ast.Constant):
                        out.setdefault(target.id, []).insert(0, repr(element.value))
        elif (
            isinstance(target, ast.Subscript)
            and isinstance(target.value, ast.Name)
            and isinstance(value, ast.Constant)
        ):
            out.setdefault(target.value.id, []).append(repr(value.value))
    return {k: list(dict.fromkeys(v)) for k, v in out.items()}


# ----- insert-adapted -----


def insert_adapted(site: Site) -> Iterator[Edit]:
    file, s = site.file, site.stmt
    if s is None or isinstance(s.node, DEFS) or is_elif(file, s.node):
        return
    scope = file.scope(s)
    here = set(scope.names) | set(scope.attrs) | {"self"}
    line = s.node.lineno
    existing = {_key(file.text(d.node)) for d in file.stmts if d.scope is s.scope}
    made: dict[str, str] = {}
    for donor in _donors(file, s):
        text = file.text(donor.node)
        names = sorted({n.id for n in ast.walk(donor.node) if isinstance(n, ast.Name)})
        other = donor.scope is not s.scope
        if other and all(n in here or n in _BUILTINS for n in names):
            made.setdefault(text, f"from line {donor.node.lineno}")
        for name in names:
            if name not in scope.names and not other:
                continue
            kind = name in scope.collections
            pool = {n: v for n, v in scope.names.items() if (n in scope.collections) == kind}
            for new in nearest(pool, line, name)[:_SWAPS]:
                changed = _rename(donor.node, file, name, new)
                if changed is not None and _key(changed) not in existing:
                    made.setdefault(changed, f"line {donor.node.lineno} with `{new}` for `{name}`")
        for base, attr in _attributes(donor.node):
            for new in nearest(scope.attrs.get(base, {}), line, attr)[:_SWAPS]:
                changed = _rename(donor.node, file, attr, new, base)
                if changed is not None and _key(changed) not in existing:
                    origin = f"line {donor.node.lineno} with `{base}.{new}` for `{base}.{attr}`"
                    made.setdefault(changed, origin)
    for text, origin in made.items():
        for spot in spots(file, s):
            what = f"insert `{short(text)}` ({origin}) {spot.words}"
            yield _insert(file, "insert-adapted", spot, text, what)


def _attributes(node: ast.stmt) -> list[tuple[str, str]]:
    """``(base, attr)`` of each ``base.attr`` the statement uses, not called."""
    called = {id(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)}
    found = {
        (n.value.id, n.attr)
        for n in ast.walk(node)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and id(n) not in called
    }
    return sorted(found)


def _key(text: str) -> str:
    return " ".join(text.split())


def _donors(file: File, s: Stmt) -> list[Stmt]:
    """Short simple statements of the file, this function's and its class's nearest first."""
    line = s.node.lineno
    out = []
    for d in file.stmts:
        node = d.node
        if not isinstance(node, _SIMPLE) or d.node is s.node or d.scope is None:
            continue
        if (node.end_lineno or node.lineno) - node.lineno > 1 or file.multiline_string(node):
            continue
        if isinstance(node, ast.Expr) and not isinstance(node.value, ast.Call):
            continue  # docstrings and bare expressions
        out.append(d)
    out.sort(key=lambda d: (d.scope is not s.scope, abs(d.node.lineno - line), d.node.lineno))
    return out[:_DONORS]


def _rename(node: ast.stmt, file: File, old: str, new: str, base: str | None = None) -> str | None:
    """The statement's text with every name ``old`` (or attribute ``base.old``) written ``new``."""
    start, _ = file.span(node)
    text = file.text(node)
    if base is None:
        spans = [file.span(n) for n in ast.walk(node) if isinstance(n, ast.Name) and n.id == old]
    else:
        spans = [
            (file.span(n)[1] - len(old), file.span(n)[1])
            for n in ast.walk(node)
            if isinstance(n, ast.Attribute)
            and n.attr == old
            and isinstance(n.value, ast.Name)
            and n.value.id == base
        ]
    if not spans:
        return None
    for a, b in sorted(spans, reverse=True):
        text = text[: a - start] + new + text[b - start :]
    return text
