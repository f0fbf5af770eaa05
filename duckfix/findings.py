"""Findings: the plain records every review check returns.

They are standard-library dataclasses, not pydantic models, so that the
pre-push hook's checks run without importing pydantic (a third of the hook's
start on a push with no Python or C change). Where they cross a boundary
pydantic still validates them: a pydantic model with a ``list[Finding]`` field
(or ``TypeAdapter(Finding)``) checks every field and refuses unknown keys
(``__pydantic_config__``), and :func:`finding_from_dict` does the same for a
server's JSON.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, get_args

__all__ = [
    "SEVERITIES",
    "Finding",
    "Severity",
    "finding_from_dict",
    "record_dict",
]

Severity = Literal["error", "warning", "note"]
"""Finding severity; the names are SARIF's ``level`` values."""
SEVERITIES: tuple[str, ...] = get_args(Severity)


@dataclass
class Finding:
    """A review comment anchored on a line of a file's new version."""

    # Read by pydantic when a Finding is validated inside a model or TypeAdapter.
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}

    path: str
    """The file's new path; ``COMMIT_MSG`` for a finding on a commit message."""
    line: int
    """A line of the new file the diff shows (of the message, for ``COMMIT_MSG``)."""
    severity: Severity
    category: str
    """``check/rule``, such as ``hygiene/trailing-whitespace`` or ``model/overfitting``."""
    message: str
    suggestion: str | None = None
    """Replacement text for the line, when the check has one."""
    commit: str | None = None
    """The commit the finding is about, when the review covers several."""

    def __post_init__(self) -> None:
        # A check's typo ("warn") would otherwise pass silently into every report.
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity {self.severity!r} is not one of {', '.join(SEVERITIES)}")


def record_dict(record: Any) -> dict[str, Any]:
    """A record's fields as JSON-ready values (what ``model_dump(mode="json")`` gives a model)."""
    return dataclasses.asdict(record)


def finding_from_dict(data: Mapping[str, Any]) -> Finding:
    """A :class:`Finding` from untrusted JSON, every field checked (pydantic's messages)."""
    from pydantic import TypeAdapter

    return TypeAdapter(Finding).validate_python(dict(data))
