"""The explainer, offline: a rubber-duck account of a bug and its fix, from data only.

It reads the unified diff line by line, lines starting with ``-`` and ``+``, and
classifies each change by comparing the old and new line token by token
(comparison changed, operator changed, off by one, wrong variable, arguments
swapped, statement added, removed or moved ...). The failing test gives the
input and expected vs actual output, the same test after the fix says whether
the fix made it pass, and the key variables (values at suspect lines in a
failing and a passing run) add evidence. Nothing is run, nothing is guessed:
what the data does not show (no failing test, a change too large to classify)
is left out rather than invented.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Protocol

from duckfix.models import Explanation, Patch, Task, TestCase, TestOutcome

__all__ = ["Block", "KeyVariableLike", "explain", "parse_diff"]

_SHOW = 70  # characters of a value or a line quoted in the explanation
# AddressSanitizer's and UBSan's report lines, as the C test benches pass them on.
_SANITIZER = re.compile(r"AddressSanitizer|LeakSanitizer|runtime error:")
_EVIDENCE_LINES = 5
_EVIDENCE_VARIABLES = 5


class KeyVariableLike(Protocol):
    """A variable's value at a suspect line in a failing run and in a passing run.

    The localizer's key variables fit; so does any object with these attributes.
    """

    @property
    def path(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def failing(self) -> str | None: ...
    @property
    def passing(self) -> str | None: ...


def explain(
    task: Task,
    patch: Patch,
    failing: TestOutcome | None,
    after: TestOutcome | None,
    key_variables: Sequence[KeyVariableLike] = (),
) -> Explanation:
    """Why the program failed and why the fix works, in plain words.

    ``failing`` is the first visible test that failed before the fix, ``after``
    the same test run against the fixed program; either may be missing.
    """
    accounts = _accounts(parse_diff(patch.diff))
    case = _find_case(task, failing.name) if failing else None
    call = _call(task, case) if case else None
    return Explanation(
        summary=_summary(task, accounts, failing, call),
        root_cause=" ".join(a.sentence for a in accounts) or "The patch changes no line.",
        why_fix_works=_why(accounts, failing, after, call),
        evidence=_evidence(accounts, failing, after, call, case, key_variables),
    )


# ----- reading the diff -----


@dataclass
class Block:
    """One run of removed and/or added lines in a diff, between context lines."""

    path: str
    old_line: int
    """The first removed line (old numbering); for a pure addition, the line it follows."""
    new_line: int
    """The first added line (new numbering); for a pure removal, the line before it."""
    removed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    above: list[tuple[int, str]] = field(default_factory=list)
    """The hunk's old-side lines above the block, with their numbers, for context."""


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def parse_diff(diff: str) -> list[Block]:
    """The change blocks of a unified diff, in order, with line numbers on both sides."""
    blocks: list[Block] = []
    path = ""
    old = new = old_left = new_left = 0
    above: list[tuple[int, str]] = []
    block: Block | None = None

    def flush() -> None:
        nonlocal block
        if block is not None and (block.removed or block.added):
            blocks.append(block)
        block = None

    for line in diff.splitlines():
        if old_left > 0 or new_left > 0:  # inside a hunk: the counts say where it ends
            tag, text = line[:1], line[1:]
            if tag == "\\":
                continue  # "\ No newline at end of file"
            if tag in ("-", "+"):
                if block is None:
                    start = (old, new - 1) if tag == "-" else (old - 1, new)
                    block = Block(path, *start, above=list(above))
                if tag == "-":
                    block.removed.append(text)
                    above.append((old, text))
                    old, old_left = old + 1, old_left - 1
                else:
                    if not block.added:
                        block.new_line = new
                    block.added.append(text)
                    new, new_left = new + 1, new_left - 1
                continue
            flush()
            above.append((old, text))
            old, new, old_left, new_left = old + 1, new + 1, old_left - 1, new_left - 1
            continue
        flush()
        if line.startswith("--- "):
            path = _diff_path(line[4:])
        elif line.startswith("+++ "):
            path = _diff_path(line[4:]) or path
        elif match := _HUNK.match(line):
            old, new = int(match[1]), int(match[3])
            old_left = int(match[2]) if match[2] is not None else 1
            new_left = int(match[4]) if match[4] is not None else 1
            above = []
    flush()
    return blocks


def _diff_path(text: str) -> str:
    name = text.split("\t")[0].strip()
    if name == "/dev/null":
        return ""
    return name[2:] if name.startswith(("a/", "b/")) else name


