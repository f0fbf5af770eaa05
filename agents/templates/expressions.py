"""Expression templates: edits inside a line, one expression at a time.

Operators (compare, arithmetic, bitwise, boolean), off-by-one, negation, swapped
operands or arguments, another variable, another initial or returned value, a
dropped clause.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from itertools import pairwise

from duckfix.agents.templates.sites import Site, in_comprehension, nearest
from duckfix.agents.templates.spans import (
    ATOM,
    BIN_PREC,
    COMPREHENSIONS,
    DEFS,
    Edit,
    File,
    _prec,  # private: templates name their own locals `prec`
    short,
)

__all__ = [
    "arith_op",
    "bitwise_op",
    "bool_op",
    "compare_op",
    "drop_clause",
    "init_value",
    "negate",
    "negate_value",
    "off_by_one",
    "replace_var",
    "return_if",
    "return_value",
    "swap_args",
    "swap_chars",
    "swap_operands",
]

_CMP: dict[type[ast.cmpop], str] = {
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
    ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in",
}  # fmt: skip
_CMP_ALT: dict[str, tuple[str, ...]] = {
    "<": ("<=", ">", ">=", "!=", "=="),
    "<=": ("<", ">=", ">", "==", "!="),
    ">": (">=", "<", "<=", "!=", "=="),
    ">=": (">", "<=", "<", "==", "!="),
    "==": ("!=", "<=", ">=", "<", ">"),
    "!=": ("==", "<", ">", "<=", ">="),
    "is": ("is not", "=="),
    "is not": ("is", "!="),
    "in": ("not in",),
    "not in": ("in",),
}
_BIN: dict[type[ast.operator], str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
    ast.Pow: "**", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<",
    ast.RShift: ">>", ast.MatMult: "@",
}  # fmt: skip
_BIN_BY_SYMBOL = {symbol: op for op, symbol in _BIN.items()}
_ARITH_ALT: dict[str, tuple[str, ...]] = {
    "+": ("-", "*", "//", "/", "%", "**"),
    "-": ("+", "*", "//", "/", "%", "**"),
    "*": ("//", "+", "/", "-", "**", "%"),
    "/": ("//", "*", "%", "-", "+", "**"),
    "//": ("/", "%", "*", "-", "+", "**"),
    "%": ("//", "/", "*", "-", "+", "**"),
    "**": ("*", "//", "+", "-", "/", "%"),
}
_BIT_ALT: dict[str, tuple[str, ...]] = {
    "&": ("|", "^"), "|": ("&", "^"), "^": ("|", "&"), "<<": (">>",), ">>": ("<<",),
}  # fmt: skip
_CONDITIONS = {(ast.If, "test"), (ast.While, "test"), (ast.IfExp, "test"), (ast.Assert, "test"),
               (ast.comprehension, "ifs")}  # fmt: skip
_ADDS = (ast.Add, ast.Sub)
_SEQUENCES = (ast.JoinedStr, ast.List, ast.Tuple, ast.ListComp, ast.Dict, ast.Set)
_NOT_NUMBERS = (*_SEQUENCES, *COMPREHENSIONS, ast.Compare, ast.BoolOp, ast.Lambda, ast.Slice,
                ast.Constant, ast.Starred)  # fmt: skip


def _op_edits(
    file: File, template: str, left: ast.AST, right: ast.AST, symbol: str,
    alternatives: Sequence[str], node: ast.AST | None = None,
) -> Iterator[Edit]:  # fmt: skip
    """Replace the operator between two operands; ``node`` is a BinOp to keep whole."""
    where = file.op_span(left, right, symbol)
    if where is None:
        return
    start, end = where
    for new in alternatives:
        text = new
        if new[0].isalpha():
            text = ("" if file.source[start - 1].isspace() else " ") + text
            text += "" if file.source[end].isspace() else " "
        parts = [(start, end, text)]
        if isinstance(node, ast.BinOp) and new in _BIN_BY_SYMBOL:
            # The new operator may bind differently: keep the tree the AST had.
            prec = BIN_PREC[_BIN_BY_SYMBOL[new]]
            low, high = (15, 13) if new == "**" else (prec, prec + 1)
            parts += [*file.wrap(node.left, low), *file.wrap(node.right, high)]
            span = file.span(node)
            if file.needs_parens(node, prec):
                parts += [(span[0], span[0], "("), (span[1], span[1], ")")]
        what = f"replace `{symbol}` with `{new}` on line {file.line_of(start)}"
        yield Edit(template, tuple(parts), what)


def compare_op(site: Site) -> Iterator[Edit]:
    file, nodes = site.file, site.nodes
    for node in nodes:
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for i, op in enumerate(node.ops):
                symbol = _CMP[type(op)]
                yield from _op_edits(
                    file, "compare-op", operands[i], operands[i + 1], symbol, _CMP_ALT[symbol]
                )


def _int(node: ast.AST) -> int | None:
    """The value of an int literal (not a bool)."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    return None


