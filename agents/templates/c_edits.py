"""Patch templates for C and HLS C++: token edits at a suspect line.

C sources are edited as text, token by token, so everything but the edited
token keeps its form (comments, pragmas, spacing). The templates are the
Python families' that make sense in C plus the ones HLS designers need:

| template | what it does | prior |
| --- | --- | --- |
| c-comparison | ``<`` / ``<=`` / ``>`` / ``>=`` / ``==`` / ``!=`` replaced by a neighbour | 0.9 |
| c-bound | a loop bound ``N - 1`` -> ``N``, ``N`` -> ``N - 1`` / ``N + 1`` | 0.85 |
| c-boolean | ``&&`` <-> ``||`` | 0.8 |
| c-width | an ``ap_int<W>`` / ``ap_fixed<W,I>`` width moved; a C integer widened | 0.75 |
| c-operator | ``+`` <-> ``-``, ``*`` <-> ``/``, ``<<`` <-> ``>>``, ``&`` ``|`` ``^`` | 0.7 |
| c-assign | ``=`` -> ``+=`` and ``+=`` / ``-=`` -> ``=`` (an accumulator reset or not) | 0.7 |
| c-negate | an assigned value negated, or its leading minus dropped | 0.45 |
| c-literal | an integer literal ``n`` -> ``n + 1`` / ``n - 1``; ``0`` -> ``~0`` (all ones) | 0.6 |
| c-index | two subscripts swapped: ``a[i][j]`` -> ``a[j][i]`` | 0.6 |
| c-swap-args | two adjacent arguments of a call swapped | 0.5 |
| c-signedness | ``unsigned`` <-> signed; a cast at a comparison or shift added / removed | 0.5 |
| c-variable | an identifier replaced by another of the same kind used nearby | 0.4 |
| c-delete | the statement on the line deleted | 0.3 |
| c-reset, -insert, -move, -break | a statement added or moved (`c_statements`) | 0.15-0.35 |

Pragma lines, comments and preprocessor lines are never edited; a candidate
that does not compile fails its first validation run like any wrong one.

c-width tries, for ``ap_int<W>`` / ``ap_uint<W>``: ``W + 1``, then the widths
other declarations of the file use (nearest first, at most three), then
``W - 1``; for ``ap_fixed<W,I>`` / ``ap_ufixed<W,I>``: ``<W+1,I+1>`` (one more
integer bit), ``<W+1,I>`` (one more fraction bit), the file's other pairs,
``<W-1,I-1>``, ``<W-1,I>``. C integers only widen: ``short`` -> ``int``,
``int`` -> ``long long``, ``int8_t`` / ``int16_t`` / ``int32_t`` (and the
``uint`` ones) to the next size.

c-signedness flips ``unsigned int`` <-> ``int`` (``unsigned short`` / ``long``
/ ``char`` likewise), ``uintN_t`` <-> ``intN_t``, ``ap_uint<W>`` <->
``ap_int<W>``, ``ap_ufixed`` <-> ``ap_fixed``; it removes an ``(int)`` /
``(unsigned)`` cast (or one to another integer type) next to a comparison or
shift, and adds one to an operand that has none: ``(int)`` first at a
comparison, ``(unsigned)`` first at a shift (a logical ``>>``).

Types are the business of c-width and c-signedness alone: the other templates
never edit a template's name or anything between its brackets (``ap_int<12>``
is a width, not a literal to bump), nor swap a type name for a variable. Two
kinds of type edit are left out because they cannot help: the types on a
function's definition line when a prototype of that function is in sight (a
definition that no longer matches its header does not link), and, on a
``for`` line, a C counter widened from 32 bits or made unsigned (no test
bench counts past 2**31, and an unsigned counter only adds a wrap below zero).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from duckfix.agents.templates.c_statements import C_STATEMENT_PRIORS, statement_edits
from duckfix.agents.templates.candidate import Candidate, edit_span
from duckfix.models import Suspect

__all__ = ["C_PRIORS", "C_SUFFIXES", "generate_c"]

C_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".h", ".hh", ".hpp")
C_PRIORS: dict[str, float] = {
    "c-comparison": 0.9,
    "c-bound": 0.85,
    "c-boolean": 0.8,
    "c-width": 0.75,
    "c-operator": 0.7,
    "c-assign": 0.7,
    "c-negate": 0.45,
    "c-literal": 0.6,
    "c-index": 0.6,
    "c-swap-args": 0.5,
    "c-signedness": 0.5,
    "c-variable": 0.4,
    "c-delete": 0.3,
    **C_STATEMENT_PRIORS,
}

_TOKEN = re.compile(
    r"(?P<ws>\s+)|(?P<comment>//.*|/\*.*?\*/)|(?P<string>\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*')"
    r"|(?P<number>0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*)|(?P<name>[A-Za-z_]\w*)"
    r"|(?P<op><<=|>>=|<<|>>|<=|>=|==|!=|&&|\|\||\+=|-=|\*=|/=|&=|\|=|\^=|->|::|\+\+|--|[-+*/%<>=!&|^~?:;,.()\[\]{}])"
    r"|(?P<other>.)"
)
_COMPARISONS = {"<": ["<=", ">"], "<=": ["<", ">="], ">": [">=", "<"], ">=": [">", "<="],
                "==": ["!="], "!=": ["=="]}  # fmt: skip
_OPERATORS = {"+": ["-"], "-": ["+"], "*": ["/"], "/": ["*"], "<<": [">>"], ">>": ["<<"],
              "&": ["|", "^"], "|": ["&", "^"], "^": ["|", "&"]}  # fmt: skip
_KEYWORDS = frozenset(
    [
        "if",
        "else",
        "for",
        "while",
        "do",
        "return",
        "break",
        "continue",
        "switch",
        "case",
        "default",
        "sizeof",
        "static",
        "const",
        "constexpr",
        "void",
        "int",
        "unsigned",
        "signed",
        "char",
        "short",
        "long",
        "float",
        "double",
        "bool",
        "struct",
        "typedef",
        "auto",
        "register",
        "volatile",
        "inline",
        "template",
        "typename",
        "class",
        "public",
        "private",
        "namespace",
        "using",
        "true",
        "false",
        "new",
        "delete",
    ]
)


class _Tok:
    __slots__ = ("end", "kind", "start", "text")

    def __init__(self, kind: str, text: str, start: int) -> None:
        self.kind, self.text, self.start, self.end = kind, text, start, start + len(text)


def _tokens(line: str) -> list[_Tok]:
    out = []
    for m in _TOKEN.finditer(line):
        kind = m.lastgroup or "other"
        if kind not in ("ws", "comment"):
            out.append(_Tok(kind, m.group(), m.start()))
    return out


def _replace(line: str, tok: _Tok, text: str) -> str:
    return line[: tok.start] + text + line[tok.end :]


def _is_binary(toks: list[_Tok], i: int) -> bool:
    """An operator with an operand on its left (not a unary minus or a pointer star)."""
    if i == 0:
        return False
    left = toks[i - 1]
    return left.kind in ("name", "number") or left.text in (")", "]")


@dataclass(frozen=True)
class _FileInfo:
    """What the type templates read beyond the suspect line."""

    widths: tuple[int, ...] = ()
    """``ap_int`` / ``ap_uint`` widths the suspect's file declares, in order of first use."""
    fixed: tuple[tuple[int, int], ...] = ()
    """``ap_fixed`` / ``ap_ufixed`` (W, I) pairs the suspect's file declares."""
    prototyped: frozenset[str] = frozenset()
    """Functions that some source declares with a prototype."""


