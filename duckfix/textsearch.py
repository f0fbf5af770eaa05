"""Find a snippet in a source text the way a person would: exactly, else ignoring spacing."""

from __future__ import annotations

import re

__all__ = ["find_snippet"]


def find_snippet(text: str, snippet: str) -> tuple[int, int] | None:
    """The character span of the first occurrence of ``snippet`` in ``text``, or None.

    An exact match wins; otherwise runs of whitespace match any run of
    whitespace and the snippet's leading and trailing whitespace is ignored,
    so a snippet copied with other indentation or line breaks is still found.
    """
    if not snippet.strip():
        return None
    at = text.find(snippet)
    if at >= 0:
        return at, at + len(snippet)
    words = snippet.split()
    pattern = r"\s+".join(re.escape(w) for w in words)
    found = re.search(pattern, text)
    return (found.start(), found.end()) if found else None