# ----- classifying each change -----


@dataclass
class _Account:
    """One change in plain words."""

    path: str
    line: int
    kind: str
    """The class of change: "comparison changed", "off by one", "statement added" ..."""
    clause: str
    """What was wrong, as a clause naming the line: "line 6 was off by one"."""
    sentence: str
    """The root cause: the line, the class, what it read and what the fix makes it."""
    evidence: str
    """One bullet: where, and the line before and after."""
    with_change: str
    """How the fixed version differs, to open a sentence: "With line 6 as `...`"."""
    lines: tuple[int, ...] = ()
    """The old-side line numbers the change touches (for matching key variables)."""


_TOKEN = re.compile(
    r"""[rRbBuUfF]{0,2}(?:'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")
      | \d[\d_]*(?:\.\d*)?(?:[eE][-+]?\d+)?
      | [A-Za-z_]\w*
      | \*\*=?|//=?|>>=?|<<=?|[<>=!]=|[-+*/%&|^@]=|->|:=
      | \S""",
    re.VERBOSE,
)
_COMPARISONS = frozenset({"<", "<=", ">", ">=", "==", "!=", "is", "in"})
_OPERATORS = frozenset(
    {"+", "-", "*", "/", "//", "%", "**", "<<", ">>", "&", "|", "^", "@"}
    | {"+=", "-=", "*=", "/=", "//=", "%=", "**=", "<<=", ">>=", "&=", "|=", "^="}
)
_KEYWORDS = frozenset(
    {"and", "or", "not", "if", "else", "elif", "for", "while", "in", "is", "return", "lambda"}
    | {"None", "True", "False", "def", "class", "yield", "break", "continue", "pass"}
)
_LITERALS = frozenset({"True", "False", "None"})


def _accounts(blocks: list[Block]) -> list[_Account]:
    out: list[_Account] = []
    moved = _moves(blocks)
    for block in blocks:
        if id(block) in moved:
            if (account := moved[id(block)]) is not None:
                out.append(account)
        elif not block.removed:
            out.append(_added(block))
        elif not block.added:
            out.append(_removed(block))
        elif len(block.removed) == len(block.added):
            # Same number of lines on both sides: read them as edits of each other.
            above = list(block.above)
            for i, (old, new) in enumerate(zip(block.removed, block.added, strict=True)):
                out.append(_pair(block.path, block.old_line + i, old, new, above))
                above.append((block.old_line + i, old))
        else:
            out.append(_rewritten(block))
    return out


def _moves(blocks: list[Block]) -> dict[int, _Account | None]:
    """Pure removals that reappear as pure additions elsewhere in the file: moved lines.

    The account goes on the removal; the matching addition maps to ``None``.
    """
    found: dict[int, _Account | None] = {}
    for gone in blocks:
        if gone.added or id(gone) in found:
            continue
        text = [t.strip() for t in gone.removed]
        for came in blocks:
            if came is gone or came.removed or came.path != gone.path or id(came) in found:
                continue
            if [t.strip() for t in came.added] != text:
                continue
            shown = _lines(gone.removed)
            when = "early" if came.new_line > gone.old_line else "late"
            found[id(gone)] = _Account(
                gone.path,
                gone.old_line,
                "statement moved",
                clause=f"line {gone.old_line} ({shown}) ran too {when}",
                sentence=(
                    f"Statement moved at line {gone.old_line} of {gone.path}: {shown} ran too "
                    f"{when}; the fix moves it to line {came.new_line}."
                ),
                evidence=f"{gone.path}:{gone.old_line}: {shown} moved to line {came.new_line}",
                with_change=f"With {shown} moved to line {came.new_line}",
                lines=tuple(range(gone.old_line, gone.old_line + len(gone.removed))),
            )
            found[id(came)] = None
            break
    return found


def _added(block: Block) -> _Account:
    after, count = block.old_line, len(block.added)
    shown = _lines(block.added)
    where = f"after line {after}" if after > 0 else "at the top"
    one = count == 1
    return _Account(
        block.path,
        after,
        "statement added" if one else "statements added",
        clause=(
            f"{'a statement was' if one else f'{count} lines were'} missing {where} "
            f"({_code(block.added[0], width=_SHOW // 2 + 10)}{'' if one else ' ...'})"
        ),
        sentence=f"Missing code {where} of {block.path}: the fix adds {shown}.",
        evidence=f"{block.path}: added {where}: {shown}",
        with_change=f"With {shown} added {where}" if one else f"With the {count} lines added",
        lines=(after,),
    )