_AP_WIDTH = re.compile(r"\bap_u?int\s*<\s*(\d+)\s*>")
_AP_FIXED = re.compile(r"\bap_u?fixed\s*<\s*(\d+)\s*,\s*(\d+)\s*[,>]")
# A declaration ending in `);` at the start of a line: `ap_int<20> vecsum(const ...);`.
# Not a call: a call has no type before its name, or an `=` / `return` there.
_PROTOTYPE = re.compile(
    r"^(?![ \t]*(?:return|else|case|goto|delete|throw)\b)[ \t]*[A-Za-z_][\w:<>,*& \t]*?"
    r"[ \t*&>](\w+)[ \t]*\([^;{}]*\)[ \t]*(?:const[ \t]*)?;",
    re.MULTILINE,
)


def _file_info(sources: dict[str, str], path: str) -> _FileInfo:
    text = sources[path]
    widths = dict.fromkeys(int(m[1]) for m in _AP_WIDTH.finditer(text))
    fixed = dict.fromkeys((int(m[1]), int(m[2])) for m in _AP_FIXED.finditer(text))
    prototyped = {
        m[1] for name, src in sources.items() if name.endswith(C_SUFFIXES)
        for m in _PROTOTYPE.finditer(src)
    }  # fmt: skip
    return _FileInfo(tuple(widths), tuple(fixed), frozenset(prototyped))


