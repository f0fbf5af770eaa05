"""Checks on a series as a whole, as a list maintainer would make them.

Each finding sits on a patch's commit message (``COMMIT_MSG``; line 1 is its
subject), so it is answered under that patch like any other finding:

* a series of more than ``mail.cover_over`` patches has a cover letter, and
  the cover letter is not git's template (``*** SUBJECT HERE ***``,
  ``*** BLURB HERE ***``) sent as it was;
* it has at most ``mail.max_patches`` patches;
* its subject names one of the list's trees (``mail.trees``), when it has any;
* a patch whose subject says it fixes something carries a ``Fixes:`` tag, on a
  list whose history uses them (:mod:`duckfix.conventions`);
* each patch is signed off by its author (``Signed-off-by:`` with the From: address).
"""

from __future__ import annotations

import re
from email.utils import getaddresses

from duckfix.config import MailSettings
from duckfix.conventions import Conventions
from duckfix.findings import Finding, Severity
from duckfix.patches import COMMIT_MSG, CommitInfo
from duckfix.service.mail.model import Series

__all__ = ["check_series"]

_SUBJECT_HERE = "*** SUBJECT HERE ***"
_BLURB_HERE = "*** BLURB HERE ***"
_FIXES_SUBJECT = re.compile(r"\b(fix|fixes|fixed|fixing)\b", re.IGNORECASE)


def _finding(commit: CommitInfo, line: int, severity: Severity, rule: str, message: str) -> Finding:
    return Finding(
        path=COMMIT_MSG,
        line=line,
        severity=severity,
        category=f"series/{rule}",
        message=message,
        commit=commit.sha,
    )


def _address(author: str) -> str:
    pairs = getaddresses([author])
    return pairs[0][1].lower() if pairs and pairs[0][1] else author.strip().lower()


def check_series(
    series: Series,
    commits: dict[int, CommitInfo],
    settings: MailSettings,
    conventions: Conventions | None = None,
) -> list[Finding]:
    """The series-level findings, each on the commit message of the patch it concerns."""
    conv = conventions or Conventions()
    out: list[Finding] = []
    if not commits:
        return out
    first = commits[min(commits)]
    if series.total > settings.cover_over and series.cover is None:
        out.append(
            _finding(first, 1, "warning", "cover-letter",
                     f"a series of {series.total} patches without a cover letter; add one "
                     f"(patch 0/{series.total}) that says what the series does as a whole")
        )  # fmt: skip
    if series.total > settings.max_patches:
        out.append(
            _finding(first, 1, "warning", "too-long",
                     f"{series.total} patches, over the list's limit of {settings.max_patches} "
                     "at a time; split the series into smaller ones")
        )  # fmt: skip
    cover = series.cover
    if cover is not None and (_SUBJECT_HERE in cover.raw_subject or _BLURB_HERE in cover.body):
        out.append(
            _finding(first, 1, "warning", "cover-placeholder",
                     "the cover letter is git's template, sent as it was (*** SUBJECT HERE *** / "
                     "*** BLURB HERE ***): say what the series does and why, and send it again")
        )  # fmt: skip
    tree = next((m.subject.tree for m in series.messages if m.subject.tree), None)
    if settings.trees and tree not in settings.trees:
        named = f"'{tree}'" if tree else "no tree"
        out.append(
            _finding(first, 1, "warning", "tree",
                     f"the subject names {named}; say which tree it is for, "
                     f"{' or '.join(settings.trees)} (as in [PATCH {settings.trees[0]}])")
        )  # fmt: skip
    for number in sorted(commits):
        commit = commits[number]
        trailers = commit.trailers
        lines = commit.message.splitlines()
        last = len(lines)
        if (
            conv.uses_fixes
            and _FIXES_SUBJECT.search(commit.subject)
            and not any(k.lower() == "fixes" for k, _ in trailers)
        ):
            out.append(
                _finding(commit, 1, "warning", "fixes-tag",
                         "the subject says this fixes a bug, but there is no Fixes: tag; add "
                         "Fixes: <12+ hex> (\"subject\") naming the commit that introduced it, "
                         "so the fix can be backported")
            )  # fmt: skip
        author = _address(commit.author)
        signers = {_address(v) for k, v in trailers if k.lower() == "signed-off-by"}
        if author and author not in signers:
            out.append(
                _finding(commit, last, "error", "signoff",
                         f"no Signed-off-by: from the author ({author}); add one with "
                         "git commit -s (the Developer's Certificate of Origin)")
            )  # fmt: skip
    return out