def _bound(file: File, node: ast.expr) -> bool:
    """Whether ``node`` is an index, a slice bound, a range() argument, a compared value..."""
    if isinstance(node, _NOT_NUMBERS) or (
        isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)
    ):
        return False
    where = file.parents.get(id(node))
    if where is None:
        return False
    parent, name = where
    if isinstance(parent, ast.Tuple):
        where = file.parents.get(id(parent))
        return where is not None and isinstance(where[0], ast.Subscript) and where[1] == "slice"
    if isinstance(parent, ast.Call):
        func = parent.func
        return name == "args" and isinstance(func, ast.Name) and func.id == "range"
    if isinstance(parent, (ast.Assign, ast.Return)):
        return isinstance(node, (ast.Name, ast.Attribute))
    if isinstance(parent, ast.BinOp):
        # `(a + b) // 2` vs `(a + b + 1) // 2`: rounding down or up.
        return isinstance(parent.op, ast.FloorDiv) and name == "left"
    return (
        (isinstance(parent, ast.Subscript) and name == "slice")
        or isinstance(parent, ast.Slice)
        or (isinstance(parent, ast.Compare) and name == "comparators")
    )


def off_by_one(site: Site) -> Iterator[Edit]:
    file, nodes = site.file, site.nodes
    what = "replace `{old}` with `{new}` on line {line}"
    for node in nodes:
        if (value := _int(node)) is not None:
            where = file.parents.get(id(node))
            for delta in (1, -1):
                new = value + delta
                parent = where[0] if where and where[1] == "right" else None
                if new == 0 and isinstance(parent, ast.BinOp) and isinstance(parent.op, _ADDS):
                    continue  # `x + 0`: the same as dropping the adjustment, below
                yield file.replace("off-by-one", node, str(new), 13 if new < 0 else ATOM, what)
        elif (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, _ADDS)
            and _int(node.right) is not None
        ):
            yield file.replace("off-by-one", node, file.text(node.left), _prec(node.left), what)
        elif _bound(file, node):
            text = file.text(node)
            if _prec(node, text) < BIN_PREC[ast.Add]:
                text = f"({text})"
            for sign in ("+", "-"):
                yield file.replace("off-by-one", node, f"{text} {sign} 1", 11, what)


def _negation(file: File, node: ast.expr, what: str, template: str = "negate-condition") -> Edit:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        text = file.text(node.operand)
        what = "remove the `not` from `{old}` on line {line}"
        return file.replace(template, node, text, _prec(node.operand, text), what)
    text = file.text(node)
    text = f"not {text}" if _prec(node, text) == ATOM else f"not ({text})"
    return file.replace(template, node, text, 5, what)


def negate_value(site: Site) -> Iterator[Edit]:
    s = site.stmt
    if s is None or not isinstance(s.node, (ast.Assign, ast.Return)) or s.node.value is None:
        return
    value = s.node.value
    # Only what may be a truth value: a plain name, an element, a test.
    if isinstance(value, (ast.Name, ast.Subscript, ast.Attribute, ast.Compare, ast.BoolOp)) or (
        isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.Not)
    ):
        yield _negation(site.file, value, "negate `{old}` on line {line}", "negate-value")