def _edits(
    line: str, names: Sequence[str], info: _FileInfo | None = None
) -> Iterator[tuple[str, str, str]]:
    """(template, new line, description) for one line of C."""
    stripped = line.strip()
    if not stripped or stripped.startswith(("#", "//", "/*", "*")):
        return
    toks = _tokens(line)
    in_for = bool(toks) and toks[0].text == "for"
    spans = _template_spans(toks)
    # A template's name and everything between its brackets are types: only
    # c-width and c-signedness edit them (`ap_int<12>`'s 12 is no literal to bump).
    typed = {i for name, _, close in spans for i in range(name, close + 1)}
    for i, tok in enumerate(toks):
        if i in typed:
            continue
        if tok.kind == "op" and tok.text in _COMPARISONS and _is_binary(toks, i):
            for new in _COMPARISONS[tok.text]:
                yield "c-comparison", _replace(line, tok, new), f"{tok.text} -> {new}"
            if in_for:
                # The bound of a loop condition: i < N -> i < N - 1 / N + 1.
                bound = i + 1
                while bound < len(toks) and toks[bound].text not in (";", ")", "&&", "||"):
                    bound += 1
                last = toks[bound - 1]
                rhs = line[toks[i + 1].start : last.end] if i + 1 < bound else ""
                if rhs.endswith(" - 1") or rhs.endswith("-1"):
                    new_rhs = re.sub(r"\s*-\s*1$", "", rhs)
                    yield (
                        "c-bound",
                        line[: toks[i + 1].start] + new_rhs + line[last.end :],
                        f"{rhs} -> {new_rhs}",
                    )
                elif rhs:
                    for delta in (" - 1", " + 1"):
                        yield (
                            "c-bound",
                            line[: last.end] + delta + line[last.end :],
                            f"{rhs} -> {rhs}{delta}",
                        )
        elif tok.text in ("&&", "||"):
            new = "||" if tok.text == "&&" else "&&"
            yield "c-boolean", _replace(line, tok, new), f"{tok.text} -> {new}"
        elif tok.kind == "op" and tok.text in _OPERATORS and _is_binary(toks, i):
            for new in _OPERATORS[tok.text]:
                yield "c-operator", _replace(line, tok, new), f"{tok.text} -> {new}"
        elif tok.text == "=" and i > 0 and not in_for:
            yield "c-assign", _replace(line, tok, "+="), "= -> +="
            yield from _negations(line, toks, i)
        elif tok.text in ("+=", "-="):
            yield "c-assign", _replace(line, tok, "="), f"{tok.text} -> ="
        elif tok.kind == "number":
            value = tok.text.rstrip("uUlL")
            suffix = tok.text[len(value) :]
            if value.isdigit():
                n = int(value)
                for value_ in (n + 1, n - 1):
                    if value_ >= 0:
                        yield (
                            "c-literal",
                            _replace(line, tok, f"{value_}{suffix}"),
                            f"{tok.text} -> {value_}{suffix}",
                        )
                if n == 0:
                    yield "c-literal", _replace(line, tok, "~0"), "0 -> ~0 (all ones)"
        elif tok.kind == "name" and tok.text not in _KEYWORDS and not _is_type_name(tok.text):
            # Only like for like: short index names (i, j, k) among themselves,
            # longer names among themselves; anything else rarely compiles.
            short = len(tok.text) <= 2
            for other in names:
                if other != tok.text and (len(other) <= 2) == short:
                    yield "c-variable", _replace(line, tok, other), f"{tok.text} -> {other}"
    yield from _index_swaps(line, toks)
    yield from _argument_swaps(line, toks)
    info = info or _FileInfo()
    if _defined_name(toks) not in info.prototyped:
        yield from _width_edits(line, toks, spans, info, in_for)
        yield from _signedness_edits(line, toks, spans, typed, in_for)
    if stripped.endswith(";") and not stripped.startswith(("return", "}")) and "{" not in stripped:
        yield "c-delete", "", f"delete `{stripped[:50]}`"


