"""Which statements printed a golden-output run's first wrong line, and from which names.

A golden-output task compares what the program's own ``main()`` prints with the
reference's output (:mod:`duckfix.golden`); a failing run's outcome carries the
first line that differs and, within it, the first whitespace-separated element
that differs (:class:`duckfix.models.Difference`). The statements that print
are the output calls (``printf``, ``puts``, ``fputs(..., stdout)``, ...) the
failing run ran (gcov, per run). A call whose format string, read as a pattern
(``%d`` a number, ``%s`` any text, the literal text as it is), matches the wrong
line (or the line that should have come) printed it; the conversion that printed
the differing element names the argument, and so the names, the wrong value
came from. Those calls start the value slice (:func:`duckfix.agents.values.c_slice`)
in place of the kernel's output parameters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from duckfix.models import TestOutcome, TestReport

__all__ = ["Root", "format_pattern", "printed_roots"]

Key = tuple[str, int]
Root = frozenset[str] | None
"""The names a printing line's wrong value was read from; None: any name it reads."""

_CALL = re.compile(r"\b(printf|puts|putchar|fputs|fputc|putc|fprintf|fwrite)\s*\(")
_TO_STDOUT = ("printf", "puts", "putchar")
_STRING = re.compile(r'"((?:\\.|[^"\\])*)"')
_SPEC = re.compile(
    r"%([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?(?:hh|h|ll|l|L|z|j|t)?([diouxXeEfgGaAcsp%])"
)
_CONVERSIONS = {
    "d": r"[-+]?\d+", "i": r"[-+]?\d+", "u": r"\d+", "o": r"[0-7]+",
    "x": r"[0-9a-fA-F]+", "X": r"[0-9a-fA-F]+", "c": r".", "s": r".*?", "p": r"\S+",
    **dict.fromkeys("eEfgGaA", r"[-+]?(?:[0-9a-fA-FxXpP.]+(?:[eE][-+]?\d+)?|inf|nan|INF|NAN)"),
}  # fmt: skip
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'", "0": "\0", "r": "\r"}
_IDENT = re.compile(r"[A-Za-z_]\w*")


def format_pattern(fmt: str) -> tuple[re.Pattern[str], list[int]] | None:
    """``fmt`` (a C format string, escapes undone) as a pattern with one group per
    conversion, and for each group the index of the argument it prints; None if
    ``fmt`` prints nothing checkable (no literal text and no conversion)."""
    parts: list[str] = []
    args: list[int] = []
    argument = 0
    at = 0
    for spec in _SPEC.finditer(fmt):
        parts.append(re.escape(fmt[at : spec.start()]))
        at = spec.end()
        conversion = spec.group(4)
        if conversion == "%":
            parts.append("%")
            continue
        argument += sum(1 for g in (spec.group(2), spec.group(3)) if g == "*")
        # A field width pads with spaces (or zeros, which the number's pattern takes).
        parts.append(r"\s*(" + _CONVERSIONS[conversion] + r")\s*")
        args.append(argument)
        argument += 1
    parts.append(re.escape(fmt[at:]))
    if not args and not fmt.strip():
        return None
    return re.compile("".join(parts), re.DOTALL), args


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text)


def _arguments(code: str, start: int) -> list[str]:
    """The top-level arguments of the call whose ``(`` is at ``start`` (to the line's end)."""
    depth, current, out = 0, "", []
    in_string = False
    for i in range(start, len(code)):
        ch = code[i]
        if in_string:
            current += ch
            if ch == '"' and code[i - 1] != "\\":
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch == "(":
            depth += 1
            if depth == 1:
                continue
        elif ch == ")":
            depth -= 1
            if depth == 0:
                break
        elif ch == "," and depth == 1:
            out.append(current.strip())
            current = ""
            continue
        current += ch
    out.append(current.strip())
    return out


def _element_span(line: str, element: int | None) -> tuple[int, int] | None:
    tokens = list(re.finditer(r"\S+", line))
    if element is None or not 1 <= element <= len(tokens):
        return None
    return tokens[element - 1].span()


def _printed_by(code: str, wrong: Sequence[tuple[str, int | None]]) -> tuple[bool, Root]:
    """Whether the output call on this line of ``code`` printed one of the ``wrong`` lines
    (text, differing element), and the names of the argument that printed the element."""
    call = _CALL.search(code)
    if call is None:
        return False, None
    args = _arguments(code, call.end() - 1)
    strings = [(i, _STRING.fullmatch(a)) for i, a in enumerate(args)]
    literal = next(((i, m) for i, m in strings if m is not None), None)
    if literal is None:
        return False, None
    position, match = literal
    fmt = _unescape(match.group(1))
    if call.group(1) != "printf" and call.group(1) != "fprintf":
        fmt = fmt.replace("%", "%%")  # puts / fputs print their text as it is
    names: Root = None
    for segment in (s for s in fmt.split("\n") if s.strip()):
        found = format_pattern(segment)
        if found is None:
            continue
        pattern, owners = found
        for text, element in wrong:
            hit = pattern.fullmatch(text) or (
                pattern.search(text) if re.search(r"[^\s%]", _SPEC.sub("", segment)) else None
            )
            if hit is None:
                continue
            span = _element_span(text, element)
            for group, owner in enumerate(owners, 1):
                start, end = hit.span(group)
                if span is not None and start < span[1] and span[0] < end:
                    arg = args[position + 1 + owner] if position + 1 + owner < len(args) else ""
                    names = frozenset(_IDENT.findall(arg))
            return True, names
    return False, None


def _is_output(code: str) -> bool:
    call = _CALL.search(code)
    if call is None:
        return False
    return call.group(1) in _TO_STDOUT or "stdout" in code[call.end() :]


def printed_roots(
    program: Mapping[str, str],
    files: Sequence[str],
    ran: set[Key],
    traced: TestReport,
    baseline: TestReport,
) -> dict[Key, Root]:
    """The output calls that printed a failing run's first wrong line (with the names of
    the argument that printed its first wrong element); when no call's format matches,
    every output call the failing runs ran. Empty when no run failed on its output."""
    wrong = [o for o in baseline.failed if o.first_difference is not None]
    if not wrong:
        return {}
    runs: dict[str, TestOutcome] = {o.name: o for o in traced.outcomes}
    outputs: dict[Key, str] = {}
    for path in files:
        source = program[path].split("\n")
        for p, number in ran:
            if p == path and 0 < number <= len(source) and _is_output(source[number - 1]):
                outputs[(path, number)] = source[number - 1]
    matched: dict[Key, Root] = {}
    reached: set[Key] = set()
    for outcome in wrong:
        diff = outcome.first_difference
        assert diff is not None
        texts = [(t, diff.element) for t in (diff.actual, diff.expected) if t is not None]
        traced_run = runs.get(outcome.name)
        for key, call in outputs.items():
            lines = traced_run.lines if traced_run is not None else None
            if lines is not None and key[1] not in lines.get(key[0], ()):
                continue  # this run did not print from here
            reached.add(key)
            hit, names = _printed_by(call, texts)
            if hit:
                known = matched.get(key, frozenset())
                matched[key] = None if names is None or known is None else known | names
    return matched or dict.fromkeys(sorted(reached))
