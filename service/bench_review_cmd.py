"""``duckfix bench review``: the review benchmark on a repository's real history."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

__all__ = ["bench_review"]


@click.command("review")
@click.option(
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The repository.",
)
@click.option("--range", "rev_range", required=True, metavar="A..B", help="The commits to review.")
@click.option(
    "--fixes",
    is_flag=True,
    help="Also measure recall on the commits a later Fixes: trailer or revert names.",
)
@click.option(
    "--fixes-until",
    metavar="REV",
    help="Look for fixing commits up to REV (default: B, the range's end).",
)
@click.option(
    "--only-fixed", is_flag=True, help="With --fixes: review only the commits later fixed."
)
@click.option("--limit", type=click.IntRange(min=1), help="Only the newest K commits of the range.")
@click.option(
    "--provider", type=click.Choice(["none", "openai", "local"]), help="LLM for the reviewer."
)
@click.option("--checks", help="Comma-separated checks to run (default: review.checks).")
@click.option("--no-cache", is_flag=True, help="Do not answer model calls from the cache.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.pass_obj
def bench_review(
    state: Any,
    repo: Path,
    rev_range: str,
    fixes: bool,
    fixes_until: str | None,
    only_fixed: bool,
    limit: int | None,
    provider: str | None,
    checks: str | None,
    no_cache: bool,
    as_json: bool,
) -> None:
    """Review each commit C of --range as `duckfix review --range C~1..C` would, and count.

    Reports findings per commit by check and severity, the share of commits
    with no finding, checks that could not run (by check and reason) and
    seconds per commit; with --fixes, recall: how many of the commits a later
    commit fixes (Fixes: <sha>, or a revert) got a finding on a line the fix
    changed or removed. Each commit's result goes to the results store.
    """
    from duckfix.errors import UsageError
    from duckfix.pipelines.review import inputs
    from duckfix.pipelines.review.history import (
        CommitReview,
        HistoryReport,
        buggy_lines,
        commits_in,
        later_fixes,
        mark_hit,
        summarize_history,
    )
    from duckfix.service.jobs import announce_run
    from duckfix.service.review_cmd import run_reviews
    from duckfix.store import open_store

    if only_fixed and not fixes:
        raise UsageError("--only-fixed measures recall: give --fixes too")
    if ".." not in rev_range:
        raise UsageError(f"--range {rev_range}: give a range A..B")
    where = repo.expanduser()
    settings, _ = state.settings(cwd=where, **{"llm.provider": provider, "review.checks": checks})
    git = inputs.open_repo(where)
    shas = commits_in(git, rev_range)
    fixed_by: dict[str, list[str]] = {}
    if fixes:
        start = rev_range.split("..", 1)[0]
        end = fixes_until or rev_range.split("..", 1)[1] or "HEAD"
        fixed_by = later_fixes(git, shas, f"{start}..{end}")
        if only_fixed:
            shas = [s for s in shas if s in fixed_by]
    if limit is not None:
        shas = shas[-limit:]
    store = open_store(settings.database)
    config = {
        "repo": str(git.top or git.git_dir),
        "fixes": fixes,
        "only_fixed": only_fixed,
        "provider": settings.llm.provider,
        "checks": list(settings.review.checks),
    }
    run_id = store.start_run("bench-review", rev_range, config)
    announce_run(run_id)
    report = HistoryReport(repo=config["repo"], range=rev_range, provider=settings.llm.provider)
    try:
        for sha in shas:
            started = time.monotonic()
            review = inputs.from_range(git, f"{sha}~1..{sha}")
            [outcome] = run_reviews([review], settings, git, no_cache=no_cache)
            one = CommitReview(
                sha=sha,
                subject=review.commits[0].subject if review.commits else "",
                findings=[
                    {
                        "path": f.path,
                        "line": f.line,
                        "check": f.category.split("/")[0],
                        "severity": f.severity,
                        "category": f.category,
                    }
                    for f in outcome.findings
                ],
                not_run=[
                    {"check": r.check, "path": r.path, "reason": r.reason} for r in outcome.not_run
                ],
                seconds=time.monotonic() - started,
                fixed_by=fixed_by.get(sha, []),
            )
            if one.fixed_by:
                one.buggy_lines = buggy_lines(git, sha, one.fixed_by)
                mark_hit(one)
            report.commits.append(one)
            status = "no-finding" if not one.findings else "findings"
            store.record(run_id, sha, status, one.model_dump(mode="json"))
    except KeyboardInterrupt:
        store.finish_run(run_id, "interrupted")
        raise
    store.finish_run(run_id, "ok")
    summarize_history(report, fixes)
    if as_json:
        click.echo(report.model_dump_json(indent=2))
        return
    _print(report, fixes)
    click.echo(f"run {run_id}", err=True)


def _print(report: Any, fixes: bool) -> None:
    echo = click.echo
    n = report.commits_reviewed
    echo(f"review benchmark: {report.repo} {report.range} (model: {report.provider})")
    echo(f"  commits reviewed        {n}")
    echo(f"  with no finding         {report.without_finding:.0%}")
    per = f"{report.findings_per_commit:.2f} per commit"
    echo(f"  findings                {report.findings} ({per})")
    for name, count in sorted(report.by_check.items(), key=lambda kv: -kv[1]):
        echo(f"    {name:<22}{count}")
    echo(f"  by severity             {_pairs(report.by_severity)}")
    echo(f"  seconds per commit      {report.seconds_per_commit:.2f} (median)")
    if report.not_run:
        echo("  could not run (files)")
        for name, count in sorted(report.not_run.items(), key=lambda kv: -kv[1]):
            echo(f"    {name}: {count}")
    else:
        echo("  could not run           nothing")
    if fixes:
        echo(f"  later fixed             {report.later_fixed}")
        shown = "n/a" if report.recall is None else f"{report.recall:.0%}"
        echo(f"  with a finding on a line the fix changed  {report.fixed_with_finding} ({shown})")
        for c in report.commits:
            if c.hit is not None:
                mark = "hit " if c.hit else "miss"
                echo(f"    {mark} {c.sha[:12]} {c.subject[:60]} (fixed by {c.fixed_by[0][:12]})")


def _pairs(counts: dict[str, int]) -> str:
    order = ("error", "warning", "note")
    return ", ".join(f"{counts[k]} {k}" for k in order if k in counts) or "none"