def _negations(line: str, toks: list[_Tok], at: int) -> Iterator[tuple[str, str, str]]:
    """The value assigned at ``toks[at]`` (an ``=``) negated, or its leading minus dropped."""
    end = next((j for j in range(at + 1, len(toks)) if toks[j].text in (";", ",")), None)
    if end is None or end == at + 1:
        return
    first, last = toks[at + 1], toks[end - 1]
    value = line[first.start : last.end]
    if first.text == "-" and end - at > 2:
        rest = line[toks[at + 2].start : last.end]
        yield "c-negate", line[: first.start] + rest + line[last.end :], f"-{rest} -> {rest}"
        return
    simple = _operand_end(toks, at + 1) == end - 1 or end - at == 2
    new = f"-{value}" if simple else f"-({value})"
    yield "c-negate", line[: first.start] + new + line[last.end :], f"{value} -> {new}"


def _template_spans(toks: list[_Tok]) -> list[tuple[int, int, int]]:
    """(name, ``<``, ``>``) token indices of each template argument list (``ap_int<12>``)."""
    out: list[tuple[int, int, int]] = []
    stack: list[int] = []
    for i, tok in enumerate(toks):
        if tok.text == "<" and i > 0 and toks[i - 1].text in _TEMPLATES:
            stack.append(i)
        elif tok.text == ">" and stack:
            opened = stack.pop()
            out.append((opened - 1, opened, i))
        elif tok.text == ">>" and len(stack) >= 2:  # ap_int<ap_uint<3>> in C++11
            for opened in (stack.pop(), stack.pop()):
                out.append((opened - 1, opened, i))
    return out


_TEMPLATES = frozenset(
    [
        "ap_int",
        "ap_uint",
        "ap_fixed",
        "ap_ufixed",
        "stream",
        "vector",
        "array",
        "complex",
        "static_cast",
        "reinterpret_cast",
        "const_cast",
        "numeric_limits",
    ]
)


def _index_swaps(line: str, toks: list[_Tok]) -> Iterator[tuple[str, str, str]]:
    # a[x][y] with simple subscripts: a[y][x]
    for i in range(len(toks) - 5):
        t = toks[i : i + 6]
        if t[0].text == "[" and t[2].text == "]" and t[3].text == "[" and t[5].text == "]":
            a, b = t[1], t[4]
            if a.kind in ("name", "number") and b.kind in ("name", "number") and a.text != b.text:
                new = line[: a.start] + b.text + line[a.end : b.start] + a.text + line[b.end :]
                yield "c-index", new, f"[{a.text}][{b.text}] -> [{b.text}][{a.text}]"


def _argument_swaps(line: str, toks: list[_Tok]) -> Iterator[tuple[str, str, str]]:
    for i, tok in enumerate(toks):
        if tok.text != "(" or i == 0 or toks[i - 1].kind != "name" or toks[i - 1].text in _KEYWORDS:
            continue
        depth, args, start = 0, [], i + 1
        for j in range(i + 1, len(toks)):
            text = toks[j].text
            if text in "([{":
                depth += 1
            elif text in ")]}":
                if depth == 0:
                    args.append((start, j - 1))
                    break
                depth -= 1
            elif text == "," and depth == 0:
                args.append((start, j - 1))
                start = j + 1
        for (a0, a1), (b0, b1) in itertools.pairwise(args):
            if a1 < a0 or b1 < b0:
                continue
            first = line[toks[a0].start : toks[a1].end]
            second = line[toks[b0].start : toks[b1].end]
            if first == second:
                continue
            new = (
                line[: toks[a0].start]
                + second
                + line[toks[a1].end : toks[b0].start]
                + first
                + line[toks[b1].end :]
            )
            yield "c-swap-args", new, f"swap {first} and {second} in {toks[i - 1].text}()"


