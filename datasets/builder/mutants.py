"""A mutant: one span of one source file replaced, labelled with its bug category."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from duckfix.datasets.builder.categories import Kind

__all__ = ["Mutant", "line_of"]


class Mutant(BaseModel):
    """A candidate bug: ``text[start:end]`` of ``file`` becomes ``replacement``.

    Offsets are character offsets into the file's text (a ``str``), so applying
    a mutant keeps every other character, and the code keeps its form.
    """

    model_config = ConfigDict(frozen=True)

    category: str
    kind: Kind
    file: str
    """Run-layout path of the mutated file, e.g. ``vecsum.cpp``."""
    start: int
    end: int
    replacement: str
    line: int
    """1-based line of ``start`` in the original text."""
    description: str
    """What changed, in a few words: ``i < N -> i <= N``."""
    mutator: str
    """Which mutator made it (or ``llm``), for provenance."""

    def apply(self, text: str) -> str:
        """``text`` with the span replaced."""
        return text[: self.start] + self.replacement + text[self.end :]


def line_of(text: str, offset: int) -> int:
    """1-based line number of character ``offset`` in ``text``."""
    return text.count("\n", 0, offset) + 1
