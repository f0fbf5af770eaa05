"""The bench report as a reader sees it: why a patch is wrong, whole counts, coloured diffs."""

from __future__ import annotations

from pathlib import Path

from duckfix.pipelines.bench import BenchResult
from duckfix.service.report import write_report
from duckfix.store import RunRecord

DIFF = "--- a/p.py\n+++ b/p.py\n@@ -1,2 +1,2 @@\n def f(n):\n-    return n + 2\n+    return n * 2\n"


def _results() -> list[BenchResult]:
    common = {"category": "wrong-operator", "seconds": 2.0, "candidates": 4}
    return [
        BenchResult(task_id="ok", status="fixed", plausible=True, correct=True, fix=DIFF,
                    stop_reason="fixed: replace `+` with `*`", **common),
        BenchResult(task_id="overfit", status="fixed", plausible=True, correct=False, fix=DIFF,
                    hidden_failed=["hidden/cases.jsonl:2", "t2", "t3", "t4"],
                    stop_reason="fixed: replace `2` with `1`", **common),
        BenchResult(task_id="<script>", status="not_fixed", plausible=False, correct=False,
                    stop_reason="all 4 candidates were tried", **common),
    ]  # fmt: skip


def test_the_report_says_why_a_plausible_patch_is_wrong_and_colours_diffs(tmp_path: Path) -> None:
    run = RunRecord("bench-x", "bench", "suite", "ok", {"max_seconds": 5.0}, "now", "later")
    paths = write_report(run, _results(), tmp_path)
    page = (tmp_path / "report.html").read_text()
    md = (tmp_path / "report.md").read_text()
    for text in (page, md):
        assert "fails hidden: hidden/cases.jsonl:2, t2, t3 and 1 more" in text
    assert '<span class="add">+    return n * 2</span>' in page
    assert '<span class="del">-    return n + 2</span>' in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert all(p.is_file() for p in paths)


def test_category_counts_have_whole_number_ticks() -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    from duckfix.pipelines.bench import summarize
    from duckfix.service import report

    captured = {}
    real = plt.subplots

    def spy(*args: object, **kwargs: object) -> object:
        fig, ax = real(*args, **kwargs)
        captured["ax"] = ax
        return fig, ax

    plt.subplots = spy  # type: ignore[assignment]
    try:
        rows = [r for r in summarize(_results()) if r.category != "all"]
        report._plot_categories(rows, Path("/dev/null"))
    finally:
        plt.subplots = real  # type: ignore[assignment]
    ticks = captured["ax"].get_yticks()
    assert all(float(t).is_integer() for t in ticks)


def test_the_report_shows_what_each_agent_was_worth(tmp_path: Path) -> None:
    from duckfix.pipelines.agent_value import AgentValue

    results = _results()
    results[0].agents = {
        "fixer": AgentValue(calls=3, tokens=3000, seconds=120.0, well_formed=2, repaired=1,
                            used=2, useful=1, judged=2),
        "reviewer": AgentValue(calls=1, tokens=500, seconds=20.0, well_formed=1),
    }  # fmt: skip
    results[1].agents = {
        "fixer": AgentValue(calls=2, tokens=900, seconds=40.0, invalid=1, unchanged=1)
    }
    run = RunRecord("bench-x", "bench", "suite", "ok", {"max_seconds": 5.0}, "now", "later")
    write_report(run, results, tmp_path)
    md = (tmp_path / "report.md").read_text()
    assert "## Model value per agent" in md
    assert "| fixer | 2 | 80% of 5 (1 changed nothing) | 2 | 1/2 | 2.5 | 1950 | 80.0 |" in md
    assert "| reviewer | 1 | 100% of 1 | 0 | - | 1.0 | 500 | 20.0 |" in md
    assert "Model value per agent" in (tmp_path / "report.html").read_text()
    offline = tmp_path / "offline"
    write_report(run, _results(), offline)
    assert "Model value" not in (offline / "report.md").read_text()
