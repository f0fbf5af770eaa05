"""Patch templates for C and HLS C++: token edits at a suspect line.

C sources are edited as text, token by token, so everything but the edited
token keeps its form (comments, pragmas, spacing). The templates are the
Python families' that make sense in C plus the ones HLS designers need:

| template | what it does | prior |
| --- | --- | --- |
| c-comparison | ``<`` / ``<=`` / ``>`` / ``>=`` / ``==`` / ``!=`` replaced by a neighbour | 0.9 |
| c-bound | a loop bound ``N - 1`` -> ``N``, ``N`` -> ``N - 1`` / ``N + 1`` | 0.85 |
| c-boolean | ``&&`` <-> ``||`` | 0.8 |
| c-operator | ``+`` <-> ``-``, ``*`` <-> ``/``, ``<<`` <-> ``>>``, ``&`` ``|`` ``^`` | 0.7 |
| c-assign | ``=`` -> ``+=`` and ``+=`` / ``-=`` -> ``=`` (an accumulator reset or not) | 0.7 |
| c-literal | an integer literal ``n`` -> ``n + 1`` / ``n - 1``; ``0`` -> ``~0`` (all ones) | 0.6 |
| c-index | two subscripts swapped: ``a[i][j]`` -> ``a[j][i]`` | 0.6 |
| c-swap-args | two adjacent arguments of a call swapped | 0.5 |
| c-variable | an identifier replaced by another of the same kind used nearby | 0.4 |
| c-delete | the statement on the line deleted | 0.3 |

Pragma lines, comments and preprocessor lines are never edited; a candidate
that does not compile fails its first validation run like any wrong one.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from duckfix.models import Suspect

if TYPE_CHECKING:
    from duckfix.agents.templates import Candidate

__all__ = ["C_PRIORS", "C_SUFFIXES", "generate_c"]

C_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".h", ".hh", ".hpp")
C_PRIORS: dict[str, float] = {
    "c-comparison": 0.9,
    "c-bound": 0.85,
    "c-boolean": 0.8,
    "c-operator": 0.7,
    "c-assign": 0.7,
    "c-literal": 0.6,
    "c-index": 0.6,
    "c-swap-args": 0.5,
    "c-variable": 0.4,
    "c-delete": 0.3,
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


def _edits(line: str, names: Sequence[str]) -> Iterator[tuple[str, str, str]]:
    """(template, new line, description) for one line of C."""
    stripped = line.strip()
    if not stripped or stripped.startswith(("#", "//", "/*", "*")):
        return
    toks = _tokens(line)
    in_for = bool(toks) and toks[0].text == "for"
    angle = _template_brackets(toks)
    for i, tok in enumerate(toks):
        if i in angle:
            continue  # the brackets of a template argument list, not a comparison
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
        elif tok.kind == "name" and tok.text not in _KEYWORDS:
            # Only like for like: short index names (i, j, k) among themselves,
            # longer names among themselves; anything else rarely compiles.
            short = len(tok.text) <= 2
            for other in names:
                if other != tok.text and (len(other) <= 2) == short:
                    yield "c-variable", _replace(line, tok, other), f"{tok.text} -> {other}"
    yield from _index_swaps(line, toks)
    yield from _argument_swaps(line, toks)
    if stripped.endswith(";") and not stripped.startswith(("return", "}")) and "{" not in stripped:
        yield "c-delete", "", f"delete `{stripped[:50]}`"


def _template_brackets(toks: list[_Tok]) -> set[int]:
    """Indices of ``<`` / ``>`` that open and close template arguments (``ap_int<12>``)."""
    out: set[int] = set()
    stack: list[int] = []
    for i, tok in enumerate(toks):
        if tok.text == "<" and i > 0 and toks[i - 1].text in _TEMPLATES:
            stack.append(i)
        elif tok.text == ">" and stack:
            out.update((stack.pop(), i))
        elif tok.text == ">>" and len(stack) >= 2:  # ap_int<ap_uint<3>> in C++11
            out.update((stack.pop(), stack.pop(), i))
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


def _names_near(lines: list[str], line: int) -> list[str]:
    lo, hi = max(0, line - 15), min(len(lines), line + 15)
    seen: dict[str, None] = {}
    for text in lines[lo:hi]:
        for tok in _tokens(text):
            if tok.kind == "name" and tok.text not in _KEYWORDS:
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
    from duckfix.agents.templates import Candidate

    scored: list[tuple[float, float, int, int, Candidate]] = []
    seen = set(sources.items())
    done: set[tuple[str, int]] = set()
    for rank, suspect in enumerate(suspects):
        key = (suspect.path, suspect.line)
        text = sources.get(suspect.path)
        if key in done or text is None or not suspect.path.endswith(C_SUFFIXES):
            continue
        done.add(key)
        lines = text.split("\n")
        if not 1 <= suspect.line <= len(lines):
            continue
        original = lines[suspect.line - 1]
        names = _names_near(lines, suspect.line - 1)
        kept = 0
        for seq, (template, new_line, description) in enumerate(_edits(original, names)):
            if per_line is not None and kept >= per_line:
                break
            new_lines = (
                lines[: suspect.line - 1]
                + ([new_line] if new_line or template != "c-delete" else [])
                + lines[suspect.line :]
            )
            source = "\n".join(new_lines)
            if (suspect.path, source) in seen:
                continue
            seen.add((suspect.path, source))
            kept += 1
            prior = C_PRIORS[template]
            scored.append((
                -suspect.score * prior, -prior, rank, seq,
                Candidate(
                    path=suspect.path, line=suspect.line, template=template,
                    description=f"{suspect.path}:{suspect.line}: {description}",
                    source=source, prior=prior, score=suspect.score * prior,
                    size=abs(len(new_line) - len(original)) + 1,
                ),
            ))  # fmt: skip
    scored.sort(key=lambda s: s[:4])
    out = [s[4] for s in scored]
    return out[:limit] if limit is not None else out