def _removed(block: Block) -> _Account:
    first, count = block.old_line, len(block.removed)
    shown = _lines(block.removed)
    where = f"line {first}" if count == 1 else f"lines {first}-{first + count - 1}"
    return _Account(
        block.path,
        first,
        "statement removed" if count == 1 else "statements removed",
        clause=f"{where} ({shown}) should not be there",
        sentence=f"Extra code at {where} of {block.path}: the fix removes {shown}.",
        evidence=f"{block.path}:{first}: removed {shown}",
        with_change=f"Without {where} ({shown})",
        lines=tuple(range(first, first + count)),
    )


def _rewritten(block: Block) -> _Account:
    first, count = block.old_line, len(block.removed)
    where = f"line {first}" if count == 1 else f"lines {first}-{first + count - 1}"
    old, new = _lines(block.removed), _lines(block.added)
    return _Account(
        block.path,
        first,
        "code rewritten",
        clause=f"the fix rewrites {where}",
        sentence=f"Code rewritten at {where} of {block.path}: {old} becomes {new}.",
        evidence=f"{block.path}:{first}: {old} -> {new}",
        with_change=f"With {where} rewritten",
        lines=tuple(range(first, first + count)),
    )


@dataclass(frozen=True)
class _Token:
    text: str
    start: int
    end: int


def _tokens(line: str) -> list[_Token]:
    return [_Token(m[0], m.start(), m.end()) for m in _TOKEN.finditer(line)]


