"""The reviewer's model on a patch: what it is shown, where its findings land, what it skips."""

from __future__ import annotations

import json

from duckfix.agents.llm_diff_reviewer import file_view, plan, review_file
from duckfix.diff import parse_diff
from duckfix.llm import FakeProvider, LLMClient
from duckfix.patches import CommitInfo, FileContext
from duckfix.pipelines.review.context import enclosing_function

NEW = """\
def load(path):
    f = open(path)
    data = f.read()
    return data


def other():
    return 1
"""
DIFF = """\
--- a/io.py
+++ b/io.py
@@ -1,4 +1,4 @@
 def load(path):
-    with open(path) as f:
-        data = f.read()
+    f = open(path)
+    data = f.read()
     return data
"""


def _ctx() -> FileContext:
    (change,) = parse_diff(DIFF)
    enclosing = [enclosing_function("io.py", NEW, h) for h in change.hunks]
    return FileContext(change, NEW, enclosing)


def _client(*answers: object) -> tuple[FakeProvider, LLMClient]:
    fake = FakeProvider()
    fake.enqueue(json.dumps(a) for a in answers)
    return fake, LLMClient(fake)


def test_the_model_sees_numbered_new_lines_and_unnumbered_removals() -> None:
    view = file_view(_ctx())
    assert "in load (lines 1-4):" in view
    assert "2 +     f = open(path)" in view
    assert "  -     with open(path) as f:" in view
    assert "4       return data" in view


def test_findings_are_anchored_moved_or_dropped() -> None:
    answer = {
        "findings": [
            {"line": 2, "severity": "warning", "kind": "resource", "message": "f is never closed",
             "suggestion": "    with open(path) as f:"},
            {"line": 6, "severity": "note", "kind": "bug", "message": "near line 3, moved"},
            {"line": 40, "severity": "error", "kind": "bug", "message": "nowhere near"},
        ]
    }  # fmt: skip
    fake, client = _client(answer)
    commit = CommitInfo("Read files without a context manager", "Simpler.")
    findings, notes = review_file(client, _ctx(), [commit])
    assert [(f.line, f.severity, f.category) for f in findings] == [
        (2, "warning", "model/resource"),
        (3, "note", "model/bug"),
    ]
    assert findings[0].suggestion == "    with open(path) as f:"
    assert any("1 model finding(s) moved" in n for n in notes)
    assert any("1 model finding(s) dropped" in n for n in notes)
    user = fake.history[0][0][1]["content"]
    assert "DATA (changes to io.py)" in user and "Read files without a context manager" in user


def test_a_model_error_is_a_note_not_a_crash() -> None:
    fake = FakeProvider()
    fake.enqueue(["not json", "still not json"])
    findings, notes = review_file(LLMClient(fake), _ctx())
    assert findings == [] and "could not review it" in notes[0]


def test_the_plan_keeps_small_files_within_the_budget_and_lists_the_rest() -> None:
    small = _ctx()
    big_text = "x = 1\n" * 400
    big_diff = "--- a/big.py\n+++ b/big.py\n@@ -0,0 +1,400 @@\n" + "+x = 1\n" * 400
    (change,) = parse_diff(big_diff)
    big = FileContext(change, big_text, [None])
    chosen, notes = plan([big, small], [], budget_tokens=1500)
    assert [c.path for c in chosen] == ["io.py"]
    assert len(notes) == 1 and notes[0].startswith("big.py: not shown to the model")
    chosen, notes = plan([big, small], [], budget_tokens=100_000)
    assert [c.path for c in chosen] == ["big.py", "io.py"] and notes == []
