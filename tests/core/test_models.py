"""The shared models: what other rooms rely on."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from duckfix.models import (
    BUG_CATEGORIES,
    Finding,
    Patch,
    RunResult,
    Task,
    TestOutcome,
    TestReport,
    Usage,
)


def test_patch_from_sources_is_a_unified_diff() -> None:
    before = {"a.py": "x = 1\ny = 2\n", "b.py": "same\n"}
    after = {"a.py": "x = 1\ny = 3\n", "b.py": "same\n", "c.py": "new\n"}
    patch = Patch.from_sources(before, after)
    assert patch.files == ["a.py", "c.py"]
    assert "--- a/a.py\n+++ b/a.py\n" in patch.diff
    assert "-y = 2\n+y = 3\n" in patch.diff
    assert "--- /dev/null\n+++ b/c.py\n" in patch.diff


def test_run_result_describes_how_it_ended() -> None:
    assert RunResult(ended="exited", exit_code=3).describe() == "exited with code 3"
    assert RunResult(ended="signalled", signal="SIGSEGV").describe() == "killed by SIGSEGV"
    assert RunResult(ended="timeout", seconds=2.0).describe() == "timed out after 2.0s"
    assert RunResult(ended="limit", limit="memory").describe() == "stopped by the memory limit"
    assert RunResult(ended="exited", exit_code=0).ok


def test_report_counts() -> None:
    report = TestReport(
        outcomes=[
            TestOutcome(name="a", status="passed"),
            TestOutcome(name="b", status="timeout"),
            TestOutcome(name="c", status="skipped"),
        ]
    )
    assert [o.name for o in report.passed] == ["a"]
    assert [o.name for o in report.failed] == ["b"]
    assert not report.all_passed
    assert not TestReport().all_passed, "no outcomes is not a pass"


def test_task_module_and_strictness() -> None:
    task = Task(id="t", entry_point="f", program="pkg/mod.py", buggy={"pkg/mod.py": ""})
    assert task.module == "pkg.mod"
    with pytest.raises(ValidationError):
        Task(id="t", entry_point="f", program="m.py", buggy={}, colour="red")  # type: ignore[call-arg]


def test_closed_sets() -> None:
    assert "off-by-one" in BUG_CATEGORIES and len(BUG_CATEGORIES) == 11
    with pytest.raises(ValueError, match="severity 'fatal'"):
        Finding(path="a", line=1, severity="fatal", category="x", message="m")  # type: ignore[arg-type]
    total = Usage(prompt_tokens=3, calls=1) + Usage(completion_tokens=2, calls=1, seconds=0.5)
    assert (total.total_tokens, total.calls, total.seconds) == (5, 2, 0.5)


def test_patch_of_a_long_file_is_quick_and_numbered_as_the_file() -> None:
    import difflib
    import time

    lines = [f"x{i % 7} = {i % 3}\n" for i in range(200_000)]
    before = "".join(lines)
    after = "".join([*lines[:150_000], "changed = 1\n", *lines[150_001:]])
    started = time.monotonic()
    patch = Patch.from_sources({"a.py": before}, {"a.py": after})
    assert time.monotonic() - started < 5  # difflib on the whole file takes minutes
    # The same hunk as difflib gives for the lines around the change alone.
    around = slice(149_990, 150_010)
    near = difflib.unified_diff(lines[around], after.splitlines(True)[around], "a/a.py", "b/a.py")
    expected = "".join(near).replace("@@ -8,7 +8,7 @@", "@@ -149998,7 +149998,7 @@")
    assert patch.diff == expected
