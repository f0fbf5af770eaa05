"""The bench HTML report in a real browser: what a reader sees, and a screenshot of it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from duckfix.service.report import write_report
from duckfix.store import RunRecord

from tests.browser import Browser, Page, find_chromium
from tests.service.test_report import _results

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(find_chromium() is None, reason="no chromium (.ci/run installs it)"),
]

# Pixels of each colour in a chart, counted on a canvas the image is drawn on.
_COUNT_COLOURS = """
(async () => {
  const out = [];
  for (const img of document.querySelectorAll('img')) {
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    const counts = {};
    for (let i = 0; i < d.length; i += 4) {
      const key = d[i] + ',' + d[i + 1] + ',' + d[i + 2];
      counts[key] = (counts[key] || 0) + 1;
    }
    out.push({alt: img.alt, shown: img.getBoundingClientRect().width, counts});
  }
  return out;
})()
"""

GREEN, AMBER, RED, GREY = "46,125,50", "249,168,37", "198,40,40", "144,164,174"


def _slate(counts: dict[str, int]) -> int:
    """Pixels of the cap line's slate (#37474f), as drawn on white with antialiasing."""
    total = 0
    for key, n in counts.items():
        r, g, b = map(int, key.split(","))
        if b - r >= 15 and b - g >= 5 and g - r >= 10 and b < 200:
            total += n
    return total


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    folder = tmp_path_factory.mktemp("report")
    run = RunRecord("bench-x", "bench", "suite", "ok", {"max_seconds": 5.0}, "now", "later")
    write_report(run, _results(), folder)
    with Browser.start() as browser:
        opened = browser.new_page()
        opened.goto((folder / "report.html").as_uri())
        shot = opened.screenshot(folder / "report.png")
        print(f"screenshot of the bench report: {shot}")
        yield opened


def test_each_task_row_says_its_outcome_and_why_a_plausible_patch_is_wrong(page: Page) -> None:
    rows = page.texts("tr.plausible, tr.correct, tr.not-fixed")
    by_task = {row.split("\t")[0]: row for row in rows}
    assert set(by_task) == {"ok", "overfit", "<script>"}
    assert "fails hidden: hidden/cases.jsonl:2, t2, t3 and 1 more" in by_task["overfit"]
    assert "\tplausible\t" in by_task["overfit"]
    assert "\tnot fixed\t" in by_task["<script>"]  # shown as text, never run as markup
    assert page.evaluate("document.querySelectorAll('script').length") == 0


def test_outcomes_and_diff_lines_are_coloured(page: Page) -> None:
    assert page.style("tr.correct td:nth-child(3)", "color") == "rgb(46, 125, 50)"
    assert page.style("tr.not-fixed td:nth-child(3)", "color") == "rgb(198, 40, 40)"
    assert page.text("tr.correct pre.diff .add") == "+    return n * 2"
    assert page.style("pre.diff .add", "color") == "rgb(27, 94, 32)"
    assert page.style("pre.diff .add", "background-color") == "rgb(232, 245, 233)"
    assert page.text("tr.correct pre.diff .del") == "-    return n + 2"
    assert page.style("pre.diff .del", "color") == "rgb(183, 28, 28)"
    assert page.style("pre.diff .del", "background-color") == "rgb(255, 235, 238)"


def test_charts_show_their_bars_and_the_time_cap(page: Page) -> None:
    charts = {c["alt"]: c for c in page.evaluate(_COUNT_COLOURS)}
    assert set(charts) == {"fixes by category", "time per task"}
    for chart in charts.values():
        assert chart["shown"] > 300  # on the page, at a readable size
    bars = charts["fixes by category"]["counts"]
    assert all(bars.get(colour, 0) > 500 for colour in (GREY, AMBER, GREEN))
    times = charts["time per task"]["counts"]
    assert all(times.get(colour, 0) > 500 for colour in (GREEN, AMBER, RED))
    assert _slate(times) > 100  # the dashed line at the 5 s cap
