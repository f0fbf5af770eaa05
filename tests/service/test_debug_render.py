"""What `duckfix debug` prints about the search: disagreeing patches, mutants in the cost."""

from __future__ import annotations

from pathlib import Path

import pytest

from duckfix.pipelines.debug.state import DebugResult
from duckfix.service.debug_render import render


def test_disagreeing_plausible_patches_and_the_mutants_run_are_shown(
    capsys: pytest.CaptureFixture[str],
) -> None:
    note = (
        "2 plausible patches disagree on 3 of 20 inputs derived from the visible tests"
        " (clip(10, 4) -> patch 1: 4, patch 2: 3); tried first: replace `limit + 1` with"
        " `limit` on line 3, which changes 0 outputs where the visible tests pass and crashes"
        " on 0"
    )
    result = DebugResult(
        task_id="clip", status="fixed", stop_reason="fixed: replace `limit + 1` with `limit`",
        candidates=14, mutants=9, validations=20, disagreements=[note],
    )  # fmt: skip
    render(result, "debug-1", False, Path("clip.py"))
    out = " ".join(capsys.readouterr().out.split())
    assert "note: 2 plausible patches disagree on 3 of 20 inputs" in out
    assert "cost: 14 candidates (9 of them mutants, to localize), 20 test runs" in out


def test_a_run_without_mutants_or_disagreement_says_neither(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = DebugResult(task_id="t", status="not_fixed", stop_reason="all 3 candidates were tried",
                         candidates=3, validations=3)  # fmt: skip
    render(result, "debug-2", False, Path("t.py"))
    out = capsys.readouterr().out
    assert "note:" not in out and "mutants" not in out and "cost: 3 candidates, 3 test" in out
