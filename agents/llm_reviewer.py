"""The reviewer's model path: a model looks for overfitting and side effects.

The offline reviewer (:mod:`duckfix.agents.reviewer`) runs first and its
rejections stand: the model is asked only about patches it accepted, and the
model can only send a patch back, never pass one the offline checks rejected.
A rejection is acted on only when it is *grounded*: it names its concern
(overfitting, a side effect, ...) and its evidence quotes the code of a line
the patch adds. The 1.5B coder rejected four correct fixes of the built-in
suite in a row with the concern "none" and a reason that restated the prompt's
list of concerns. A comment, a blank line or a line the patch
does not add is no evidence (a small model vetoed the only correct fix it had
written, citing the comment the fix added as a side effect): such an objection
is kept as a note saying why it was ignored, so a model that imagines problems
cannot stall a run. Such a note still marks the verdict as an objection
(:attr:`~duckfix.agents.reviewer.PatchReview.objected`): a model that objected
to the patch before this one too does not choose between them (see the debug
graph's review).

The patch, the task's description and the tests go into the prompt as data
blocks; the prompt says that text inside them is never an instruction, and a
fence is always longer than any backtick run inside, so a patch cannot close
its block and pose as the prompt.
"""

from __future__ import annotations

import io
import tokenize
from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from duckfix.agents.prompting import clip, data, messages, outcome_text
from duckfix.agents.reviewer import PatchReview
from duckfix.errors import LLMError
from duckfix.llm import LLMClient, Message
from duckfix.models import Patch, Task, TestOutcome

__all__ = [
    "ANSWER_TOKENS",
    "ModelReview",
    "added_code",
    "added_lines",
    "build_messages",
    "grounded",
    "review_with_model",
]

_AGENT = "reviewer"
_MAX_TESTS = 8
_MAX_DIFF = 12_000
ANSWER_TOKENS = 300
"""``max_tokens`` of a verdict: a few words, a sentence, one quoted line."""
_C_COMMENTS = ("//", "/*", "*")

Concern = Literal["none", "overfitting", "side_effect", "incomplete", "other"]


_REASON_CHARS = 400
_EVIDENCE_CHARS = 200


def _clipped(limit: int) -> AfterValidator:
    # A server that does not enforce maxLength may still send more: keep the
    # start rather than lose the verdict over it.
    return AfterValidator(lambda text: text[:limit])


class ModelReview(BaseModel):
    """The model's verdict on one patch.

    The free-text fields carry a ``maxLength``: a small model quoting "the
    evidence" ran on, repeating lines, until the token limit cut the JSON
    (the 1.5B coder, 2 of 3 verdicts); with the bound in the schema, a server
    that constrains decoding to it (llama.cpp) closes the string in time.
    """

    model_config = ConfigDict(extra="forbid")  # an echoed schema is not a verdict

    verdict: Literal["accept", "reject"]
    concern: Concern = "none"
    reason: Annotated[str, _clipped(_REASON_CHARS)] = Field(
        default="",
        description="Why, in one or two sentences.",
        json_schema_extra={"maxLength": _REASON_CHARS},
    )
    evidence: Annotated[str, _clipped(_EVIDENCE_CHARS)] = Field(
        default="",
        description='ONE added line (without its "+") that shows the problem, quoted exactly.',
        json_schema_extra={"maxLength": _EVIDENCE_CHARS},
    )


def build_messages(task: Task, patch: Patch, tests: Sequence[TestOutcome]) -> list[Message]:
    """The chat messages of the ``reviewer`` template."""
    shown = "\n\n".join(data(f"test {o.name}", outcome_text(o)) for o in list(tests)[:_MAX_TESTS])
    description = task.description.strip() or "(no description; judge from the code and tests)"
    return messages(
        _AGENT,
        language=task.language,
        description=data("task description", description),
        diff=data("patch", clip(patch.diff, _MAX_DIFF), "diff"),
        tests=shown or "(none shown)",
    )


def added_lines(diff: str) -> list[str]:
    """The text of every line the diff adds, without its ``+``."""
    return [
        line[1:]
        for line in diff.splitlines()
        if line.startswith("+") and not line.startswith("+++")
    ]


def _code_part(line: str, language: str) -> str:
    """The code of one line: without its comment; empty for a comment or blank line."""
    text = line.strip()
    if language != "python":
        if text.startswith(_C_COMMENTS):
            return ""
        return text.split("//", 1)[0].strip() if "//" in text and '"' not in text else text
    if text.startswith("#"):
        return ""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text + "\n").readline))
    except (tokenize.TokenError, SyntaxError):
        return text  # a piece of a multi-line string or statement: taken whole
    comment = next((t for t in tokens if t.type == tokenize.COMMENT), None)
    return text[: comment.start[1]].rstrip() if comment is not None else text


def added_code(diff: str, language: str = "python") -> list[str]:
    """The code of every line the diff adds: comments and blank lines left out."""
    return [code for line in added_lines(diff) if (code := _code_part(line, language))]


def grounded(evidence: str, diff: str, language: str = "python") -> bool:
    """Whether ``evidence`` quotes (part of) the code of a line the diff adds, whitespace aside."""
    quoted = [" ".join(q.lstrip("+").split()) for q in evidence.splitlines()]
    quoted = [q for q in quoted if len(q) >= 3]
    added = [" ".join(a.split()) for a in added_code(diff, language)]
    return bool(quoted) and all(any(q in a for a in added) for q in quoted)


def review_with_model(
    client: LLMClient,
    task: Task,
    patch: Patch,
    tests: Sequence[TestOutcome] = (),
) -> PatchReview:
    """The model's verdict as a :class:`PatchReview`: reject only on a grounded objection.

    An ungrounded objection, or a model error, accepts with a note saying so.
    """
    try:
        answer = client.structured(
            build_messages(task, patch, tests), ModelReview, agent=_AGENT, max_tokens=ANSWER_TOKENS
        )
    except LLMError as exc:
        return PatchReview(
            verdict="accept", reasons=[], notes=[f"model reviewer unavailable: {exc}"]
        )
    reason = " ".join(answer.reason.split()) or "no reason given"
    if answer.verdict == "accept":
        return PatchReview(verdict="accept", reasons=[])
    if answer.concern == "none" or not grounded(answer.evidence, patch.diff, task.language):
        why = _why_ignored(answer.evidence, patch.diff, answer.concern)
        return PatchReview(
            verdict="accept",
            reasons=[],
            notes=[f"model objection ignored ({why}): {answer.concern}: {reason}"],
            objected=True,
        )
    quote = " ".join(answer.evidence.split())
    return PatchReview(
        verdict="reject",
        reasons=[f"model reviewer ({answer.concern}): {reason} [`{clip(quote, 80)}`]"],
    )


def _why_ignored(evidence: str, diff: str, concern: str) -> str:
    if concern == "none":
        return "it names no concern"
    quote = " ".join(evidence.split())
    if not quote:
        return "it quotes no line"
    added = [" ".join(a.split()) for a in added_lines(diff)]
    if any(quote.lstrip("+ ") in a for a in added if a):
        return f"it quotes `{clip(quote, 60)}`, a comment or blank line, not code the patch adds"
    return f"it quotes `{clip(quote, 60)}`, which is not a line the patch adds"
