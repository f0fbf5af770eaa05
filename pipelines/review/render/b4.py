"""The review as one result of b4's external check protocol (``b4 review`` tracking).

b4 runs a command configured as ``b4.review-perpatch-check-cmd`` (or
``review-series-check-cmd``) with one patch e-mail on stdin, and reads a JSON
list of ``{tool, status, summary, url, details}`` from stdout: ``tool`` names
the column of its results matrix, ``status`` is ``pass``, ``warn`` or
``fail`` (anything else counts as ``fail``), ``summary`` is one line,
``url`` a link, ``details`` for its detail view; all but ``tool`` and
``status`` are optional. b4's own checks send ``details`` as a JSON list of
``{status, description}``, which b4 draws as a dot per entry: so does duckfix. (Described in b4's
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
    # b4 shows ``details`` as its own checks send them (checkpatch, patchwork):
    # a JSON list of {status, description}, drawn as one coloured dot per
    # entry. A multi-line message is joined onto its line.
    status = {"error": "fail", "warning": "warn", "note": "pass"}
    entries = [
        {
            "status": status[f.severity],
            "description": visible(
                f"{f.path}:{f.line}: {f.severity}: {' '.join(f.message.splitlines())} "
                f"[{f.category}]"
            ),
        }
        for f in report.findings
    ]
    entries += [
        {"status": "pass", "description": f"left out: {visible(n)}"} for n in report.omitted
    ]
    # Where each check could not run is about the run, not the patch: a
    # "pass" dot, so it never changes how the patch looks.
    entries += [
        {
            "status": "pass",
            "description": (
                f"not a finding: {visible(m.check)} could not run on {visible(m.path)}: "
                f"{visible(m.reason)}"
            ),
        }
        for m in report.not_run
    ]
    result: dict[str, Any] = {
        "tool": TOOL_NAME,
        "status": b4_status(report),
        "summary": summary,
    }
    if url:
        result["url"] = url
    if entries:
        result["details"] = json.dumps(entries, ensure_ascii=False)
    return json.dumps([result], indent=2, ensure_ascii=False)
