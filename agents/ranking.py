"""One ranking of suspect lines from the spectrum and the mutants, with no tie left to line order.

- the spectrum: Ochiai over line coverage (:mod:`duckfix.agents.localizer`);
- mutants: how much changing a line changes what the failing tests see
  (:mod:`duckfix.agents.mbfl`).

A line's score is its Ochiai score scaled by its mutation score,
``ochiai * (FLOOR + (1 - FLOOR) * mutation)``: a line no failing test runs
stays out whatever its mutants do, and among lines the spectrum cannot tell
apart (every test runs every line) the mutants decide. A line with no mutant
(no template applies to it, or the mutant budget ran out first) takes the
median mutation score of the lines that had one: unknown is neither guilty nor
innocent.

Lines still equal after all that go in an order that says something about
them, never their position: the stronger mutation evidence, then the stronger
Ochiai score, more failing and less passing coverage, then the line with more
to get wrong (more operators and operands), and last a digest of its text and
its neighbours', so the order stays the same wherever the code moves in the
file.

Value evidence (:mod:`duckfix.agents.values`) does not enter the score: on the
built-in suite every way of adding it ranked the buggy line lower
(``python -m tests.perf bench_ranks``). It decides which tied lines get their
mutants first when the budget cannot cover them all.
"""

from __future__ import annotations

import hashlib
import re
import statistics
from collections.abc import Mapping, Sequence

from duckfix.models import Suspect

__all__ = ["FLOOR", "line_weight", "rank_suspects"]

FLOOR = 0.25
"""The share of a line's Ochiai score it keeps with no other evidence for it."""

Key = tuple[str, int]
_TOKEN = re.compile(
    r"[A-Za-z_]\w*|\d+(?:\.\d+)?|==|!=|<=|>=|//|\*\*|<<|>>|&&|\|\||->|[-+*/%<>=!&|^~\[]"
)
_COMMENT = re.compile(r"#.*$|//.*$|/\*.*?\*/")


def line_weight(text: str) -> int:
    """How much a line has to get wrong: its operators, operands and subscripts."""
    code = _COMMENT.sub("", text)
    return len(_TOKEN.findall(code))


def _digest(text: str) -> str:
    return hashlib.sha1(text.strip().encode("utf-8", "replace")).hexdigest()


def rank_suspects(
    spectrum: Sequence[Suspect],
    program: Mapping[str, str],
    *,
    mutation: Mapping[Key, float] | None = None,
    notes: Mapping[Key, str] | None = None,
) -> list[Suspect]:
    """``spectrum``'s suspects re-scored with the mutation evidence, best first.

    ``spectrum`` holds each line's Ochiai score in ``score``; ``mutation`` maps
    (path, line) to scores in [0, 1]; ``notes`` adds to a line's reason.
    Without mutation evidence the scores stay Ochiai's and only the order of
    ties changes.
    """
    mutation = mutation or {}
    notes = notes or {}
    known = [mutation[(s.path, s.line)] for s in spectrum if (s.path, s.line) in mutation]
    neutral = statistics.median(known) if known else 0.0
    evidence_given = bool(mutation)
    texts = {path: text.split("\n") for path, text in program.items()}

    def text_of(s: Suspect, shift: int = 0) -> str:
        lines = texts.get(s.path, [])
        at = s.line - 1 + shift
        return lines[at] if 0 <= at < len(lines) else ""

    scored: list[tuple[tuple[float, float, float, int, int, int, str], Suspect]] = []
    for s in spectrum:
        key = (s.path, s.line)
        mutated = mutation.get(key, neutral)
        score = s.score * (FLOOR + (1 - FLOOR) * mutated) if evidence_given else s.score
        text = text_of(s)
        order = (
            -round(score, 9),
            -round(mutated, 9),
            -round(s.score, 9),
            -s.failing_cover,
            s.passing_cover,
            -line_weight(text),
            # Two equal lines (two `i += 1`) differ by their neighbours.
            _digest("\n".join((text, text_of(s, -1), text_of(s, 1)))),
        )
        reason = s.reason + (f"; {notes[key]}" if key in notes else "")
        scored.append((order, s.model_copy(update={"score": round(score, 6), "reason": reason})))
    scored.sort(key=lambda item: item[0])
    return [s for _, s in scored]
