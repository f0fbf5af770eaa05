"""The review as one JSON document, for scripts: findings, counts, checks, omissions."""

from __future__ import annotations

import json
from typing import Any

from duckfix.pipelines.review.render.report import TOOL_NAME, Report

__all__ = ["render_json"]


def render_json(report: Report) -> str:
    """``{"label", "tool", "version", "findings", "counts", "checks", "omitted"}`` as text.

    Stable: keys come in a fixed order, findings in the report's (rank) order,
    each with every field of :class:`~duckfix.models.Finding` (None included),
    and every severity has a count. Non-ASCII stays as it is (the text is UTF-8).
    """
    doc: dict[str, Any] = {
        "label": report.label,
        "tool": TOOL_NAME,
        "version": report.tool_version,
        "findings": [finding.model_dump(mode="json") for finding in report.findings],
        "counts": report.counts(),
        "checks": list(report.checks),
        "omitted": list(report.omitted),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)
