"""The web page's HTML: user and task text is shown as written, never run or parsed as markup."""

from __future__ import annotations

from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any

from duckfix.pipelines.review.inputs import from_text
from duckfix.service.server.web import pages

HOSTILE = "<script>alert(1)</script> a[i] & [bold]x[/]"
FIX = "--- a/first.py\n+++ b/first.py\n@@ -2 +2 @@\n-    return a[i + 1]\n+    return a[i]\n"


class _Tags(HTMLParser):
    """The start tags of a page and its text, as a browser's parser sees them."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _job(**fields: Any) -> SimpleNamespace:
    base = dict(id="0123456789abcdef", kind="debug", state="succeeded", token="ada",
                created_at="2026-12-06T10:00:00", started_at=None, finished_at=None,
                run_id="debug-1", exit_code=0, reason="", request={})  # fmt: skip
    return SimpleNamespace(**{**base, **fields})


def test_a_finding_and_the_diff_line_it_is_on_are_text() -> None:
    diff = f'--- a/geo.py\n+++ b/geo.py\n@@ -1 +1,2 @@\n x = 1\n+print("{HOSTILE}")\n'
    files = [r.files for r in from_text(diff, "change.diff")]
    finding = {"path": "geo.py", "line": 2, "severity": "warning", "category": "leftovers/x",
               "message": f"remove {HOSTILE}", "suggestion": None, "commit": None}  # fmt: skip
    document = {"counts": {"error": 0, "warning": 1, "note": 0},
                "patches": [{"label": "change.diff", "findings": [finding]}]}  # fmt: skip
    page = pages.review_result(document, files)
    parsed = _Tags(page)
    assert "script" not in parsed.tags
    text = "".join(parsed.text)
    assert f"remove {HOSTILE}" in text and f'print("{HOSTILE}")' in text
    # The finding sits right under the line it is on.
    assert page.index('class="add"') < page.index('class="finding warning"')


def test_a_task_name_is_text_in_the_runs_list_and_on_its_page() -> None:
    job = _job(request={"name": HOSTILE})
    for page in (pages.jobs_page([job], "ada", None, None), pages.job_page(job, "ada", "")):
        parsed = _Tags(page)
        assert "script" not in parsed.tags
        assert HOSTILE in "".join(parsed.text)


def test_a_debug_result_colours_its_fix_and_escapes_its_explanation() -> None:
    program = "def first(a, i):\n    return a[i + 1]\n"
    document = {
        "status": "fixed",
        "stop_reason": "a patch passes every test",
        "program": {"first.py": program},
        "suspects": [{"path": "first.py", "line": 2, "score": 0.91}],
        "patch": {"diff": FIX},
        "explanation": {
            "summary": HOSTILE,
            "root_cause": "off by one in a[i + 1]",
            "why_fix_works": "",
            "evidence": ["<b>not bold</b>"],
        },
    }
    page = pages.debug_page(document)
    parsed = _Tags(page)
    assert "script" not in parsed.tags and "b" in parsed.tags  # our <b>, not theirs
    text = "".join(parsed.text)
    assert HOSTILE in text and "<b>not bold</b>" in text
    assert "return a[i + 1]" in text, "the suspect line's code is shown"
    assert '<span class="del">-    return a[i + 1]</span>' in page
    assert '<span class="add">+    return a[i]</span>' in page


def test_the_live_section_is_there_only_while_a_job_runs() -> None:
    running = pages.job_page(_job(state="running"), "ada", "")
    done = pages.job_page(_job(), "ada", "")
    assert 'id="live"' in running and "live.js" in running
    assert 'id="live"' not in done and "<script" not in done
