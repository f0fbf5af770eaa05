"""Rendering a review: terminal, JSON, SARIF 2.1.0 (validated against the OASIS schema), b4."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest
from jsonschema import FormatChecker
from jsonschema.validators import validator_for
from rich.console import Console

import duckfix.pipelines.review.render as render
from duckfix.diff import parse_diff
from duckfix.findings import Finding, finding_from_dict
from duckfix.patches import COMMIT_MSG, CommitInfo, Review
from duckfix.pipelines.review.render import (
    Report,
    b4_status,
    render_b4,
    render_json,
    render_sarif,
    render_terminal,
)
from duckfix.pipelines.review.render.sarif import SARIF_SCHEMA, artifact_uri
from duckfix.pipelines.review.run import ReviewOutcome

SCHEMA_PATH = Path(__file__).with_name("sarif-2.1.0.schema.json")

# Two files, the second with a non-ASCII name and a space (git C-quotes it).
DIFF = (
    "diff --git a/src/app.py b/src/app.py\n"
    "index 1111111..2222222 100644\n"
    "--- a/src/app.py\n"
    "+++ b/src/app.py\n"
    "@@ -1,3 +1,4 @@\n"
    " import os\n"
    "-x = 1\n"
    "+x = foo(1)   \n"
    "+print(x)\n"
    " y = 2\n"
    'diff --git "a/docs/\\303\\244 b.txt" "b/docs/\\303\\244 b.txt"\n'
    "index 3333333..4444444 100644\n"
    '--- "a/docs/\\303\\244 b.txt"\n'
    '+++ "b/docs/\\303\\244 b.txt"\n'
    "@@ -10,2 +10,2 @@ heading\n"
    " context line\n"
    "-old text\n"
    "+neue Zeile mit Ümlaut\n"
)

SHA = "0123456789abcdef0123456789abcdef01234567"
UMLAUT = "docs/\u00e4 b.txt"


def commit() -> CommitInfo:
    return CommitInfo(
        subject="Add the [parser] and a very long subject that goes on",
        body="Why it is needed.\n\nSigned-off-by: A U Thor <a@example.org>",
        author="A U Thor <a@example.org>",
        sha=SHA,
    )


def findings() -> list[Finding]:
    return [
        Finding(
            path="src/app.py",
            line=2,
            severity="error",
            category="python/F821",
            message="undefined name 'foo'",
        ),
        Finding(
            path=COMMIT_MSG,
            line=1,
            severity="warning",
            category="commit/subject-length",
            message="subject is 52 characters long",
            commit=SHA,
        ),
        Finding(
            path="src/app.py",
            line=2,
            severity="warning",
            category="hygiene/trailing-whitespace",
            message="trailing whitespace",
            suggestion="x = foo(1)",
        ),
        Finding(
            path=UMLAUT,
            line=11,
            severity="note",
            category="spelling/typo",
            message="'Zeile' [sic] reads oddly",
        ),
    ]


def report(**changes: Any) -> Report:
    fields: dict[str, Any] = {
        "label": "HEAD~1..HEAD",
        "findings": findings(),
        "files": parse_diff(DIFF),
        "commits": [commit()],
        "checks": ["hygiene", "python", "commit"],
        "omitted": ["3 findings over the per-file cap"],
        "tool_version": "9.9.9",
        "information_uri": "https://example.org/duckfix",
    }
    fields.update(changes)
    return Report(**fields)


def empty_report() -> Report:
    return report(findings=[], omitted=[])


def terminal_text(rep: Report, width: int = 120) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None, force_terminal=False)
    render_terminal(rep, console)
    return out.getvalue()


# --- the report ----------------------------------------------------------------------


def test_the_diff_fixture_is_what_the_tests_assume() -> None:
    files = {change.path: change for change in parse_diff(DIFF)}
    assert set(files) == {"src/app.py", UMLAUT}
    assert files["src/app.py"].added_lines == {2: "x = foo(1)   ", 3: "print(x)"}
    assert files[UMLAUT].added_lines == {11: "neue Zeile mit Ümlaut"}


def test_counts_every_severity() -> None:
    assert report().counts() == {"error": 1, "warning": 2, "note": 1}
    assert empty_report().counts() == {"error": 0, "warning": 0, "note": 0}


def test_report_from_a_review_outcome() -> None:
    review = Review(label="staged", files=parse_diff(DIFF), commits=[commit()])
    outcome = ReviewOutcome(review=review, findings=findings(), checks=["hygiene"], omitted=["x"])
    rep = Report.from_outcome(outcome, tool_version="1.2.3")
    assert rep.label == "staged" and rep.findings == outcome.findings
    assert rep.files == review.files and rep.commits == review.commits
    assert (rep.checks, rep.omitted, rep.tool_version) == (["hygiene"], ["x"], "1.2.3")
    assert rep.information_uri is None


def test_public_names() -> None:
    assert sorted(render.__all__) == render.__all__
    for name in render.__all__:
        assert getattr(render, name) is not None


# --- terminal ------------------------------------------------------------------------


def test_terminal_shows_each_finding_over_its_numbered_line() -> None:
    text = terminal_text(report())
    assert "\x1b" not in text  # a captured console gets no colour codes
    lines = text.splitlines()
    assert lines[0] == "duckfix review: HEAD~1..HEAD"
    # The code line, under its new line number, for both findings on line 2.
    assert text.count("     2 │ x = foo(1)") == 2
    assert "    11 │ neue Zeile mit Ümlaut" in text
    assert "error    python/F821  undefined name 'foo'" in text
    assert "note     spelling/typo  'Zeile' [sic] reads oddly" in text  # not taken for markup


def test_terminal_shows_a_suggestion_as_minus_and_plus() -> None:
    lines = terminal_text(report()).splitlines()
    at = next(i for i, line in enumerate(lines) if "hygiene/trailing-whitespace" in line)
    assert lines[at + 1].strip() == "2 │ x = foo(1)"
    assert lines[at + 2].strip() == "- x = foo(1)"
    assert lines[at + 2].endswith("- x = foo(1)   ")  # the old line as it is
    assert lines[at + 3].strip() == "+ x = foo(1)"


def test_terminal_groups_by_commit_then_file_with_a_summary() -> None:
    lines = terminal_text(report()).splitlines()
    heading = f"commit {SHA[:12]}  Add the [parser] and a very long subject that goes on"
    order = [heading, "src/app.py", UMLAUT]
    assert [lines.index(h) for h in order] == sorted(lines.index(h) for h in order)
    assert "     1 │ Add the [parser] and a very long subject that goes on" in lines
    assert (
        "1 error, 2 warnings, 1 note in 2 files and 1 commit message "
        "(checks: hygiene, python, commit)"
    ) in lines
    assert lines[-2:] == ["left out:", "  - 3 findings over the per-file cap"]


def test_terminal_summary_of_commit_message_findings_only() -> None:
    only = [f for f in findings() if f.path == COMMIT_MSG]
    assert "1 warning, 0 notes in 1 commit message (checks: none)" in terminal_text(
        report(findings=only, checks=[])
    )


def test_terminal_with_no_findings() -> None:
    text = terminal_text(empty_report())
    assert "no findings in 2 files (checks: hygiene, python, commit)" in text
    assert "│" not in text and "left out" not in text


def test_terminal_line_outside_the_diff_and_unknown_commit() -> None:
    rep = report(
        findings=[
            Finding(path="src/app.py", line=40, severity="note", category="a/b", message="m"),
            Finding(path=COMMIT_MSG, line=2, severity="note", category="c/d", message="n"),
        ],
        commits=[commit(), CommitInfo(subject="second", sha="f" * 40)],
    )
    text = terminal_text(rep)
    assert "    40 │ (line not shown in the diff)" in text
    # Two commits and a finding that names none: grouped apart, not guessed.
    assert "\ncommit message\n" in text
    assert "in 1 file and 1 commit message" in text


def test_terminal_escapes_control_and_bidi_characters() -> None:
    diff = "--- a/t.py\n+++ b/t.py\n@@ -0,0 +1 @@\n+a = 1  # \x1b[2J\u202e evil\n"
    rep = report(
        files=parse_diff(diff),
        commits=[],
        findings=[Finding(path="t.py", line=1, severity="error", category="x/y", message="m")],
    )
    text = terminal_text(rep)
    assert "\x1b" not in text and "\u202e" not in text
    assert "a = 1  # \\x1b[2J\\u202e evil" in text


def test_terminal_colours_on_a_real_terminal() -> None:
    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=True, color_system="standard")
    render_terminal(report(), console)
    text = out.getvalue()
    assert "\x1b[" in text
    # The trailing whitespace the suggestion removes is shown in reverse video.
    old_line = next(line for line in text.splitlines() if "- x = foo(1)" in line)
    assert old_line.endswith("\x1b[7;31m   \x1b[0m")


# --- JSON ----------------------------------------------------------------------------


def test_json_round_trips_counts_and_findings() -> None:
    doc = json.loads(render_json(report()))
    assert list(doc) == [
        "label", "tool", "version", "findings", "counts", "checks", "coverage", "omitted",
        "patches",
    ]  # fmt: skip
    assert doc["counts"] == {"error": 1, "warning": 2, "note": 1}
    assert doc["counts"] == report().counts()
    assert all(f.pop("patch") == 0 for f in doc["findings"])
    assert [finding_from_dict(f) for f in doc["findings"]] == findings()
    (patch,) = doc["patches"]
    assert patch["label"] == doc["label"] and patch["counts"] == doc["counts"]
    assert doc["checks"] == ["hygiene", "python", "commit"]
    assert doc["omitted"] == ["3 findings over the per-file cap"]
    assert (doc["tool"], doc["version"], doc["label"]) == ("duckfix", "9.9.9", "HEAD~1..HEAD")


def test_json_is_stable_and_keeps_non_ascii() -> None:
    text = render_json(report())
    assert text == render_json(report())
    assert UMLAUT in text  # not \u00e4
    assert json.loads(text)["findings"][0]["suggestion"] is None  # every field, None too


def test_json_with_no_findings() -> None:
    doc = json.loads(render_json(empty_report()))
    assert doc["findings"] == [] and doc["omitted"] == []
    assert doc["counts"] == {"error": 0, "warning": 0, "note": 0}


# --- SARIF ---------------------------------------------------------------------------

# jsonschema checks "uri" and "uri-reference" only with an optional package
# (rfc3987) that is not installed: these check the characters RFC 3986
# allows, which is what percent-encoding paths is about.
_URI_CHARS = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#\[\]]|%[0-9A-Fa-f]{2})*"
FORMATS = FormatChecker()


def _uri_reference(value: object) -> bool:
    return not isinstance(value, str) or re.fullmatch(_URI_CHARS, value) is not None


def _uri(value: object) -> bool:
    return (
        not isinstance(value, str)
        or re.fullmatch(r"[A-Za-z][A-Za-z0-9+.\-]*:" + _URI_CHARS, value) is not None
    )


FORMATS.checks("uri-reference")(_uri_reference)
FORMATS.checks("uri")(_uri)


@pytest.fixture(scope="module")
def validator() -> Any:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=FORMATS)


def test_the_schema_is_the_oasis_one() -> None:
    """A swapped or truncated schema would make the validation tests vacuous."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert schema["id"] == SARIF_SCHEMA  # what a rendered log names in "$schema"
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert validator_for(schema) is jsonschema.Draft4Validator
    assert len(schema["definitions"]) == 52
    assert {"result", "run", "location", "logicalLocation", "fix"} <= set(schema["definitions"])


