"""Checks that read a whole patch, as a mailing list receives it: checkpatch.pl today.

Each commit of a review is given to the check as ``git format-patch`` prints
it; a patch e-mail as it came; a bare diff as it is. The check runs only where
the reviewed tree ships the tool; where it does and the check cannot run, that
goes to the coverage, never into the findings.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from duckfix import gitenv
from duckfix.coverage import CheckRun
from duckfix.errors import CheckNotRun
from duckfix.findings import Finding
from duckfix.patches import COMMIT_MSG, CommitInfo, Review
from duckfix.review_settings import ReviewSettings
from duckfix.source_tree import tree_for

__all__ = ["commit_patch", "run_patch_checks"]


def run_patch_checks(
    review: Review, settings: ReviewSettings, names: Sequence[str]
) -> tuple[list[Finding], list[CheckRun]]:
    """checkpatch on each patch of ``review`` when it is among ``names`` and the tree has it."""
    if "checkpatch" not in names:
        return [], []
    from duckfix.agents.review_checks import checkpatch

    tree = tree_for(review.repo, review.revision)
    if tree is None or not checkpatch.applies(tree):
        return [], []
    files = {change.path for change in review.files}
    findings: list[Finding] = []
    runs: list[CheckRun] = []
    try:
        for commit, patch in _patches(review):
            where = f"{COMMIT_MSG} {commit.label}" if commit is not None else review.label
            if patch is None:
                runs.append(CheckRun(check="checkpatch", path=where, status="not-run",
                                     reason="the patch text could not be made"))  # fmt: skip
                continue
            try:
                findings += checkpatch.check_patch(patch, tree, commit, files)
            except CheckNotRun as exc:
                runs.append(
                    CheckRun(check="checkpatch", path=where, status="not-run", reason=str(exc))
                )
            else:
                runs.append(CheckRun(check="checkpatch", path=where, status="ran"))
    finally:
        tree.close()
    return findings, runs


def _patches(review: Review) -> list[tuple[CommitInfo | None, str | None]]:
    """(commit, its patch text) per commit; a review without commits is one bare diff."""
    if review.patch_text is not None:
        commit = review.commits[0] if len(review.commits) == 1 else None
        return [(commit, review.patch_text)]
    if not review.commits or review.repo is None:
        return []
    return [(c, commit_patch(review, c.sha) if c.sha else None) for c in review.commits]


def commit_patch(review: Review, sha: str) -> str | None:
    """``git format-patch -1 --stdout`` of one commit, as it would be mailed."""
    assert review.repo is not None
    try:
        done = subprocess.run(
            [
                "git",
                "format-patch",
                "-1",
                "--stdout",
                "--no-signature",
                *gitenv.DIFF_OPTIONS,
                "--no-color",
                sha,
            ],
            cwd=review.repo,
            env=gitenv.safe_env(),
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode:
        return None
    return done.stdout.decode("utf-8", "replace")