def _pair(path: str, line: int, old: str, new: str, above: list[tuple[int, str]]) -> _Account:
    """Classify one changed line by the tokens that differ between its two versions."""
    if old.strip() == new.strip():
        return _reindented(path, line, old, new, above)
    a, b = _tokens(old), _tokens(new)
    ops = [
        op
        for op in SequenceMatcher(None, [t.text for t in a], [t.text for t in b]).get_opcodes()
        if op[0] != "equal"
    ]
    if not ops:  # the same tokens: only the spacing inside the line changed
        return _pair_account(
            path, line, "spacing changed", f"line {line} changed only in spacing", _code(old),
            _code(new), "",
        )  # fmt: skip
    shown_old = _code(old, _span(a, ops[0][1], ops[-1][2], old))
    shown_new = _code(new, _span(b, ops[0][3], ops[-1][4], new))
    short = _code(old, _span(a, ops[0][1], ops[-1][2], old), width=_SHOW // 2 + 10)
    kind, clause, detail = _classify(f"line {line} ({short})", old, new, a, b, ops)
    if not clause:
        clause = f"line {line} read {shown_old}; the fix makes it {shown_new}"
    return _pair_account(path, line, kind, clause, shown_old, shown_new, detail)


def _pair_account(
    path: str, line: int, kind: str, clause: str, shown_old: str, shown_new: str, detail: str
) -> _Account:
    sentence = (
        f"{kind[0].upper()}{kind[1:]} at line {line} of {path}: "
        f"it read {shown_old}; the fix makes it {shown_new}"
    )
    return _Account(
        path,
        line,
        kind,
        clause,
        sentence + (f" ({detail})." if detail else "."),
        evidence=f"{path}:{line}: {shown_old} -> {shown_new}",
        with_change=f"With line {line} as {shown_new}",
        lines=(line,),
    )


Opcode = tuple[str, int, int, int, int]  # SequenceMatcher's (tag, i1, i2, j1, j2)


def _classify(
    at: str, old: str, new: str, a: list[_Token], b: list[_Token], ops: Sequence[Opcode]
) -> tuple[str, str, str]:
    """The kind of a one-line change, a clause saying what was wrong, and a detail.

    An empty clause means the change has no simpler description than the two lines.
    """
    first, last = ops[0], ops[-1]
    gone = [t.text for t in a[first[1] : last[2]]]
    came = [t.text for t in b[first[3] : last[4]]]
    if gone != came and Counter(gone) == Counter(came):
        names = list(dict.fromkeys(t for t in gone if _is_name(t)))
        if len(names) >= 2:
            shown = " and ".join(f"`{n}`" for n in names[:3])
            kind = "arguments swapped" if "," in gone else "operands swapped"
            return kind, f"{at} had {shown} the wrong way round", ""
    single = [(a[i1].text, b[j1].text) for _, i1, i2, j1, j2 in ops if i2 - i1 == j2 - j1 == 1]
    if len(single) == len(ops) and all(op[0] == "replace" for op in ops):
        pairs = list(dict.fromkeys(single))
        found = _one_token(at, *pairs[0], new=[t.text for t in b]) if len(pairs) == 1 else None
        if found is not None:
            return found
    if all(op[0] in ("insert", "delete") for op in ops):
        found = _insertion(at, [(op[0], a[op[1] : op[2]] or b[op[3] : op[4]]) for op in ops])
        if found is not None:
            return found
    if old.strip().startswith("return") and new.strip().startswith("return"):
        was, now = old.strip()[6:].strip(), new.strip()[6:].strip()
        if max(len(was), len(now)) <= _SHOW // 2:
            return "return value changed", f"{at} returned `{was}` where `{now}` was needed", ""
        return "return value changed", "", ""
    # The stretch from the first to the last differing token, when both versions of it
    # are expressions of their own, is what was wrong: `g(b)` where `b` was needed.
    x = old[slice(*_span(a, first[1], last[2], old))]
    y = new[slice(*_span(b, first[3], last[4], new))]
    if _expression(x) and _expression(y) and max(len(x), len(y)) <= _SHOW // 2:
        literal = _number(x) is not None or x[-1:] in "'\"" or x in _LITERALS
        kind = "constant changed" if literal else "expression changed"
        return kind, f"{at} used `{x}` where `{y}` was needed", ""
    return "line rewritten", "", ""


def _one_token(at: str, x: str, y: str, new: list[str]) -> tuple[str, str, str] | None:
    if x in _COMPARISONS and y in _COMPARISONS:
        return "comparison changed", f"{at} compared with `{x}` where `{y}` was needed", ""
    if x in _OPERATORS and y in _OPERATORS:
        return "operator changed", f"{at} used `{x}` where `{y}` was needed", ""
    if {x, y} == {"and", "or"}:
        return "boolean logic changed", f"{at} joined conditions with `{x}`, not `{y}`", ""
    number_x, number_y = _number(x), _number(y)
    if number_x is not None and number_y is not None:
        if abs(number_x - number_y) == 1:
            return "constant off by one", f"{at} used `{x}` where `{y}` was needed", ""
        return "constant changed", f"{at} used `{x}` where `{y}` was needed", ""
    if (x[-1:] in "'\"" and y[-1:] in "'\"") or {x, y} <= _LITERALS:
        return "constant changed", f"{at} used {x} where {y} was needed", ""
    if _is_name(x) and _is_name(y):
        index = new.index(y)
        called = index + 1 < len(new) and new[index + 1] == "("
        kind = "wrong function" if called else "wrong variable"
        return kind, f"{at} {'called' if called else 'used'} `{x}` where `{y}` was meant", ""
    return None


def _insertion(at: str, ops: list[tuple[str, list[_Token]]]) -> tuple[str, str, str] | None:
    """Changes made only of added or only of dropped tokens."""
    if all({t.text for t in seg} <= {"(", ")"} for _, seg in ops):
        verb = "adds" if ops[0][0] == "insert" else "removes"
        return (
            "grouping changed",
            f"{at} grouped its expression wrongly",
            f"the fix {verb} parentheses",
        )
    if len(ops) != 1:
        return None
    tag, seg = ops[0]
    words = [t.text for t in seg]
    text = _join(words)
    verb = "adds" if tag == "insert" else "drops"
    if len(words) == 2 and words[0] in ("+", "-") and words[1] == "1":
        return (
            "off by one",
            f"{at} was off by one (the fix {verb} `{text}`)",
            f"`{text}` {'added' if tag == 'insert' else 'dropped'}",
        )
    if words == ["not"]:
        if tag == "insert":
            return "condition negated", f"{at} lacked a `not`", "`not` added"
        return "condition negated", f"{at} had a `not` too many", "`not` dropped"
    if words[0] in ("and", "or") and len(words) > 1:
        if tag == "insert":
            return "condition extended", f"{at} was missing the condition `{text}`", ""
        return "condition narrowed", f"{at} had the extra condition `{text}`", ""
    return None


def _reindented(path: str, line: int, old: str, new: str, above: list[tuple[int, str]]) -> _Account:
    """A line whose only change is its indentation: it moves out of, or into, a block."""
    depth_old, depth_new = _indent(old), _indent(new)
    shown = _code(old)
    out = depth_new < depth_old
    level = depth_old if out else depth_new
    header = next(((n, t) for n, t in reversed(above) if t.strip() and _indent(t) < level), None)
    block = f"{_code(header[1])} (line {header[0]})" if header else "the block above"
    if out:
        what = f"was indented too deep, inside {block}"
        words = header[1].split() if header else []
        if words and words[0] in ("if", "elif"):
            what += ", so it only ran when that condition held"
        elif words and words[0] in ("for", "while"):
            what += ", so it ran on every pass of that loop"
        elif words and words[0] == "else:":
            what += ", so it only ran in that `else` branch"
        fix, moved = "the fix moves it out of that block", f"moved out of {block}"
    else:
        what = f"sat outside {block}"
        fix, moved = "the fix moves it into that block", f"moved into {block}"
    return _Account(
        path,
        line,
        "statement moved",
        f"line {line} ({shown}) {what}",
        sentence=f"Statement moved at line {line} of {path}: {shown} {what}; {fix}.",
        evidence=f"{path}:{line}: {shown} {moved}",
        with_change=f"With line {line} {moved}",
        lines=(line,),
    )


def _span(tokens: list[_Token], i1: int, i2: int, line: int | str) -> tuple[int, int]:
    """The character range of tokens ``i1:i2`` in their line (empty at ``i1`` if none)."""
    if i2 > i1:
        return tokens[i1].start, tokens[i2 - 1].end
    at = tokens[i1].start if i1 < len(tokens) else len(str(line).rstrip())
    return at, at


def _indent(text: str) -> int:
    return len(text.expandtabs(4)) - len(text.expandtabs(4).lstrip())


def _is_name(token: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z_]\w*", token)) and token not in _KEYWORDS


def _number(token: str) -> float | None:
    if not token[:1].isdigit():
        return None  # float() would also read names such as `inf` and `nan`
    try:
        return float(token.replace("_", ""))
    except ValueError:
        return None


def _expression(text: str) -> bool:
    """Whether ``text`` is a Python expression on its own (parsed, never run)."""
    if not text.strip():
        return False
    try:
        ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError):
        return False
    return True


