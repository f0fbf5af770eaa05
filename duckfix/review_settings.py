"""The review's settings (``[review]``, ``[review.c]``): plain frozen dataclasses.

They are the ``review`` section of :class:`duckfix.config.Settings`, which
validates them with pydantic like every other section (the markers below say
how, and import pydantic only when pydantic asks). They are not pydantic
models themselves so that the pre-push hook, which needs these settings and no
others, reads and checks them without importing pydantic at all
(:mod:`duckfix.hook_settings`): a third of its start on a push with no Python
or C change.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

__all__ = [
    "REVIEW_CHECKS",
    "Before",
    "CReviewSettings",
    "Positive",
    "ReviewSettings",
    "section_config",
]

REVIEW_CHECKS = (
    "hygiene",
    "leftovers",
    "secrets",
    "python",
    "c",
    "hls",
    "clang-tidy",
    "cppcheck",
    "checkpatch",
    "commit",
    "model",
)
"""Every check the review pipeline knows, in the order they run. ``clang-tidy``,
``cppcheck`` and ``checkpatch`` run only where the repository configures or ships them."""


class Positive:
    """A number above zero (pydantic's ``gt=0``, with its message)."""

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from annotated_types import Gt

        return handler.generate_schema(Annotated[source, Gt(0)])


class Before:
    """``func`` turns a value as given (a string from the environment) into one to validate."""

    def __init__(self, func: Callable[[object], object]) -> None:
        self.func = func

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_before_validator_function(self.func, handler(source))


section_config = {"frozen": True, "extra": "forbid", "allow_inf_nan": False}
"""Pydantic's config of these sections: that of every settings model (config._STRICT)."""


def _words(value: object) -> object:
    # From the environment a list comes as one string: words as a shell splits them.
    if isinstance(value, str):
        return tuple(shlex.split(value.replace(",", " ")))
    return value


def _checks(value: object) -> object:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple):
        unknown = sorted(set(value) - set(REVIEW_CHECKS))
        if unknown:
            raise ValueError(
                f"unknown check(s) {', '.join(unknown)}; known: {', '.join(REVIEW_CHECKS)}"
            )
    return value


Words = Annotated[tuple[str, ...], Before(_words)]


@dataclass(frozen=True)
class CReviewSettings:
    """How the review compiles C / C++ files when the repository has no compile_commands.json."""

    __pydantic_config__: ClassVar[dict[str, Any]] = section_config

    compile_commands: str | None = None
    """A ``compile_commands.json`` (relative to the repository's top folder); by default the
    first found at the top, in ``build/`` or in a folder one or two levels down."""
    flags: Words = ()
    """Compiler flags (``-DHAVE_CONFIG_H``, ``-std=gnu11``), after compile_commands.json's."""
    include: Words = ()
    """Include folders, relative to the repository's top folder."""
    prelude: Words = ()
    """Headers every file needs first (``git-compat-util.h``), relative to the top folder."""


@dataclass(frozen=True)
class ReviewSettings:
    """What the review pipeline checks, and when the pre-push hook blocks a push."""

    __pydantic_config__: ClassVar[dict[str, Any]] = section_config

    checks: Annotated[tuple[str, ...], Before(_checks)] = REVIEW_CHECKS
    """Checks that run (``model`` only when a model is configured); a list, or comma-separated."""
    max_line_length: Annotated[int, Positive()] = 100
    """Added lines longer than this are flagged."""
    signoff: bool = False
    """Commits must carry ``Signed-off-by:`` (the kernel's DCO rule)."""
    subject_length: Annotated[int, Positive()] = 72
    """Longest commit subject line accepted."""
    block_on: Literal["error", "warning", "note"] = "error"
    """The pre-push hook blocks a push with a finding at or above this severity."""
    max_per_file: Annotated[int, Positive()] = 20
    """Findings kept per file, most severe first."""
    max_findings: Annotated[int, Positive()] = 200
    """Findings kept per review."""
    time_limit: Annotated[float, Positive()] = 60.0
    """Seconds the hook gives the model before it reports what it has."""
    model_tokens: Annotated[int, Positive()] = 24_000
    """Prompt tokens (estimated) the reviewer model may be shown per review."""
    strict: bool = False
    """A check that could not run on a file is an error (exit 1, a blocked push), for CI."""
    tab_width: Annotated[int, Positive()] = 8
    """Columns a tab advances to the next multiple of, when line length is measured."""
    prose_line_length: Annotated[int | None, Positive()] = None
    """Longest line in Markdown, reST and AsciiDoc files; None: prose is not measured."""
    conventions: bool = True
    """Learn the project's conventions (trailers, Fixes:, bodies) from its history."""
    history: Annotated[int, Positive()] = 300
    """Commits read to learn the conventions."""
    c: CReviewSettings = field(default_factory=CReviewSettings)
