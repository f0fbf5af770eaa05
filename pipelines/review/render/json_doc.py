"""The review as one JSON document, for scripts: findings, counts, checks, coverage, omissions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from duckfix.coverage import summarize
from duckfix.findings import record_dict
from duckfix.pipelines.review.render.report import SEVERITIES, TOOL_NAME, Report

__all__ = ["json_document", "render_json"]


def _patch(report: Report) -> dict[str, Any]:
    return {
        "label": report.label,
        "commits": [
            {"sha": c.sha, "subject": c.subject, "author": c.author} for c in report.commits
        ],
        "findings": [record_dict(finding) for finding in report.findings],
        "counts": report.counts(),
        "coverage": [record_dict(c) for c in summarize(report.coverage, report.checks)],
        "omitted": list(report.omitted),
    }


def json_document(reports: Sequence[Report], label: str | None = None) -> dict[str, Any]:
    """One object for any number of reviewed patches: the same keys for one patch or an mbox.

    ``{"label", "tool", "version", "findings", "counts", "checks", "coverage",
    "omitted", "patches"}``: the top-level findings are every patch's, each
    with ``"patch"``, its index in ``patches``; counts are totals; coverage
    is summed over the patches; ``patches`` holds one object per patch
    (``label``, ``commits``, ``findings``, ``counts``, ``coverage``, ``omitted``).
    Keys come in a fixed order, every finding has every field of
    :class:`~duckfix.findings.Finding` (None included), every severity a count.
    """
    patches = [_patch(r) for r in reports]
    findings = [
        {**finding, "patch": index}
        for index, patch in enumerate(patches)
        for finding in patch["findings"]
    ]
    counts = {s: sum(p["counts"][s] for p in patches) for s in SEVERITIES}
    checks: list[str] = []
    for report in reports:
        checks += [c for c in report.checks if c not in checks]
    runs = [run for r in reports for run in r.coverage]
    several = len(reports) > 1
    omitted = [f"{r.label}: {note}" if several else note for r in reports for note in r.omitted]
    return {
        "label": label if label is not None else (reports[0].label if reports else ""),
        "tool": TOOL_NAME,
        "version": reports[0].tool_version if reports else "",
        "findings": findings,
        "counts": counts,
        "checks": checks,
        "coverage": [record_dict(c) for c in summarize(runs, checks)],
        "omitted": omitted,
        "patches": patches,
    }


def render_json(report: Report) -> str:
    """One report as the document of :func:`json_document` (one patch), as text.

    Non-ASCII stays as it is (the text is UTF-8).
    """
    return json.dumps(json_document([report]), indent=2, ensure_ascii=False)