def negate(site: Site) -> Iterator[Edit]:
    file, nodes = site.file, site.nodes
    for node in nodes:
        where = file.parents.get(id(node))
        if where is None or (type(where[0]), where[1]) not in _CONDITIONS:
            continue
        if isinstance(node, ast.Constant):
            continue
        yield _negation(file, node, "negate the condition `{old}` on line {line}")
        if isinstance(node, ast.BoolOp):
            for value in node.values:
                yield _negation(file, value, "negate `{old}` in the condition on line {line}")
            first = node.values[0]
            if isinstance(first, ast.UnaryOp) and isinstance(first.op, ast.Not):
                # `not` binds tighter than and/or: a classic slip is `not a and b`
                # meant as `not (a and b)`.
                start, end = file.span(node)
                (a, b), operand = file.span(first), file.text(first.operand)
                if _prec(first.operand, operand) <= _prec(node):
                    operand = f"({operand})"
                text = f"not ({file.source[start:a]}{operand}{file.source[b:end]})"
                what = "extend the `not` over the whole condition `{old}` on line {line}"
                yield file.replace("negate-condition", node, text, 5, what)


def bool_op(site: Site) -> Iterator[Edit]:
    file, nodes = site.file, site.nodes
    for node in nodes:
        if not isinstance(node, ast.BoolOp):
            continue
        symbol, other = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
        pairs = list(pairwise(node.values))
        edits = [e for a, b in pairs for e in _op_edits(file, "bool-op", a, b, symbol, (other,))]
        yield from edits
        if len(edits) == len(pairs) > 1:
            parts = tuple(p for e in edits for p in e.parts)
            what = f"replace every `{symbol}` with `{other}` on line {file.line_of(parts[0][0])}"
            yield Edit("bool-op", parts, what)


def arith_op(site: Site) -> Iterator[Edit]:
    file, line, nodes = site.file, site.line, site.nodes
    yield from _operators(file, line, nodes, "arith-op", _ARITH_ALT)


def bitwise_op(site: Site) -> Iterator[Edit]:
    file, line, nodes = site.file, site.line, site.nodes
    yield from _operators(file, line, nodes, "bitwise-op", _BIT_ALT)


def _text_like(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (str, bytes))
    return isinstance(node, (*_SEQUENCES, *COMPREHENSIONS))


def _operators(
    file: File, line: int, nodes: list[ast.expr], template: str, table: dict[str, tuple[str, ...]]
) -> Iterator[Edit]:
    for node in nodes:
        if isinstance(node, ast.BinOp) and _BIN[type(node.op)] in table:
            # Concatenation, repetition, %-formatting: other operators make no sense there.
            if _text_like(node.left) or _text_like(node.right):
                continue
            symbol = _BIN[type(node.op)]
            yield from _op_edits(file, template, node.left, node.right, symbol, table[symbol], node)
    for s in file.at.get(line, ()):
        aug = s.node
        if isinstance(aug, ast.AugAssign) and _BIN[type(aug.op)] in table:
            if _text_like(aug.value):
                continue
            symbol = _BIN[type(aug.op)]
            alternatives = [alt + "=" for alt in table[symbol]]
            yield from _op_edits(file, template, aug.target, aug.value, symbol + "=", alternatives)


def swap_operands(site: Site) -> Iterator[Edit]:
    file, line, nodes = site.file, site.line, site.nodes
    for node in nodes:
        if isinstance(node, ast.BinOp) and not isinstance(
            node.op, (ast.Mult, ast.BitAnd, ast.BitOr, ast.BitXor)
        ):
            left, right, symbol = node.left, node.right, _BIN[type(node.op)]
            prec = BIN_PREC[type(node.op)]
            low, high = (15, 13) if symbol == "**" else (prec, prec + 1)
        elif isinstance(node, ast.Compare) and len(node.ops) == 1:
            left, right, symbol = node.left, node.comparators[0], _CMP[type(node.ops[0])]
            low = high = 7
        else:
            continue
        where = file.op_span(left, right, symbol)
        if where is None or file.text(left) == file.text(right):
            continue
        # Rebuild the node (its span covers any parentheses of its operands) when the
        # operator sits on one line; otherwise swap the operands in place.
        start, end = file.span(node)
        a, b = where
        while file.source[a - 1] in " \t":
            a -= 1
        while file.source[b] in " \t":
            b += 1
        what = f"swap the operands of `{short(file.text(node))}` on line {line}"
        if any(c in file.source[start:end] for c in "\r\n") or "#" in file.source[a:b]:
            yield _swap(file, "swap-operands", left, right, what)
            continue
        texts = [(file.text(o), o) for o in (right, left)]
        new_left, new_right = (
            t if _prec(o, t) >= m else f"({t})"
            for (t, o), m in zip(texts, (low, high), strict=True)
        )
        text = f"{new_left}{file.source[a:b]}{new_right}"
        yield Edit("swap-operands", ((start, end, text),), what)


