"""Rendering a finished review: for a terminal, as JSON, as SARIF 2.1.0, for b4.

Every renderer takes one :class:`Report` (the findings and what they sit on)
and has one entry point: :func:`render_terminal` prints on a rich console,
the others return text. Importing this package imports neither rich nor any
part of the review graph.
"""

from __future__ import annotations

from duckfix.pipelines.review.render.b4 import b4_status, render_b4
from duckfix.pipelines.review.render.json_doc import json_document, render_json
from duckfix.pipelines.review.render.report import Report, SourceLines
from duckfix.pipelines.review.render.sarif import render_sarif
from duckfix.pipelines.review.render.terminal import render_terminal, summary_line

__all__ = [
    "Report",
    "SourceLines",
    "b4_status",
    "json_document",
    "render_b4",
    "render_json",
    "render_sarif",
    "render_terminal",
    "summary_line",
]
