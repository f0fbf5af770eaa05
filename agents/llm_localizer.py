"""The localizer's model path: a model re-ranks the suspect lines, with reasons.

The model reads the program with line numbers (the one place a model is asked
for line numbers: it names lines, it does not edit them), the failing tests'
output, the spectrum-based ranking, the key variables and the fixes already
tried, and answers with ranked lines and a reason for each. Lines that do not
exist, or that hold nothing to blame (blank lines, comments, ``def`` headers),
are dropped. The model's lines come first, in its order; the spectrum's lines
follow. Scores are kept monotone down the merged list, so the fixer's templates,
which rank by score, follow the model's order.

Model errors (budget included) return the spectrum ranking unchanged: the model
path never makes localization worse than the offline one.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from duckfix.agents.localizer import KeyVariable, blamable_lines, statement_spans
from duckfix.agents.prompting import clip, data, messages, numbered, outcome_text, shown_files
from duckfix.errors import LLMError
from duckfix.llm import LLMClient, Message
from duckfix.models import Suspect, Task, TestOutcome

__all__ = ["ANSWER_TOKENS", "MAX_LINES", "ModelRanking", "RankedLine", "build_messages", "rerank"]

MAX_LINES = 5
"""Lines the model is asked for."""
_AGENT = "localizer"
_MAX_FAILING = 5
_MAX_RANKED = 10
_MAX_VARIABLES = 12
_MAX_ATTEMPTS = 5
ANSWER_TOKENS = 80 * MAX_LINES
"""``max_tokens`` of a ranking: a line number and a one-sentence reason per line."""


class RankedLine(BaseModel):
    """One line the model blames."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(default="", description="The file, as shown; may be left empty.")
    line: int = Field(description="The line number, as shown on the left of the program.")
    reason: str = Field(default="", description="One sentence citing the evidence.")


class ModelRanking(BaseModel):
    """The model's answer: suspect lines, most likely first.

    At least one line and no other keys: an echoed schema or an empty list is
    an invalid answer, which gets the client's repair turn.
    """

    model_config = ConfigDict(extra="forbid")

    lines: list[RankedLine] = Field(min_length=1)


def build_messages(
    task: Task,
    program: dict[str, str],
    suspects: Sequence[Suspect],
    failing: Sequence[TestOutcome],
    key_variables: Sequence[KeyVariable],
    attempts: Sequence[str] = (),
) -> list[Message]:
    """The chat messages of the ``localizer`` template."""
    files = "\n\n".join(
        data(f"file {path}", numbered(program[path]))
        for path in shown_files(task, program, suspects)
    )
    failed = "\n\n".join(
        data(f"failing test {o.name}", outcome_text(o)) for o in failing[:_MAX_FAILING]
    )
    ranking = "\n".join(
        f"- {s.path}:{s.line} score {s.score:.2f} (failing tests running it: {s.failing_cover},"
        f" passing: {s.passing_cover})"
        for s in suspects[:_MAX_RANKED]
    )
    variables = "\n".join(
        f"- {v.path}:{v.line} {v.name}: {clip(str(v.failing), 80)} / {clip(str(v.passing), 80)}"
        for v in key_variables[:_MAX_VARIABLES]
    )
    recent = "\n".join("- " + clip(a, 300) for a in attempts[-_MAX_ATTEMPTS:])
    return messages(
        _AGENT,
        language=task.language,
        max_lines=MAX_LINES,
        program=files,
        failing=failed or "(no failing test output)",
        ranking=ranking or "(no line ran in a failing test)",
        variables=data("key variables", variables) if variables else "(none recorded)",
        attempts=data("earlier attempts", recent) if attempts else "(none yet)",
    )


def _valid_lines(program: dict[str, str]) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for path, source in program.items():
        lines = blamable_lines(source) if path.endswith(".py") else None
        if lines is None:  # not Python, or does not parse: any non-blank line
            text = source.splitlines()
            lines = {i for i, t in enumerate(text, 1) if t.strip()}
        out[path] = lines
    return out


def _statement_start(program: dict[str, str], path: str, line: int) -> int:
    # A line inside a multi-line statement is blamed on the statement's first
    # line, the one the templates and the spectrum use.
    spans = statement_spans(program[path]) if path.endswith(".py") else None
    if spans:
        for start, span in spans.items():
            if line in span:
                return start
    return line


def rerank(
    client: LLMClient,
    task: Task,
    program: dict[str, str],
    suspects: Sequence[Suspect],
    failing: Sequence[TestOutcome],
    key_variables: Sequence[KeyVariable] = (),
    attempts: Sequence[str] = (),
    *,
    top: int = 10,
) -> list[Suspect]:
    """The suspects re-ranked by the model (its lines first, with reasons), at most ``top``.

    Never raises a model error: on one it returns ``suspects`` unchanged.
    """
    request = build_messages(task, program, suspects, failing, key_variables, attempts)
    try:
        answer = client.structured(request, ModelRanking, agent=_AGENT, max_tokens=ANSWER_TOKENS)
    except LLMError:
        return list(suspects)
    valid = _valid_lines(program)
    default = shown_files(task, program, suspects)[0]
    by_line = {(s.path, s.line): s for s in suspects}
    chosen: list[Suspect] = []
    for ranked in answer.lines[:MAX_LINES]:
        path = ranked.path if ranked.path in program else default
        if ranked.line not in valid.get(path, set()):
            continue  # a line the program does not have, or nothing to blame there
        line = _statement_start(program, path, ranked.line)
        if any((s.path, s.line) == (path, line) for s in chosen):
            continue
        old = by_line.get((path, line))
        reason = " ".join(ranked.reason.split()) or "named by the model"
        base = old if old is not None else Suspect(path=path, line=line, score=0.0)
        chosen.append(base.model_copy(update={"reason": f"model: {reason}"}))
    picked = {(s.path, s.line) for s in chosen}
    merged = chosen + [s for s in suspects if (s.path, s.line) not in picked]
    merged = merged[:top]
    # Monotone scores down the list: a line the model put first scores at
    # least as high as every line below it.
    floor = 0.0
    out: list[Suspect] = []
    for s in reversed(merged):
        floor = max(floor, s.score)
        out.append(s if s.score >= floor else s.model_copy(update={"score": floor}))
    return out[::-1]
