"""A candidate patch: one edit of one file, kept as the span it replaces.

A candidate never holds a whole file. The debug run keeps hundreds of them in
its queue and writes them into every checkpoint; on a program of megabytes,
whole-file copies would cost gigabytes. The span is the smallest one that
differs (common prefix and suffix trimmed), so two edits that give the same
file have the same span: ``key`` is the identity that duplicates share.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["Candidate", "changed_span", "edit_span", "edited_slice"]

_CHUNK = 64  # characters first compared at once when matching runs of text


class Candidate(BaseModel):
    """One edit at one suspect line: the span it replaces, and its ranking."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str
    """Run-layout path of the edited file."""
    line: int
    """1-based line of the (first) edit, in the original file."""
    template: str
    description: str
    start: int
    """Character offset in the original file where the replaced text begins."""
    end: int
    """Character offset where it ends (exclusive); ``start`` for a pure insertion."""
    replacement: str
    """What replaces ``original[start:end]``."""
    prior: float
    score: float
    """The suspect line's score times the template's prior."""
    size: int
    """Characters changed; smaller is preferred among plausible candidates."""

    @property
    def key(self) -> tuple[str, int, int, str]:
        """What the edit does: two candidates with equal keys give the same file."""
        return self.path, self.start, self.end, self.replacement

    def apply(self, original: str) -> str:
        """The edited file, from the text of the file it was made for."""
        return original[: self.start] + self.replacement + original[self.end :]

    @classmethod
    def between(cls, original: str, new: str, **fields: Any) -> Candidate:
        """The candidate that turns ``original`` into ``new`` (whole texts, e.g. a model's)."""
        start, end, replacement = changed_span(original, new)
        return cls(start=start, end=end, replacement=replacement, **fields)


def changed_span(original: str, new: str) -> tuple[int, int, str]:
    """The smallest ``(start, end, replacement)`` with which ``original`` becomes ``new``."""
    return edit_span(original, 0, len(original), new)


def edit_span(original: str, low: int, high: int, middle: str) -> tuple[int, int, str]:
    """:func:`changed_span` of ``original[:low] + middle + original[high:]``, without building it.

    The trimmed span may reach past ``low`` and ``high`` when the text around
    repeats (deleting one of two equal lines): it is the same span whichever
    of them the edit named.
    """
    new_length = len(original) - (high - low) + len(middle)
    # Common prefix: the middle against the original after `low`, then, if the
    # middle is used up, the original after `high` against itself.
    prefix = _forward(middle, 0, original, low)
    if prefix == len(middle):
        prefix += _forward(original, high, original, low + len(middle))
    prefix += low
    # Common suffix, limited so prefix and suffix never overlap.
    tail = len(original) - high
    suffix = _backward(middle, len(middle), original, high)
    if suffix == len(middle):
        suffix += _backward(original, low, original, high - len(middle))
    suffix = min(tail + suffix, min(len(original), new_length) - prefix)
    replacement = edited_slice(original, low, high, middle, prefix, new_length - suffix)
    return prefix, len(original) - suffix, replacement


def edited_slice(original: str, low: int, high: int, middle: str, start: int, stop: int) -> str:
    """``(original[:low] + middle + original[high:])[start:stop]``, without building it all."""
    shift = len(middle) - (high - low)
    parts = []
    if start < low:
        parts.append(original[start : min(stop, low)])
    parts.append(middle[max(start - low, 0) : max(min(stop - low, len(middle)), 0)])
    if stop > low + len(middle):
        parts.append(original[max(start, low + len(middle)) - shift : stop - shift])
    return "".join(parts)


def _forward(a: str, i: int, b: str, j: int) -> int:
    """Length of the common prefix of ``a[i:]`` and ``b[j:]``."""
    n = min(len(a) - i, len(b) - j)
    done, step = 0, _CHUNK
    while done < n:
        size = min(step, n - done)
        if a[i + done : i + done + size] != b[j + done : j + done + size]:
            lo, hi = 0, size  # the first difference is in this chunk: bisect for it
            while lo < hi:
                mid = (lo + hi) // 2
                if a[i + done : i + done + mid + 1] == b[j + done : j + done + mid + 1]:
                    lo = mid + 1
                else:
                    hi = mid
            return done + lo
        done += size
        step *= 2  # long runs of equal text are compared in ever larger slices
    return max(n, 0)


def _backward(a: str, i: int, b: str, j: int) -> int:
    """Length of the common suffix of ``a[:i]`` and ``b[:j]``."""
    n = min(i, j)
    done, step = 0, _CHUNK
    while done < n:
        size = min(step, n - done)
        if a[i - done - size : i - done] != b[j - done - size : j - done]:
            lo, hi = 0, size
            while lo < hi:
                mid = (lo + hi) // 2
                if a[i - done - mid - 1 : i - done] == b[j - done - mid - 1 : j - done]:
                    lo = mid + 1
                else:
                    hi = mid
            return done + lo
        done += size
        step *= 2
    return max(n, 0)