def _swap(file: File, template: str, a: ast.expr, b: ast.expr, what: str) -> Edit:
    (a_start, a_end), (b_start, b_end) = file.span(a), file.span(b)
    parts = ((a_start, a_end, file.moved(b, a)), (b_start, b_end, file.moved(a, b)))
    return Edit(template, parts, what)


def swap_args(site: Site) -> Iterator[Edit]:
    file, line, nodes = site.file, site.line, site.nodes
    for node in nodes:
        if isinstance(node, ast.Call):
            items, kind = list(node.args), "arguments"
        elif isinstance(node, ast.Tuple) and isinstance(node.ctx, ast.Load):
            items, kind = list(node.elts), "elements"
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Subscript)
            and not isinstance(node.slice, (ast.Slice, ast.Tuple))
            and not isinstance(node.value.slice, (ast.Slice, ast.Tuple))
        ):
            items, kind = [node.value.slice, node.slice], "indices"
        else:
            continue
        if len(items) < 2 or any(isinstance(i, ast.Starred) for i in items):
            continue
        # Every pair of a short list; neighbours only in a long one.
        n = len(items)
        pairs = [(i, j) for i in range(n) for j in range(i + 1, n) if n <= 4 or j == i + 1]
        calls = _same_calls(site, node) if isinstance(node, ast.Call) else []
        for i, j in pairs:
            a, b = items[i], items[j]
            if file.text(a) != file.text(b):
                what = f"swap the {kind} `{short(file.text(a))}` and `{short(file.text(b))}`"
                yield _swap(file, "swap-args", a, b, f"{what} on line {line}")
                if calls:
                    yield _swap_everywhere(file, calls, i, j, f"{what} of every call to")


def _same_calls(site: Site, call: ast.Call) -> list[ast.Call]:
    """The calls of the same function with as many arguments in the scope of ``call``, itself
    included, when there are others and none holds another; else none.

    A helper whose parameters a caller has in the wrong order is most often
    called wrong everywhere (each call written from the same belief), and one
    call swapped alone may fix no test at all, so it would never be paired.
    """
    file = site.file
    if site.stmt is None:
        return []
    root = site.stmt.scope if site.stmt.scope is not None else file.tree
    name = file.text(call.func)
    same = [
        n
        for n in ast.walk(root)
        if isinstance(n, ast.Call)
        and len(n.args) == len(call.args)
        and not n.keywords
        and not any(isinstance(a, ast.Starred) for a in n.args)
        and file.text(n.func) == name
    ]
    spans = sorted(file.span(n) for n in same)
    if len(same) < 2 or any(a[1] > b[0] for a, b in pairwise(spans)):
        return []
    return same


def _swap_everywhere(file: File, calls: list[ast.Call], i: int, j: int, what: str) -> Edit:
    parts: list[tuple[int, int, str]] = []
    for call in calls:
        a, b = call.args[i], call.args[j]
        parts += _swap(file, "swap-args", a, b, "").parts
    name = short(file.text(calls[0].func))
    lines = sorted({c.lineno for c in calls})
    where = f"line{'s' if len(lines) > 1 else ''} {_listed(lines)}"
    return Edit("swap-args", tuple(sorted(parts)), f"{what} `{name}` ({where})")


def _listed(lines: list[int]) -> str:
    if len(lines) == 1:
        return str(lines[0])
    return ", ".join(map(str, lines[:-1])) + f" and {lines[-1]}"