def test_sarif_validates(validator: Any) -> None:
    for rep in (report(), empty_report(), report(information_uri=None)):
        validator.validate(json.loads(render_sarif(rep)))
        validator.validate(json.loads(render_sarif(rep, code_scanning=True)))


@pytest.mark.parametrize(
    "break_it",
    [
        lambda log: log.pop("version"),
        lambda log: log["runs"][0]["results"][0].update(level="fatal"),
        lambda log: log["runs"][0]["results"][0].pop("message"),
        lambda log: log["runs"][0]["results"][0]["locations"][0]["physicalLocation"].update(
            region={"startLine": 0}
        ),
        lambda log: log["runs"][0]["tool"]["driver"].pop("name"),
        lambda log: log["runs"][0]["results"][0].update(unknown=1),
        lambda log: log["runs"][0]["results"][0]["locations"][0]["physicalLocation"][
            "artifactLocation"
        ].update(uri="docs/ä b.txt"),
    ],
    ids=["no-version", "bad-level", "no-message", "line-0", "no-tool-name", "extra", "raw-uri"],
)
def test_an_invalid_sarif_log_fails_validation(validator: Any, break_it: Any) -> None:
    log = json.loads(render_sarif(report()))
    validator.validate(log)
    break_it(log)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(log)


def test_sarif_tool_rules_and_results() -> None:
    run = json.loads(render_sarif(report()))["runs"][0]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("duckfix", "9.9.9")
    assert driver["informationUri"] == "https://example.org/duckfix"
    ids = [rule["id"] for rule in driver["rules"]]
    assert ids == sorted({f.category for f in findings()})
    assert driver["rules"][ids.index("python/F821")]["shortDescription"] == {
        "text": "F821 (python check)"
    }
    results = run["results"]
    assert [r["ruleId"] for r in results] == [f.category for f in findings()]
    assert [r["level"] for r in results] == [f.severity for f in findings()]
    for result in results:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    assert results[0]["message"] == {"text": "undefined name 'foo'"}
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert [n["message"]["text"] for n in notes] == ["3 findings over the per-file cap"]
    assert run["properties"] == {
        "label": "HEAD~1..HEAD",
        "checks": ["hygiene", "python", "commit"],
        "coverage": [],
    }