def _join(tokens: list[str]) -> str:
    """Tokens back into source-like text: spaces around operators, none inside brackets."""
    text = " ".join(tokens)
    return re.sub(r"\s*([()\[\],.])\s*", lambda m: m[1] + (" " if m[1] == "," else ""), text)


def _code(text: str, span: tuple[int, int] | None = None, width: int = _SHOW) -> str:
    """A line in backticks; a long one cut to a window around ``span``, the changed part."""
    stripped = text.strip()
    if len(stripped) <= width:
        return f"`{stripped}`"
    offset = len(text) - len(text.lstrip())
    lo, hi = (span[0] - offset, span[1] - offset) if span else (0, 0)
    margin = max(10, (width - (hi - lo)) // 2)
    begin, end = max(0, lo - margin), min(len(stripped), hi + margin)
    if span is None:
        begin, end = 0, width - 3
    head = "..." if begin > 0 else ""
    tail = "..." if end < len(stripped) else ""
    return f"`{head}{stripped[begin:end]}{tail}`"


def _lines(lines: list[str]) -> str:
    shown = " / ".join(_code(t) for t in lines[:3])
    return shown + (f" and {len(lines) - 3} more lines" if len(lines) > 3 else "")


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _SHOW else text[: _SHOW - 3] + "..."


# ----- the failing test -----


def _find_case(task: Task, name: str) -> TestCase | None:
    for case in [*task.visible.cases, *task.hidden.cases]:
        if case.name and case.name == name:
            return case
    return None


def _call(task: Task, case: TestCase) -> str:
    args = ", ".join(repr(a) for a in case.args)
    text = f"{task.entry_point}({args})"
    return text if len(text) <= 2 * _SHOW else text[: 2 * _SHOW - 4] + "...)"


def _what_happened(task: Task, failing: TestOutcome, call: str | None) -> str:
    """The failure in one clause: what the program did, for which input."""
    name = f"`{task.entry_point}`"
    where = f" for {call}" if call else f" in `{_short_test(failing.name)}`"
    message = _first_line(failing.message)
    values = failing.actual is not None or failing.expected is not None
    if failing.status == "failed" and (call is not None or values):
        actual, expected = _show(failing.actual), _show(failing.expected)
        return f"{name} returned {actual} instead of {expected}{where}"
    if failing.status == "timeout":
        return f"{name} did not finish in time{where}"
    if failing.status == "error":
        return f"{name} raised `{message}`{where}" if message else f"{name} crashed{where}"
    if message:
        return f"`{_short_test(failing.name)}` failed with `{message}`"
    return f"`{_short_test(failing.name)}` failed"


def _short_test(name: str) -> str:
    return name.rsplit("::", 1)[-1]


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    line = lines[0].strip() if lines else ""
    return line if len(line) <= _SHOW else line[: _SHOW - 3] + "..."


def _summary(
    task: Task, accounts: list[_Account], failing: TestOutcome | None, call: str | None
) -> str:
    if len(accounts) == 1:
        cause = accounts[0].clause
        if failing is None:
            cause = f"in {accounts[0].path}, {cause}"
    elif accounts:
        # Several changes: name each by kind only; the root cause has the details.
        paths = ", ".join(sorted({a.path for a in accounts}))
        kinds = "; ".join(f"line {a.line}: {a.kind}" for a in accounts[:_EVIDENCE_LINES])
        more = "; ..." if len(accounts) > _EVIDENCE_LINES else ""
        cause = f"the fix changes {len(accounts)} places in {paths} ({kinds}{more})"
    else:
        cause = "the patch changes no line"
    if failing is None:
        return f"{cause[0].upper()}{cause[1:]}."
    return f"{_what_happened(task, failing, call)}: {cause}."


def _why(
    accounts: list[_Account],
    failing: TestOutcome | None,
    after: TestOutcome | None,
    call: str | None,
) -> str:
    if not accounts or after is None:
        if failing is not None and accounts:
            return (
                "The failing test was not run again after the fix, so nothing here shows it passes."
            )
        return ""
    change = (
        accounts[0].with_change if len(accounts) == 1 else f"With these {len(accounts)} changes"
    )
    test = f"`{_short_test(after.name)}`"
    if not after.passed:
        message = _first_line(after.message)
        status = f"{after.status}: {message}" if message else after.status
        return (
            f"After the fix {test} still does not pass ({status}), "
            "so the change does not explain the failure on its own."
        )
    if call is not None and failing is not None and after.name == failing.name:
        result = f" and returns {_show(after.actual)}" if after.actual is not None else ""
        return f"{change}, {call} now gives the expected result{result}; {test} passes."
    return f"{change}, {test} passes."


def _evidence(
    accounts: list[_Account],
    failing: TestOutcome | None,
    after: TestOutcome | None,
    call: str | None,
    case: TestCase | None,
    key_variables: Sequence[KeyVariableLike],
) -> list[str]:
    bullets: list[str] = []
    if failing is not None:
        bullets.append(f"failing test: {failing.name} ({failing.status})")
        if call is not None:
            bullets.append(f"input: {call}")
        expected = case.expected if case is not None else failing.expected
        if failing.status == "failed" and (case is not None or failing.actual is not None):
            bullets.append(f"expected {_show(expected)}, got {_show(failing.actual)}")
        elif message := _first_line(failing.message):
            label = "sanitizer" if _SANITIZER.search(message) else "message"
            bullets.append(f"{label}: {message}")
    if after is not None:
        result: str = after.status
        if after.passed and after.actual is not None:
            result += f", returned {_show(after.actual)}"
        elif not after.passed and (message := _first_line(after.message)):
            result += f": {message}"
        bullets.append(f"after the fix: {after.name} {result}")
    bullets.extend(a.evidence for a in accounts[:_EVIDENCE_LINES])
    if len(accounts) > _EVIDENCE_LINES:
        bullets.append(f"and {len(accounts) - _EVIDENCE_LINES} more changes")
    changed = {(a.path, n) for a in accounts for n in a.lines}
    differing = [v for v in key_variables if v.failing != v.passing]
    differing.sort(key=lambda v: (v.path, v.line) not in changed)  # the changed lines first
    for var in differing[:_EVIDENCE_VARIABLES]:
        bad = _clip(var.failing) if var.failing is not None else "not reached"
        good = _clip(var.passing) if var.passing is not None else "not reached"
        bullets.append(
            f"`{var.name}` at {var.path}:{var.line}: {bad} in the failing run, "
            f"{good} in a passing run"
        )
    return bullets


def _clip(text: str) -> str:
    return text if len(text) <= _SHOW else text[: _SHOW - 3] + "..."
