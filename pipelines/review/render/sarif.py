"""The review as a SARIF 2.1.0 log, for code-scanning services and SARIF viewers.

One run; one rule per distinct finding category; one result per finding.

* A file finding has a physical location: the path as a relative URI under
  ``%SRCROOT%`` (percent-encoded: spaces, non-ASCII, ``#``, ``?``, ``:``) and
  its line. A suggestion becomes a fix that replaces the line's text.
* A commit-message finding sits in an artifact of its own,
  ``COMMIT_MSG/<sha>``, at its line, with a logical location (kind ``commit``)
  naming the commit. GitHub code scanning rejects a whole log in which any result lacks a
  physical location, so ``code_scanning=True`` leaves those results out and
  says so in a tool notification.
* What the review left out becomes tool-execution notifications (level
  ``note``); a check that could not run on a file is one too (level
  ``warning``, ``error`` under ``review.strict``), with the check as its
  descriptor and the file as its location: a fact about the run, never a
  result. ``run.properties.coverage`` lists where each check ran.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from duckfix.coverage import summarize
from duckfix.findings import Finding, record_dict
from duckfix.patches import COMMIT_MSG
from duckfix.pipelines.review.render.report import TOOL_NAME, Report, SourceLines, plural

__all__ = ["SARIF_SCHEMA", "SRCROOT", "artifact_uri", "render_sarif"]

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
"""The OASIS schema's own ``id``: what a log names in ``$schema``."""
SRCROOT = "%SRCROOT%"
"""The base every artifact URI is relative to: the repository's top folder."""


def render_sarif(report: Report, *, code_scanning: bool = False) -> str:
    """``report`` as a SARIF 2.1.0 log (JSON text).

    ``code_scanning`` keeps the log acceptable to GitHub code scanning by
    leaving commit-message findings out (they have no file to sit in).
    """
    findings = report.findings
    notes = list(report.omitted)
    if code_scanning:
        left_out = [f for f in findings if f.path == COMMIT_MSG]
        findings = [f for f in findings if f.path != COMMIT_MSG]
        if left_out:
            notes.append(
                f"{plural(len(left_out), 'commit-message finding')} left out: "
                "code scanning takes only results in files"
            )

    categories = sorted({f.category for f in findings})
    rule_index = {category: i for i, category in enumerate(categories)}
    driver: dict[str, Any] = {"name": TOOL_NAME, "version": report.tool_version}
    if report.information_uri:
        driver["informationUri"] = report.information_uri
    driver["rules"] = [
        {"id": category, "shortDescription": {"text": _describe(category)}}
        for category in categories
    ]

    sources = SourceLines.of(report)
    failed = report.strict and bool(report.not_run)
    invocation: dict[str, Any] = {"executionSuccessful": not failed}
    notifications = [{"message": {"text": note}, "level": "note"} for note in notes]
    for missed in report.not_run:
        notification: dict[str, Any] = {
            "message": {"text": f"{missed.check} could not run on {missed.path}: {missed.reason}"},
            "level": "error" if report.strict else "warning",
            "descriptor": {"id": missed.check},
        }
        if not missed.path.startswith(COMMIT_MSG):
            artifact = {"uri": artifact_uri(missed.path), "uriBaseId": SRCROOT}
            notification["locations"] = [{"physicalLocation": {"artifactLocation": artifact}}]
        notifications.append(notification)
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    coverage = [record_dict(c) for c in summarize(report.coverage, report.checks)]
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "invocations": [invocation],
        "results": [_result(f, rule_index[f.category], sources) for f in findings],
        "properties": {"label": report.label, "checks": list(report.checks), "coverage": coverage},
    }
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False)


def artifact_uri(path: str) -> str:
    """A repository path as a relative URI reference: UTF-8 percent-encoded, ``/`` kept.

    ``:`` is encoded too, so that a first segment like ``c:x.py`` is not read
    as a URI scheme.
    """
    return quote(path, safe="/")


def _describe(category: str) -> str:
    check, _, rule = category.partition("/")
    return f"{rule} ({check} check)" if rule else category


def _result(finding: Finding, rule_index: int, sources: SourceLines) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.category,
        "ruleIndex": rule_index,
        "level": finding.severity,
        "message": {"text": finding.message},
    }
    properties: dict[str, Any] = {}
    if finding.commit:
        properties["commit"] = finding.commit
    if finding.path == COMMIT_MSG:
        result["locations"] = [_commit_location(finding, sources)]
        if finding.suggestion is not None:
            # A fix needs an artifact to change; a commit message is none.
            properties["suggestion"] = finding.suggestion
    else:
        artifact = {"uri": artifact_uri(finding.path), "uriBaseId": SRCROOT}
        physical: dict[str, Any] = {"artifactLocation": artifact}
        code = sources.text(finding)
        if finding.line >= 1:  # a line-less finding is about the whole file
            region: dict[str, Any] = {"startLine": finding.line}
            if code is not None:
                region["snippet"] = {"text": code}
            physical["region"] = region
        result["locations"] = [{"physicalLocation": physical}]
        if finding.suggestion is not None and finding.line >= 1:
            result["fixes"] = [_fix(finding, finding.suggestion, artifact)]
    if properties:
        result["properties"] = properties
    return result


def _commit_location(finding: Finding, sources: SourceLines) -> dict[str, Any]:
    """A commit-message finding's place: the message as an artifact of its own, and its line.

    Viewers (sarif-tools, IDE SARIF viewers) list results by artifact; a
    logical location alone showed as a file path that does not exist. The
    artifact is ``COMMIT_MSG/<sha>`` (or the subject of a patch not yet
    applied), with the line's text as the region's snippet; the logical
    location names the commit for tools that read those.
    """
    commit = sources.commit(finding)
    if commit is not None:
        name = commit.label if commit.sha else commit.subject
        qualified = commit.sha or commit.subject
    else:
        name = qualified = finding.commit or COMMIT_MSG
    artifact = {
        "uri": artifact_uri(commit_artifact(qualified)),
        "description": {"text": f"the commit message of {name}"},
    }
    region: dict[str, Any] = {"startLine": max(finding.line, 1)}
    if commit is not None:
        lines = commit.message.splitlines()
        if 1 <= finding.line <= len(lines):
            region["snippet"] = {"text": lines[finding.line - 1]}
    return {
        "physicalLocation": {"artifactLocation": artifact, "region": region},
        "logicalLocations": [{"kind": "commit", "name": name, "fullyQualifiedName": qualified}],
        "message": {"text": f"line {finding.line} of the commit message"},
    }


def commit_artifact(commit: str) -> str:
    """The artifact path a commit's message is given: ``COMMIT_MSG/<sha or subject>``."""
    return f"{COMMIT_MSG}/{commit}" if commit != COMMIT_MSG else COMMIT_MSG


def _fix(finding: Finding, suggestion: str, artifact: dict[str, Any]) -> dict[str, Any]:
    """Replace the line's text, not its line ending.

    With ``startColumn`` 1 and no ``endColumn`` the region runs to the end of
    the line *excluding* its newline (SARIF 2.1.0, region ``endColumn``), so
    a CRLF line keeps its CRLF and a last line without a newline gets none.
    """
    return {
        "description": {"text": f"replace line {finding.line}"},
        "artifactChanges": [
            {
                "artifactLocation": dict(artifact),
                "replacements": [
                    {
                        "deletedRegion": {"startLine": finding.line, "startColumn": 1},
                        "insertedContent": {"text": suggestion},
                    }
                ],
            }
        ],
    }