def test_sarif_file_locations_are_escaped_relative_uris() -> None:
    results = json.loads(render_sarif(report()))["runs"][0]["results"]
    located = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r["locations"][0][
            "physicalLocation"
        ]
        for r in results
        if "uriBaseId" in r["locations"][0]["physicalLocation"]["artifactLocation"]
    }
    assert set(located) == {"src/app.py", "docs/%C3%A4%20b.txt"}
    umlaut = located["docs/%C3%A4%20b.txt"]
    assert unquote(umlaut["artifactLocation"]["uri"]) == UMLAUT
    assert umlaut["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    assert umlaut["region"] == {"startLine": 11, "snippet": {"text": "neue Zeile mit Ümlaut"}}


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("a b/c.py", "a%20b/c.py"),
        ("c:x.py", "c%3Ax.py"),  # not a scheme
        ("we#ird?.py", "we%23ird%3F.py"),
        ("100%.txt", "100%25.txt"),
        ("日本.c", "%E6%97%A5%E6%9C%AC.c"),
    ],
)
def test_artifact_uri(path: str, uri: str) -> None:
    assert artifact_uri(path) == uri
    assert unquote(uri) == path


def test_sarif_commit_message_finding_sits_in_the_commits_message() -> None:
    result = json.loads(render_sarif(report()))["runs"][0]["results"][1]
    assert result["ruleId"] == "commit/subject-length"
    (location,) = result["locations"]
    physical = location["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == f"COMMIT_MSG/{SHA}"
    assert "uriBaseId" not in physical["artifactLocation"], "not a file of the tree"
    assert physical["region"]["startLine"] == 1 and physical["region"]["snippet"]["text"]
    assert location["logicalLocations"] == [
        {"kind": "commit", "name": SHA[:12], "fullyQualifiedName": SHA}
    ]
    assert result["properties"] == {"commit": SHA}


def test_sarif_suggestion_is_a_fix_replacing_the_line_text() -> None:
    result = json.loads(render_sarif(report()))["runs"][0]["results"][2]
    (fix,) = result["fixes"]
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "src/app.py", "uriBaseId": "%SRCROOT%"}
    assert change["replacements"] == [
        {
            "deletedRegion": {"startLine": 2, "startColumn": 1},
            "insertedContent": {"text": "x = foo(1)"},
        }
    ]
    assert "fixes" not in json.loads(render_sarif(report()))["runs"][0]["results"][0]


