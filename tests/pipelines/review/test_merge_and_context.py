"""Enclosing functions, and merging findings: anchor, de-duplicate, rank, cap."""

from __future__ import annotations

import dataclasses

from duckfix.diff import parse_diff
from duckfix.findings import Finding
from duckfix.patches import COMMIT_MSG, CommitInfo, Review
from duckfix.pipelines.review.context import enclosing_function
from duckfix.pipelines.review.merge import merge, same_finding
from duckfix.review_settings import ReviewSettings

C_SOURCE = """\
#include <stdio.h>

static int helper(int x)
{
    return x + 1;
}

int
main(int argc, char **argv)
{
    int total = 0;
    for (int i = 0; i < argc; i++) {
        total += helper(i);
    }
    printf("%d\\n", total);
    return 0;
}
"""

DIFF = """\
--- a/m.c
+++ b/m.c
@@ -12,3 +12,4 @@ main(int argc, char **argv)
     for (int i = 0; i < argc; i++) {
         total += helper(i);
+        total--;
     }
"""


def test_the_enclosing_c_function_is_found_by_braces() -> None:
    (change,) = parse_diff(DIFF)
    found = enclosing_function("m.c", C_SOURCE, change.hunks[0])
    assert found is not None and (found.name, found.start, found.end) == ("main", 9, 17)


def test_the_innermost_python_definition_wins() -> None:
    source = "class A:\n    def f(self):\n        return 1\n\n    def g(self):\n        return 2\n"
    diff = (
        "--- a/a.py\n+++ b/a.py\n@@ -5,2 +5,2 @@\n"
        "     def g(self):\n-        return 1\n+        return 2\n"
    )
    (change,) = parse_diff(diff)
    found = enclosing_function("a.py", source, change.hunks[0])
    assert found is not None and (found.name, found.start, found.end) == ("g", 5, 6)


def _review() -> Review:
    (change,) = parse_diff(DIFF)
    return Review(label="t", files=[change], commits=[CommitInfo("Fix it", "Because.", sha="abc")])


def f(
    line: int, severity: str = "warning", category: str = "x/y", msg: str = "m", path: str = "m.c"
) -> Finding:
    return Finding(path=path, line=line, severity=severity, category=category, message=msg)  # type: ignore[arg-type]


def test_findings_off_the_diff_are_dropped_and_counted() -> None:
    merged = merge(
        [f(14), f(3), f(99, path="other.c"), f(2, path=COMMIT_MSG)], _review(), ReviewSettings()
    )
    assert [(x.path, x.line) for x in merged.findings] == [(COMMIT_MSG, 2), ("m.c", 14)]
    assert merged.dropped_unanchored == 2
    assert "2 finding(s) on lines the diff does not show were dropped" in merged.omitted


def test_duplicates_collapse_to_the_most_severe_with_a_suggestion() -> None:
    a = f(14, "note", "python/W291", "trailing whitespace")
    b = dataclasses.replace(
        f(14, "warning", "hygiene/trailing-whitespace", "line ends in spaces"),
        suggestion="        total--;",
    )
    c = f(14, "error", "model/bug", "total is decremented once per element, undoing the sum")
    d = f(14, "warning", "model/bug", "Total is decremented for every element, undoing the sum!")
    assert same_finding(a, b) and same_finding(c, d) and not same_finding(a, c)
    merged = merge([a, b, c, d], _review(), ReviewSettings())
    assert [(x.severity, x.category) for x in merged.findings] == [
        ("error", "model/bug"),
        ("warning", "hygiene/trailing-whitespace"),
    ]
    assert merged.findings[1].suggestion == "        total--;" and merged.merged_duplicates == 2


def test_caps_per_file_and_per_review_are_reported() -> None:
    words = ["alpha beta", "gamma delta", "epsilon zeta", "theta iota", "kappa lambda", "omicron"]
    many = [f(14, "note", f"x/{i}", w) for i, w in enumerate(words)]
    merged = merge(many, _review(), ReviewSettings(max_per_file=4, max_findings=3))
    assert len(merged.findings) == 3
    assert any("2 more finding(s) over the cap of 4 per file" in o for o in merged.omitted)
    assert any("1 more finding(s) over the cap of 3 per review" in o for o in merged.omitted)
