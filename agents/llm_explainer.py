"""The explainer's model path: the root cause and the fix, told by a model, from the data.

The offline explainer (:mod:`duckfix.agents.explainer`) always runs first; its
account of the change goes into the prompt with the diff, the failing test
before and after the fix and the key variables, all as data blocks. The model's
summary, root cause and why-the-fix-works replace the offline sentences; the
offline evidence list (facts read off the data) is kept as it is.

Grounding: an answer must quote or name something the diff changes (a token of
a changed line); one that does not is about some other code, and the offline
explanation is returned instead. So is one on a model error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from duckfix.agents.explainer import KeyVariableLike
from duckfix.agents.prompting import clip, data, messages, outcome_text
from duckfix.errors import LLMError
from duckfix.llm import LLMClient, Message
from duckfix.models import Explanation, Patch, TestOutcome

__all__ = ["ANSWER_TOKENS", "ModelExplanation", "build_messages", "explain_with_model"]

_AGENT = "explainer"
_MAX_VARIABLES = 12
_MAX_DIFF = 8_000
ANSWER_TOKENS = 400
"""``max_tokens`` of an explanation: three short paragraphs."""
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+")


class ModelExplanation(BaseModel):
    """The model's account of the bug and the fix."""

    model_config = ConfigDict(extra="forbid")  # an echoed schema is not an account

    summary: str = Field(min_length=1, description="One sentence.")
    root_cause: str = Field(
        min_length=1, description="What the old code did wrong and why, citing values."
    )
    why_fix_works: str = Field(description="What the new code does differently, and why.")


def build_messages(
    patch: Patch,
    failing: TestOutcome | None,
    after: TestOutcome | None,
    key_variables: Sequence[KeyVariableLike],
    offline: Explanation,
) -> list[Message]:
    """The chat messages of the ``explainer`` template."""
    tests = [
        data(f"{label}: test {o.name}", outcome_text(o))
        for label, o in (("before the fix", failing), ("after the fix", after))
        if o is not None
    ]
    variables = "\n".join(
        f"- {v.path}:{v.line} {v.name}: {clip(str(v.failing), 80)} / {clip(str(v.passing), 80)}"
        for v in list(key_variables)[:_MAX_VARIABLES]
    )
    account = "\n".join([offline.summary, offline.root_cause, offline.why_fix_works])
    return messages(
        _AGENT,
        diff=data("fix", clip(patch.diff, _MAX_DIFF), "diff"),
        tests="\n\n".join(tests) or "(no failing test recorded)",
        variables=data("key variables", variables) if variables else "(none recorded)",
        account=data("mechanical account", account),
    )


def _changed_words(diff: str) -> set[str]:
    words: set[str] = set()
    for line in diff.splitlines():
        if line.startswith(("+", "-")) and not line.startswith(("+++", "---")):
            words |= set(_WORD.findall(line[1:]))
    return words


def _grounded(answer: ModelExplanation, diff: str) -> bool:
    text = " ".join([answer.summary, answer.root_cause, answer.why_fix_works])
    return bool(set(_WORD.findall(text)) & _changed_words(diff))


def explain_with_model(
    client: LLMClient,
    patch: Patch,
    failing: TestOutcome | None,
    after: TestOutcome | None,
    key_variables: Sequence[KeyVariableLike],
    offline: Explanation,
) -> Explanation:
    """The model's explanation with the offline evidence, or ``offline`` when it cannot be had."""
    request = build_messages(patch, failing, after, key_variables, offline)
    try:
        answer = client.structured(
            request, ModelExplanation, agent=_AGENT, max_tokens=ANSWER_TOKENS
        )
    except LLMError:
        return offline
    if not answer.root_cause.strip() or not _grounded(answer, patch.diff):
        return offline
    return Explanation(
        summary=" ".join(answer.summary.split()) or offline.summary,
        root_cause=answer.root_cause.strip(),
        why_fix_works=answer.why_fix_works.strip() or offline.why_fix_works,
        evidence=offline.evidence,
        source="model",
    )
