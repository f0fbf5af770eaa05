"""Findings and coverage records: plain dataclasses, still checked where they cross a boundary."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from pydantic import BaseModel, ValidationError

from duckfix.coverage import CheckRun
from duckfix.findings import Finding, finding_from_dict, record_dict


def test_a_server_finding_is_checked_field_by_field() -> None:
    sent = {"path": "a.py", "line": "3", "severity": "warning", "category": "python/F401",
            "message": "unused import", "suggestion": None, "commit": None}  # fmt: skip
    assert finding_from_dict(sent) == Finding("a.py", 3, "warning", "python/F401", "unused import")
    with pytest.raises(ValidationError, match="severity"):
        finding_from_dict({**sent, "severity": "fatal"})
    with pytest.raises(ValidationError, match="colour"):
        finding_from_dict({**sent, "colour": "red"})
    with pytest.raises(ValidationError, match="line"):
        finding_from_dict({**sent, "line": "three"})


def test_records_validate_inside_a_model_and_dump_as_json() -> None:
    class Page(BaseModel):
        findings: list[Finding]
        coverage: list[CheckRun]

    page = Page.model_validate(
        {"findings": [{"path": "a", "line": 1, "severity": "note", "category": "c/x",
                       "message": "m"}],
         "coverage": [{"check": "python", "path": "a", "status": "not-run", "reason": "no ruff"}]}
    )  # fmt: skip
    assert page.findings[0].suggestion is None and page.coverage[0].reason == "no ruff"
    with pytest.raises(ValidationError):
        Page.model_validate({"findings": [], "coverage": [{"check": "c", "path": "a",
                                                            "status": "skipped"}]})  # fmt: skip
    assert json.loads(page.model_dump_json())["coverage"][0] == record_dict(page.coverage[0])
    with pytest.raises(ValueError, match="status 'maybe'"):
        CheckRun(check="c", path="a", status="maybe")  # type: ignore[arg-type]


def test_building_findings_and_coverage_imports_no_pydantic() -> None:
    code = (
        "import sys\nfrom duckfix.findings import Finding\nfrom duckfix.coverage import "
        "CheckRun, coverage_line\nf = Finding('a', 1, 'note', 'x/y', 'm')\n"
        "print(coverage_line([CheckRun('c', 'a', 'ran')]), 'pydantic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["ran:", "c", "1", "False"]