# --- types: c-width and c-signedness ---------------------------------------------------

_STDINT = re.compile(r"^(u?)int(8|16|32|64)_t$")
_OTHER_TYPES = frozenset(["size_t", "ssize_t", "ptrdiff_t", "intptr_t", "uintptr_t"])
_INT_WORDS = frozenset(["unsigned", "signed", "int", "short", "long", "char"])
_SIGN_FLIPS = {"ap_int": "ap_uint", "ap_uint": "ap_int", "ap_fixed": "ap_ufixed",
               "ap_ufixed": "ap_fixed"}  # fmt: skip
_SHIFTS = frozenset(["<<", ">>"])
_CONTROL = frozenset(["if", "else", "for", "while", "do", "switch", "return", "case", "goto"])
_MAX_FILE_WIDTHS = 3


def _is_type_name(name: str) -> bool:
    return name in _TEMPLATES or name in _OTHER_TYPES or _STDINT.match(name) is not None


def _defined_name(toks: list[_Tok]) -> str | None:
    """The function a definition line (``ap_int<20> f(...) {``) defines; None for other lines."""
    if not toks or toks[0].kind != "name" or toks[0].text in _CONTROL:
        return None
    if toks[-1].text not in ("{", ")"):
        return None
    for j, tok in enumerate(toks):
        if tok.text in ("=", ";"):
            return None
        if tok.text == "(":
            name = toks[j - 1] if j else None
            if name is None or name.kind != "name" or name.text in _KEYWORDS:
                return None
            return None if name.text in _TEMPLATES else name.text
    return None


def _near(value: int, others: Sequence[int], skip: set[int]) -> list[int]:
    """Up to a few of ``others``, nearest to ``value`` first (the larger on a tie)."""
    pool = {o for o in others if o not in skip}
    return sorted(pool, key=lambda o: (abs(o - value), -o))[:_MAX_FILE_WIDTHS]


def _width_edits(
    line: str, toks: list[_Tok], spans: list[tuple[int, int, int]], info: _FileInfo, in_for: bool
) -> Iterator[tuple[str, str, str]]:
    for name, opened, closed in spans:
        kind, args = toks[name].text, toks[opened + 1 : closed]
        if kind in ("ap_int", "ap_uint") and len(args) == 1 and args[0].text.isdigit():
            w = int(args[0].text)
            # One more bit first: a too narrow accumulator is the common bug.
            widths = [w + 1, *_near(w, info.widths, {w - 1, w, w + 1}), w - 1]
            for width in (n for n in widths if n >= 1):
                edited = _replace(line, args[0], str(width))
                yield "c-width", edited, f"{kind}<{w}> -> {kind}<{width}>"
        elif (
            kind in ("ap_fixed", "ap_ufixed") and len(args) >= 3 and args[1].text == ","
            and args[0].text.isdigit() and args[2].text.isdigit()
        ):  # fmt: skip
            w, i = int(args[0].text), int(args[2].text)
            near = [(w + 1, i + 1), (w + 1, i)]
            far = [(w - 1, i - 1), (w - 1, i)] if w > 1 else []
            pool = {p for p in info.fixed if p not in (*near, *far, (w, i))}
            others = sorted(pool, key=lambda p: (abs(p[0] - w) + abs(p[1] - i), -p[0], -p[1]))
            for nw, ni in [*near, *others[:_MAX_FILE_WIDTHS], *far]:
                new = (
                    line[: args[0].start] + str(nw)
                    + line[args[0].end : args[2].start] + str(ni) + line[args[2].end :]
                )  # fmt: skip
                yield "c-width", new, f"{kind}<{w},{i}> -> {kind}<{nw},{ni}>"
    for j, tok in enumerate(toks):
        prev = toks[j - 1].text if j else ""
        after = toks[j + 1] if j + 1 < len(toks) else None
        m = _STDINT.match(tok.text)
        if tok.text == "short" and prev not in ("short", "long"):
            end = after if after is not None and after.text == "int" else tok
            old = line[tok.start : end.end]
            yield "c-width", line[: tok.start] + "int" + line[end.end :], f"{old} -> int"
        elif m and m[2] in ("8", "16"):  # on a for line too: a uint8_t i < 256 never ends
            new = f"{m[1]}int{int(m[2]) * 2}_t"
            yield "c-width", _replace(line, tok, new), f"{tok.text} -> {new}"
        elif in_for:
            continue  # a 32-bit loop counter does not overflow in any test bench
        elif m and m[2] == "32":
            new = f"{m[1]}int64_t"
            yield "c-width", _replace(line, tok, new), f"{tok.text} -> {new}"
        elif tok.text == "int" and prev not in ("short", "long"):
            yield "c-width", _replace(line, tok, "long long"), "int -> long long"
        elif tok.text in ("unsigned", "signed") and (after is None or after.text not in _INT_WORDS):
            new = line[: tok.end] + " long long" + line[tok.end :]
            yield "c-width", new, f"{tok.text} -> {tok.text} long long"