def replace_var(site: Site) -> Iterator[Edit]:
    file, line, nodes = site.file, site.line, site.nodes
    here = file.at.get(line)
    if not here:
        return
    scope = file.scope(here[0])
    what = "replace `{old}` with `{new}` on line {line}"
    # A value read wrong is a commoner slip than a wrong name bound: the
    # assignment targets' replacements come after the reads'.
    targets: list[Edit] = []
    for node in nodes:
        where = file.parents.get(id(node))
        if where is not None and isinstance(where[0], ast.Call) and where[1] == "func":
            continue
        if isinstance(node, ast.Name) and _replaceable(file, node):
            pool = {**scope.names, **in_comprehension(file, node)}
            if node.id in pool:
                kind = node.id in scope.collections
                pool = {n: v for n, v in pool.items() if (n in scope.collections) == kind}
                read = isinstance(node.ctx, ast.Load)
                for name in nearest(pool, line, node.id):
                    if read and not _bound_before(file, node, scope.bound_at.get(name)):
                        continue
                    edit = file.replace("replace-var", node, name, ATOM, what)
                    if read:
                        yield edit
                    else:
                        targets.append(edit)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            attrs = scope.attrs.get(node.value.id, {})
            start, end = file.span(node)
            start = end - len(node.attr)
            if node.attr not in attrs or file.source[start:end] != node.attr:
                continue
            base = node.value.id
            for attr in nearest(attrs, line, node.attr):
                text = f"replace `{base}.{node.attr}` with `{base}.{attr}` on line {line}"
                yield Edit("replace-var", ((start, end, attr),), text)
    yield from targets
    # A variable used twice on a line is often wrong in both places (a copied line).
    uses: dict[str, list[ast.Name]] = {}
    for node in nodes:
        if isinstance(node, ast.Name) and node.id in scope.names and _replaceable(file, node):
            uses.setdefault(node.id, []).append(node)
    for name, same in uses.items():
        if len(same) < 2:
            continue
        kind = name in scope.collections
        pool = {n: v for n, v in scope.names.items() if (n in scope.collections) == kind}
        for other in nearest(pool, line, name):
            bound = scope.bound_at.get(other)
            if not all(_bound_before(file, u, bound) for u in same if isinstance(u.ctx, ast.Load)):
                continue
            parts = tuple((*file.span(u), other) for u in same)
            yield Edit(
                "replace-var", parts, f"replace every `{name}` with `{other}` on line {line}"
            )


def _bound_before(file: File, node: ast.Name, first: int | None) -> bool:
    """Whether a variable first bound on line ``first`` may hold a value where ``node`` reads.

    Read on its binding line or above, it is not bound yet (``UnboundLocalError``
    whenever the line runs), unless a loop around the read also holds the
    binding, which a later pass then sees. Names bound elsewhere (comprehension
    targets) are taken as bound.
    """
    if first is None or first < node.lineno:
        return True
    where = file.parents.get(id(node))
    while where is not None:
        parent = where[0]
        loop = isinstance(parent, (ast.For, ast.AsyncFor, ast.While))
        if loop and parent.lineno <= first <= (parent.end_lineno or parent.lineno):
            return True
        where = file.parents.get(id(parent))
    return False


def _replaceable(file: File, node: ast.Name) -> bool:
    """Uses, and plain assignment targets (not loop or comprehension variables)."""
    if isinstance(node.ctx, ast.Load):
        return True
    if isinstance(node.ctx, ast.Del):
        return False
    where = file.parents.get(id(node))
    while where is not None and isinstance(where[0], ast.Tuple):
        where = file.parents.get(id(where[0]))
    return where is not None and isinstance(where[0], (ast.Assign, ast.AugAssign, ast.AnnAssign))


