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

Value evidence (:mod:`duckfix.agents.values`) decides which tied lines get
their mutants first when the budget cannot cover them all. It enters the score
only where the output says what went wrong (a golden-output run's first wrong
line and element, :mod:`duckfix.agents.printed`): there a line keeps
``1 - VALUE_SHARE`` of its mutation evidence whatever its values, and gains the
rest in proportion to its value score. On the built-in suite, where the slice
starts from every ``return``, every way of adding it ranked the buggy line
lower; on the golden-output suite this way ranked no buggy line lower and moved
one up (``python -m tests.perf bench_ranks``).
"""

from __future__ import annotations

import hashlib
import re
import statistics
from collections.abc import Mapping, Sequence

from duckfix.models import Suspect

__all__ = ["FLOOR", "VALUE_SHARE", "line_weight", "rank_suspects"]

FLOOR = 0.25
"""The share of a line's Ochiai score it keeps with no other evidence for it."""
VALUE_SHARE = 0.5
"""The share of a line's mutation evidence that its value evidence decides, when given."""

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
    values: Mapping[Key, float] | None = None,
) -> list[Suspect]:
    """``spectrum``'s suspects re-scored with the mutation evidence, best first.

    ``spectrum`` holds each line's Ochiai score in ``score``; ``mutation`` maps
    (path, line) to scores in [0, 1]; ``notes`` adds to a line's reason;
    ``values``, value scores in [0, 1] that weigh the mutation evidence (module
    docstring). Without mutation evidence the scores stay Ochiai's and only the
    order of ties changes.
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
        if values is not None:
            mutated *= 1 - VALUE_SHARE + VALUE_SHARE * values.get(key, 0.0)
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