def _signedness_edits(
    line: str, toks: list[_Tok], spans: list[tuple[int, int, int]], typed: set[int], in_for: bool
) -> Iterator[tuple[str, str, str]]:
    for name, opened, closed in spans:
        kind = toks[name].text
        if kind in _SIGN_FLIPS:
            args = line[toks[opened].start : toks[closed].start] + ">"
            new = _replace(line, toks[name], _SIGN_FLIPS[kind])
            yield "c-signedness", new, f"{kind}{args} -> {_SIGN_FLIPS[kind]}{args}"
    for j, tok in enumerate(toks):
        prev = toks[j - 1].text if j else ""
        after = toks[j + 1] if j + 1 < len(toks) else None
        if tok.text == "unsigned":
            if after is not None and after.text in ("int", "short", "long"):
                new = line[: tok.start] + line[after.start :]
                yield "c-signedness", new, f"unsigned {after.text} -> {after.text}"
            elif after is not None and after.text == "char":
                # A plain char's sign is the platform's choice: say signed.
                yield "c-signedness", _replace(line, tok, "signed"), "unsigned char -> signed char"
            else:
                yield "c-signedness", _replace(line, tok, "int"), "unsigned -> int"
        elif (m := _STDINT.match(tok.text)) and m[1]:
            new = tok.text[1:]
            yield "c-signedness", _replace(line, tok, new), f"{tok.text} -> {new}"
        elif in_for:
            continue  # made unsigned, a counter only gains a wrap below zero
        elif tok.text == "signed":
            yield "c-signedness", _replace(line, tok, "unsigned"), "signed -> unsigned"
        elif tok.text in _INT_WORDS and prev not in _INT_WORDS:
            new = line[: tok.start] + "unsigned " + line[tok.start :]
            yield "c-signedness", new, f"{tok.text} -> unsigned {tok.text}"
        elif m and not m[1]:
            new = "u" + tok.text
            yield "c-signedness", _replace(line, tok, new), f"{tok.text} -> {new}"
    yield from _cast_edits(line, toks, typed, in_for)


def _match(toks: list[_Tok], i: int) -> int | None:
    """Index of the bracket matching ``toks[i]`` (after an opener, before a closer)."""
    pairs = {"(": ")", "[": "]", ")": "(", "]": "["}
    here, there = toks[i].text, pairs[toks[i].text]
    step = 1 if here in "([" else -1
    depth = 0
    j = i
    while 0 <= j < len(toks):
        if toks[j].text == here:
            depth += 1
        elif toks[j].text == there:
            depth -= 1
            if depth == 0:
                return j
        j += step
    return None


def _operand_end(toks: list[_Tok], start: int) -> int | None:
    """Last token of the postfix expression (``a[i].x``, ``f(y)``, ``(a - b)``) at ``start``."""
    tok = toks[start]
    end: int | None
    if tok.text == "(":
        end = _match(toks, start)
    elif tok.kind == "name" and tok.text not in _KEYWORDS:
        end = start
    else:
        return None  # a literal, or a unary operator
    while end is not None and end + 1 < len(toks):
        nxt = toks[end + 1].text
        if nxt in ("(", "["):
            end = _match(toks, end + 1)
        elif nxt in (".", "->") and end + 2 < len(toks) and toks[end + 2].kind == "name":
            end += 2
        else:
            break
    return end