def test_sarif_for_code_scanning_leaves_commit_messages_out() -> None:
    run = json.loads(render_sarif(report(), code_scanning=True))["runs"][0]
    assert all("physicalLocation" in r["locations"][0] for r in run["results"])
    assert len(run["results"]) == 3
    assert "commit/subject-length" not in [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    texts = [n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"]]
    assert texts[-1].startswith("1 commit-message finding left out")


def test_sarif_with_no_findings() -> None:
    log = json.loads(render_sarif(empty_report()))
    (run,) = log["runs"]
    assert log["version"] == "2.1.0"
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == []
    assert "toolExecutionNotifications" not in run["invocations"][0]


# --- b4 ------------------------------------------------------------------------------


def _severities(*severities: str) -> list[Finding]:
    return [
        Finding(path="f.c", line=i + 1, severity=s, category="c/w", message="m")
        for i, s in enumerate(severities)
    ]


@pytest.mark.parametrize(
    ("severities", "status", "summary"),
    [
        ((), "pass", "no findings"),
        (("note", "note"), "pass", "0 errors, 0 warnings, 2 notes"),
        (("warning", "note"), "warn", "0 errors, 1 warning, 1 note"),
        (("warning", "error", "note"), "fail", "1 error, 1 warning, 1 note"),
    ],
)
def test_b4_status_and_summary(severities: tuple[str, ...], status: str, summary: str) -> None:
    rep = report(findings=_severities(*severities), omitted=[])
    (result,) = json.loads(render_b4(rep))
    assert b4_status(rep) == status
    assert result["tool"] == "duckfix"
    assert (result["status"], result["summary"]) == (status, summary)


def test_b4_details_are_a_dot_per_finding_as_b4s_own_checks_send() -> None:
    (result,) = json.loads(render_b4(report()))
    assert list(result) == ["tool", "status", "summary", "details"]  # no "url": null
    details = json.loads(result["details"])
    assert [(d["status"], d["description"]) for d in details] == [
        ("fail", "src/app.py:2: error: undefined name 'foo' [python/F821]"),
        ("warn", "COMMIT_MSG:1: warning: subject is 52 characters long [commit/subject-length]"),
        ("warn", "src/app.py:2: warning: trailing whitespace [hygiene/trailing-whitespace]"),
        ("pass", f"{UMLAUT}:11: note: 'Zeile' [sic] reads oddly [spelling/typo]"),
        ("pass", "left out: 3 findings over the per-file cap"),
    ]


def test_b4_multi_line_message_and_url() -> None:
    rep = report(
        findings=[
            Finding(path="a.py", line=3, severity="warning", category="m/x", message="one\ntwo")
        ],
        omitted=[],
    )
    (result,) = json.loads(render_b4(rep, url="https://ci.example.org/1"))
    assert json.loads(result["details"]) == [
        {"status": "warn", "description": "a.py:3: warning: one two [m/x]"}
    ]
    assert result["url"] == "https://ci.example.org/1"


def test_b4_with_no_findings() -> None:
    assert json.loads(render_b4(empty_report())) == [
        {"tool": "duckfix", "status": "pass", "summary": "no findings"}
    ]


def test_the_secret_mask_cuts_values_and_keeps_names() -> None:
    from duckfix.pipelines.review.render.report import masked

    key = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
    token = "ghp_" + "A1b2C3d4" * 3
    assert masked(f'AWS_SECRET_ACCESS_KEY = "{key}"') == 'AWS_SECRET_ACCESS_KEY = "wJal****"'
    assert masked(f"export GITHUB_TOKEN={token}") == "export GITHUB_TOKEN=ghp_****"
    assert masked(f"password: {key.replace('/', '')}") == "password: wJal****"
    assert masked(f"client(api_key='{token}')") == "client(api_key='ghp_****')"
