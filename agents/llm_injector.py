"""The bug injector's model path: a model proposes realistic bugs of requested categories.

The dataset builder's mutators make every small edit of a kind; a model can
make the bugs people make (a condition inverted in the way that reads
naturally, an accumulator reset in the wrong loop). Each proposal quotes the
original code and gives the faulty code; a quote that is not in the program
(exactly, or up to spacing) or names an unknown category is dropped, and what
is left is validated by the builder like any mutant.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, Field

from duckfix.agents.prompting import data, messages
from duckfix.errors import LLMError
from duckfix.llm import LLMClient, Message
from duckfix.textsearch import find_snippet

__all__ = ["InjectedBug", "Proposals", "ProposedBug", "build_messages", "propose_bugs"]

_AGENT = "injector"


class ProposedBug(BaseModel):
    """One bug as the model gives it."""

    category: str
    original: str
    faulty: str
    explanation: str = ""


class Proposals(BaseModel):
    """The model's answer."""

    bugs: list[ProposedBug] = Field(default_factory=list)


class InjectedBug(BaseModel):
    """A proposal located in the program: ``text[start:end]`` becomes ``replacement``."""

    category: str
    start: int
    end: int
    replacement: str
    line: int
    explanation: str


def build_messages(
    text: str, path: str, language: str, categories: Mapping[str, str], count: int
) -> list[Message]:
    """The chat that asks for ``count`` bugs of ``categories`` (name -> meaning)."""
    listed = "\n".join(f"- {name}: {meaning}" for name, meaning in categories.items())
    lang = "python" if language == "python" else "cpp"
    return messages(
        "injector",
        language="Python" if language == "python" else "C/C++ (HLS)",
        count=count,
        categories=listed,
        path=path,
        program=data("program", text, lang),
    )


def propose_bugs(
    client: LLMClient,
    text: str,
    path: str,
    language: str,
    categories: Mapping[str, str],
    count: int,
) -> list[InjectedBug]:
    """The model's bugs that can be located in ``text``; [] when the model fails."""
    request = build_messages(text, path, language, categories, count)
    try:
        answer = client.structured(request, Proposals, agent=_AGENT, temperature=0.7)
    except LLMError:
        return []
    found: list[InjectedBug] = []
    for bug in answer.bugs[:count]:
        if bug.category not in categories or bug.original == bug.faulty:
            continue
        span = find_snippet(text, bug.original)
        if span is None:
            continue  # the model quoted code the program does not have
        start, end = span
        found.append(
            InjectedBug(
                category=bug.category,
                start=start,
                end=end,
                replacement=bug.faulty,
                line=text.count("\n", 0, start) + 1,
                explanation=" ".join(bug.explanation.split())[:200] or "proposed by the model",
            )
        )
    return found