def _operand_start(toks: list[_Tok], end: int) -> int | None:
    """First token of the postfix expression that ends at ``end``."""
    j = end
    while True:
        tok = toks[j]
        if tok.text in (")", "]"):
            opener = _match(toks, j)
            if opener is None or opener == 0:
                return None
            before = toks[opener - 1]
            if tok.text == "]" or (before.kind == "name" and before.text not in _KEYWORDS):
                j = opener - 1  # what is indexed or called
                continue
            start = opener
        elif tok.kind == "name" and tok.text not in _KEYWORDS:
            start = j
        else:
            return None
        if start >= 2 and toks[start - 1].text in (".", "->"):
            j = start - 2
            continue
        return start


def _casts(toks: list[_Tok]) -> dict[int, int]:
    """``(`` -> ``)`` of each C cast to an integer type (``(unsigned)``, ``(int32_t)``)."""
    out: dict[int, int] = {}
    for j, tok in enumerate(toks):
        if tok.text != "(":
            continue
        before = toks[j - 1] if j else None
        if before is not None and (
            before.text in (")", "]") or (before.kind == "name" and before.text != "return")
        ):
            continue  # a call, or sizeof(int)
        k = j + 1
        while k < len(toks) and (toks[k].text in _INT_WORDS or _STDINT.match(toks[k].text)):
            k += 1
        if k == j + 1 or k + 1 >= len(toks) or toks[k].text != ")":
            continue
        if toks[k + 1].kind in ("name", "number") or toks[k + 1].text == "(":
            out[j] = k
    return out


def _cast_edits(
    line: str, toks: list[_Tok], typed: set[int], in_for: bool
) -> Iterator[tuple[str, str, str]]:
    def at(i: int) -> bool:
        """A comparison or a shift (not a template bracket, not a unary sign) at ``i``."""
        text = toks[i].text
        return (text in _COMPARISONS or text in _SHIFTS) and i not in typed and _is_binary(toks, i)

    casts = _casts(toks)
    closers = set(casts.values())
    for opened, closed in casts.items():
        end = _operand_end(toks, closed + 1)
        end = closed + 1 if end is None else end  # a literal: `(unsigned)1 << n`
        if (opened > 0 and at(opened - 1)) or (end + 1 < len(toks) and at(end + 1)):
            cast = line[toks[opened].start : toks[closed].end]
            operand = line[toks[closed + 1].start : toks[end].end]
            new = line[: toks[opened].start] + line[toks[closed + 1].start :]
            yield "c-signedness", new, f"{cast}{operand} -> {operand}"
    if in_for:
        return  # the counter's comparison: a cast changes nothing a test can see
    for i in range(len(toks)):
        if not at(i):
            continue
        operands: list[tuple[int, int]] = []
        end = i - 1
        start = _operand_start(toks, end)
        if start is not None:
            operands.append((start, end))
        if toks[i].text not in _SHIFTS and i + 1 < len(toks):  # a shift count's sign is moot
            right = _operand_end(toks, i + 1)
            if right is not None:
                operands.append((i + 1, right))
        order = ("(unsigned)", "(int)") if toks[i].text in _SHIFTS else ("(int)", "(unsigned)")
        for start, end in operands:
            if start > 0 and start - 1 in closers:
                continue  # already cast: removing it is the other edit
            operand = line[toks[start].start : toks[end].end]
            for cast in order:
                new = line[: toks[start].start] + cast + line[toks[start].start :]
                yield "c-signedness", new, f"{operand} -> {cast}{operand}"


def _line_starts(text: str) -> list[int]:
    """The offset of each line of ``text`` (lines end at ``\\n``, as ``split("\\n")`` cuts them)."""
    return [0, *(m.end() for m in re.finditer("\n", text))]


