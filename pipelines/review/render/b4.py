"""The review as one result of b4's external check protocol (``b4 review`` tracking).

b4 runs a command configured as ``b4.review-perpatch-check-cmd`` (or
``review-series-check-cmd``) with one patch e-mail on stdin, and reads a JSON
list of ``{tool, status, summary, url, details}`` from stdout: ``tool`` names
the column of its results matrix, ``status`` is ``pass``, ``warn`` or
``fail`` (anything else counts as ``fail``), ``summary`` is one line,
``url`` a link, ``details`` multi-line text for its detail view; all but
``tool`` and ``status`` are optional. (Described in b4's
``misc/review-ci-example.py``; read by ``_run_external_cmd`` in
``src/b4/review/checks.py``.)

This is not the protocol of ``b4 prep --check`` (``prep-perpatch-check-cmd``),
which reads checkpatch-style text lines.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from duckfix.pipelines.review.render.report import (
    SEVERITIES,
    TOOL_NAME,
    Report,
    plural,
    visible,
)

__all__ = ["B4Status", "b4_status", "render_b4"]

B4Status = Literal["pass", "warn", "fail"]


def b4_status(report: Report) -> B4Status:
    """``fail`` with any error, ``warn`` with any warning, else ``pass`` (notes do not count)."""
    counts = report.counts()
    if counts["error"]:
        return "fail"
    if counts["warning"]:
        return "warn"
    return "pass"


def render_b4(report: Report, url: str | None = None) -> str:
    """``report`` as b4's JSON list (one result, tool ``duckfix``).

    ``url`` (a page with the full review) is sent when there is one. b4 reads
    a missing field as ``""``, but passes an explicit ``null`` through as
    None, so a missing URL is left out rather than sent as ``null``.
    """
    counts = report.counts()
    if report.findings:
        summary = ", ".join(plural(counts[s], s) for s in SEVERITIES)
    else:
        summary = "no findings"
    # One line per finding, so a multi-line message is joined onto its line.
    lines = [
        visible(
            f"{f.path}:{f.line}: {f.severity}: {' '.join(f.message.splitlines())} [{f.category}]"
        )
        for f in report.findings
    ]
    if report.omitted:
        lines += ["", "left out:", *(f"- {visible(note)}" for note in report.omitted)]
    # Where each check ran, and which could not: about the run, so in the
    # details only; a check that could not run never changes the status.
    if report.coverage:
        lines += ["", f"coverage: {visible(report.coverage_line())}"]
    lines += [
        f"- {visible(m.check)} could not run on {visible(m.path)}: {visible(m.reason)}"
        for m in report.not_run
    ]
    result: dict[str, Any] = {
        "tool": TOOL_NAME,
        "status": b4_status(report),
        "summary": summary,
    }
    if url:
        result["url"] = url
    if lines:
        result["details"] = "\n".join(lines).strip("\n")
    return json.dumps([result], indent=2, ensure_ascii=False)