def _number(node: ast.AST) -> int | None:
    """The value of an int literal, negative ones included."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _int(node.operand)
        return None if value is None else -value
    return _int(node)


def _infinite(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "float":
        arg = node.args[0] if len(node.args) == 1 else None
        return isinstance(arg, ast.Constant) and str(arg.value).strip().lower().lstrip("+-") in (
            "inf", "infinity",
        )  # fmt: skip
    return isinstance(node, ast.Attribute) and node.attr == "inf"


def _literals(file: File, node: ast.expr) -> list[tuple[str, int]]:
    """A small, generic set of other values for a literal: (text, precedence)."""
    inf = [(file.inf, ATOM), (f"-{file.inf}", 13)]
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return [(str(not node.value), ATOM)]
    if isinstance(node, ast.Constant) and node.value is None:
        return [("0", ATOM)]
    number = _number(node)
    if number is not None:
        return [(str(n), ATOM if n >= 0 else 13) for n in (0, 1, -1) if n != number] + inf
    if _infinite(node):
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return [(file.text(node.operand), ATOM), ("0", ATOM)]
        return [(f"-{file.text(node)}", 13), ("0", ATOM)]
    if isinstance(node, ast.List) and not node.elts:
        return [("[0]", ATOM), ("None", ATOM)]
    if isinstance(node, ast.Dict | ast.Set) and not (
        node.keys if isinstance(node, ast.Dict) else node.elts
    ):
        return [("None", ATOM)]
    if isinstance(node, ast.List) and len(node.elts) == 1:
        return [("[]", ATOM)]
    return []


def _element(value: ast.expr) -> ast.expr | None:
    """The one element a list is filled with: ``[x] * n``, ``[x for ...]``."""
    if isinstance(value, ast.ListComp):
        return value.elt
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Mult):
        for side in (value.left, value.right):
            if isinstance(side, ast.List) and len(side.elts) == 1:
                return side.elts[0]
    return None


def init_value(site: Site) -> Iterator[Edit]:
    file, line = site.file, site.line
    sites: list[tuple[ast.expr, str]] = []
    for s in file.at.get(line, ()):
        node, found = s.node, list[tuple[ast.expr, str]]()
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            value = node.value
            if (
                isinstance(value, ast.Tuple)
                and isinstance(target, ast.Tuple)
                and len(target.elts) == len(value.elts)
            ):
                found += [(v, file.text(t)) for t, v in zip(target.elts, value.elts, strict=True)]
            else:
                found.append((value, file.text(target)))
            found += [(e, f"{n}[...]") for v, n in found if (e := _element(v)) is not None]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            positional = [*args.posonlyargs, *args.args]
            positional = positional[len(positional) - len(args.defaults) :]
            found += [(d, a.arg) for a, d in zip(positional, args.defaults, strict=True)]
            found += [
                (d, a.arg) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d
            ]
        on_line = node.lineno == line
        sites += [(v, n) for v, n in found if on_line or v.lineno <= line <= (v.end_lineno or 0)]
    for value, name in sites:
        for text, prec in _literals(file, value):
            what = f"start `{short(name)}` at `{text}` instead of `{{old}}` on line {{line}}"
            yield file.replace("init-value", value, text, prec, what)


def return_value(site: Site) -> Iterator[Edit]:
    file, line, s = site.file, site.line, site.stmt
    if s is None or not isinstance(s.node, ast.Return):
        return
    value, scope = s.node.value, file.scope(s)
    if value is None or (isinstance(value, ast.Constant) and value.value is None):
        start, end = file.span(s.node)
        for name in nearest(scope.names, line):
            what = f"return `{name}` instead of nothing on line {line}"
            yield Edit("return-value", ((start, end, f"return {name}"),), what)
        return
    options: list[tuple[str, int]] = []
    operands: list[ast.expr] = []
    if isinstance(value, ast.BinOp):
        operands = [value.left, value.right]
    elif isinstance(value, ast.BoolOp):
        operands = list(value.values)
    elif isinstance(value, ast.IfExp):
        operands = [value.body, value.orelse]
    elif isinstance(value, ast.UnaryOp):
        operands = [value.operand]
    elif isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        operands = [a for a in value.args if not isinstance(a, ast.Starred)]
    elif isinstance(value, ast.Subscript) and not isinstance(value.slice, (ast.Slice, ast.Tuple)):
        operands = [value.slice, value.value]  # `return xs[i]` meant as `return i`
    options += [(file.text(o), _prec(o, file.text(o))) for o in operands]
    options += _literals(file, value)
    skip = value.id if isinstance(value, ast.Name) else ""
    for name in nearest(scope.names, line, skip):
        options.append((name, ATOM))
        if isinstance(value, ast.Constant) and isinstance(value.value, bool):
            options.append((f"not {name}", 5))  # a predicate: the truth of some variable
    for text, prec in options:
        what = "return `{new}` instead of `{old}` on line {line}"
        yield file.replace("return-value", value, text, prec, what)


def return_if(site: Site) -> Iterator[Edit]:
    """``return E`` in a loop of a predicate -> ``if E: return True`` (or ``if not E: return
    False``): the loop goes on to its next item unless ``E`` decides.

    Returning a recursive call's or a check's result at once ends the loop at
    its first item, whatever that item says (a depth-first search that gives up
    after the first neighbour). Made only in a function that returns ``True`` or
    ``False`` elsewhere, the literal the edit returns.
    """
    file, line, s = site.file, site.line, site.stmt
    if s is None or not isinstance(s.node, ast.Return) or s.node.value is None:
        return
    value = s.node.value
    if isinstance(value, ast.Constant) or not file.whole(s.node) or not _in_loop(file, s.node):
        return
    literals = _returned_bools(s.scope if s.scope is not None else file.tree, s.node)
    text = file.text(value)
    start, end = file.span(s.node)
    margin = file.lines[line - 1][: len(file.lines[line - 1]) - len(file.lines[line - 1].lstrip())]
    inner = margin + ("\t" if margin.startswith("\t") else "    ")
    plain = isinstance(value, (ast.Name, ast.Call, ast.Attribute, ast.Subscript))
    for literal, test in ((True, text), (False, f"not {text}" if plain else f"not ({text})")):
        if literal in literals:
            body = f"if {test}:{file.newline}{inner}return {literal}"
            what = f"return `{short(text)}` only when it is {literal} on line {line}"
            yield Edit("return-if", ((start, end, body),), what)


def _in_loop(file: File, node: ast.stmt) -> bool:
    where = file.parents.get(id(node))
    while where is not None and not isinstance(where[0], DEFS):
        if isinstance(where[0], (ast.For, ast.AsyncFor, ast.While)):
            return True
        where = file.parents.get(id(where[0]))
    return False


def _returned_bools(root: ast.AST, but: ast.Return) -> set[bool]:
    """The bool literals the function ``root`` returns itself (not its nested functions)."""
    out: set[bool] = set()
    stack = list(ast.iter_child_nodes(root))
    while stack:
        node = stack.pop()
        if isinstance(node, (*DEFS, ast.Lambda)):
            continue
        returned = node.value if isinstance(node, ast.Return) and node is not but else None
        if isinstance(returned, ast.Constant) and isinstance(returned.value, bool):
            out.add(returned.value)
        stack.extend(ast.iter_child_nodes(node))
    return out


_SHORT_TEXT = 8
"""Longest string literal whose adjacent characters ``swap-chars`` transposes."""


def swap_chars(site: Site) -> Iterator[Edit]:
    """Two adjacent characters of a short string literal transposed: ``"DC"`` -> ``"CD"``.

    The typing slip no other template undoes; short literals only (symbols,
    separators, codes), so a line of prose does not give dozens of candidates.
    """
    file, line = site.file, site.line
    for node in site.nodes:
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
            continue
        text, value = file.text(node), node.value
        plain = len(text) == len(value) + 2 and text[0] == text[-1] and text[0] in "'\""
        if not plain or "\\" in text or not 2 <= len(value) <= _SHORT_TEXT:
            continue
        start, end = file.span(node)
        for i in range(len(value) - 1):
            if value[i] != value[i + 1]:
                new = value[:i] + value[i + 1] + value[i] + value[i + 2 :]
                what = f"transpose `{value[i : i + 2]}` in {text} on line {line}"
                yield Edit("swap-chars", ((start + 1, end - 1, new),), what)


def drop_clause(site: Site) -> Iterator[Edit]:
    file, nodes = site.file, site.nodes
    for node in nodes:
        if not isinstance(node, ast.BoolOp):
            continue
        symbol = " and " if isinstance(node.op, ast.And) else " or "
        for i, value in enumerate(node.values):
            kept = [v for j, v in enumerate(node.values) if j != i]
            if len(kept) == 1:
                text, prec = file.text(kept[0]), _prec(kept[0], file.text(kept[0]))
            else:
                low = _prec(node) + 1
                texts = [(file.text(v), v) for v in kept]
                text = symbol.join(t if _prec(v, t) >= low else f"({t})" for t, v in texts)
                prec = _prec(node)
            what = f"drop `{short(file.text(value))}` from the condition on line {{line}}"
            yield file.replace("drop-clause", node, text, prec, what)