def _names_near(text: str, starts: Sequence[int], line: int) -> list[str]:
    lo, hi = max(0, line - 15), min(len(starts), line + 15)
    end = starts[hi] - 1 if hi < len(starts) else len(text)
    seen: dict[str, None] = {}
    for chunk in text[starts[lo] : end].split("\n"):
        for tok in _tokens(chunk):
            if tok.kind == "name" and tok.text not in _KEYWORDS and not _is_type_name(tok.text):
                seen.setdefault(tok.text, None)
    return list(seen)


def generate_c(
    sources: dict[str, str],
    suspects: Sequence[Suspect],
    *,
    limit: int | None = None,
    per_line: int | None = None,
) -> list[Candidate]:
    """Candidates for C suspect lines, best first (score = suspect score x prior), unique."""
    scored: list[tuple[float, float, int, int, Candidate]] = []
    seen: set[tuple[str, int, int, str]] = set()
    done: set[tuple[str, int]] = set()
    infos: dict[str, _FileInfo] = {}
    starts: dict[str, list[int]] = {}
    for rank, suspect in enumerate(suspects):
        key = (suspect.path, suspect.line)
        text = sources.get(suspect.path)
        if key in done or text is None or not suspect.path.endswith(C_SUFFIXES):
            continue
        done.add(key)
        if suspect.path not in starts:
            starts[suspect.path] = _line_starts(text)
        offsets = starts[suspect.path]
        if not 1 <= suspect.line <= len(offsets):
            continue
        low = offsets[suspect.line - 1]
        high = offsets[suspect.line] - 1 if suspect.line < len(offsets) else len(text)
        original = text[low:high]
        names = _names_near(text, offsets, suspect.line - 1)
        if suspect.path not in infos:
            infos[suspect.path] = _file_info(sources, suspect.path)
        edits = itertools.chain(
            _spans(text, low, high, suspect.line, _edits(original, names, infos[suspect.path])),
            _statement_spans(text, offsets, suspect.line),
        )
        kept = 0
        for seq, (template, span, description) in enumerate(edits):
            if per_line is not None and kept >= per_line:
                break
            if (span[0] == span[1] and not span[2]) or (suspect.path, *span) in seen:
                continue
            seen.add((suspect.path, *span))
            kept += 1
            prior = C_PRIORS[template]
            scored.append((
                -suspect.score * prior, -prior, rank, seq,
                Candidate(
                    path=suspect.path, line=suspect.line, template=template,
                    description=f"{suspect.path}:{suspect.line}: {description}",
                    start=span[0], end=span[1], replacement=span[2],
                    prior=prior, score=suspect.score * prior,
                    size=len(span[2]) + span[1] - span[0],
                ),
            ))  # fmt: skip
    scored.sort(key=lambda s: s[:4])
    out = [s[4] for s in scored]
    return out[:limit] if limit is not None else out


_Span = tuple[str, tuple[int, int, str], str]
"""(template, (start, end, replacement) in the file, description)."""


def _spans(
    text: str, low: int, high: int, line: int, edits: Iterator[tuple[str, str, str]]
) -> Iterator[_Span]:
    """The one-line edits of line ``line`` (``text[low:high]``) as spans of the file."""
    last = text.count("\n", 0, low) + 1 == text.count("\n") + 1
    for template, new_line, description in edits:
        if new_line or template != "c-delete":
            span = edit_span(text, low, high, new_line)
        elif not last:
            span = edit_span(text, low, high + 1, "")  # the line and its line end
        else:  # the last line, and the line end before it
            span = edit_span(text, max(low - 1, 0), high, "")
        yield template, span, description


def _statement_spans(text: str, offsets: Sequence[int], line: int) -> Iterator[_Span]:
    """Statements inserted or moved at ``line`` (:mod:`.c_statements`), as spans of the file."""
    lines = text.split("\n")
    for template, first, last, new, description in statement_edits(lines, line):
        start = offsets[first - 1] if first - 1 < len(offsets) else len(text)
        end = offsets[last] if last < len(offsets) else len(text)
        if start == len(text) and not text.endswith("\n"):
            new = "\n" + new.removesuffix("\n")
        elif end == len(text) and not text.endswith("\n"):
            new = new.removesuffix("\n")
        yield template, edit_span(text, start, end, new), description
