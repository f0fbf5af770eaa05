"""Series-level checks: cover letter, length, tree, Fixes: on fixes, the author's sign-off."""

from __future__ import annotations

from datetime import UTC, datetime

from duckfix.config import MailSettings
from duckfix.patches import CommitInfo
from duckfix.service.mail.model import MailMessage, Series, Subject
from duckfix.service.mail.series_checks import check_series

AUTHOR = "Ann Dev <ann@example.org>"
SOB = "Signed-off-by: Ann Dev <ann@example.org>"


def _message(number: int, total: int, tree: str | None = None) -> MailMessage:
    subject = Subject(title=f"patch {number}", is_patch=True, number=number, total=total, tree=tree)
    return MailMessage(
        message_id=f"m{number}@x", subject=subject, raw_subject=f"[PATCH {number}/{total}]",
        sender=AUTHOR, sender_address="ann@example.org", date=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip


def _series(total: int, cover: bool, tree: str | None = None) -> Series:
    series = Series(key="k", sender_address="ann@example.org", version=1, total=total, title="t")
    series.patches = {n: _message(n, total, tree) for n in range(1, total + 1)}
    series.cover = _message(0, total, tree) if cover else None
    return series


def _commits(n: int, **override: CommitInfo) -> dict[int, CommitInfo]:
    out = {i: CommitInfo(f"net: do thing {i}", f"Because.\n\n{SOB}", AUTHOR, f"{i:040x}")
           for i in range(1, n + 1)}  # fmt: skip
    for key, commit in override.items():
        out[int(key[1:])] = commit
    return out


def _rules(findings: list) -> list[tuple[str, str | None]]:  # type: ignore[type-arg]
    return [(f.category, f.commit) for f in findings]


def test_a_clean_series_has_no_findings() -> None:
    assert check_series(_series(3, cover=True), _commits(3), MailSettings()) == []
    assert check_series(_series(1, cover=False), _commits(1), MailSettings()) == []


def test_cover_letter_and_length() -> None:
    found = check_series(_series(3, cover=False), _commits(3), MailSettings())
    assert _rules(found) == [("series/cover-letter", f"{1:040x}")]
    long = check_series(_series(16, cover=True), _commits(16), MailSettings())
    assert [f.category for f in long] == ["series/too-long"]


def test_tree_prefix_when_the_list_names_trees() -> None:
    settings = MailSettings(trees=("net", "net-next"))
    assert check_series(_series(2, True, tree="net-next"), _commits(2), settings) == []
    (finding,) = check_series(_series(2, True, tree="bpf"), _commits(2), settings)
    assert finding.category == "series/tree" and "'bpf'" in finding.message


def test_fixes_tag_and_sign_off_per_patch() -> None:
    fix = CommitInfo("net: fix a leak", f"It leaked.\n\n{SOB}", AUTHOR, "f" * 40)
    unsigned = CommitInfo(
        "net: tidy", "Tidier.\n\nSigned-off-by: Bob <bob@example.org>", AUTHOR, "e" * 40
    )
    found = check_series(_series(2, True), _commits(2, p1=fix, p2=unsigned), MailSettings())
    assert _rules(found) == [("series/fixes-tag", "f" * 40), ("series/signoff", "e" * 40)]
    (signoff,) = [f for f in found if f.category == "series/signoff"]
    assert signoff.line == len(unsigned.message.splitlines()) and signoff.severity == "error"
    fixed = CommitInfo(
        "net: fix a leak", f'It leaked.\n\nFixes: {"a" * 12} ("net: add")\n{SOB}', AUTHOR, "f" * 40
    )
    assert check_series(_series(1, False), {1: fixed}, MailSettings()) == []


def test_a_cover_letter_sent_as_gits_template() -> None:
    series = _series(3, cover=True)
    assert series.cover is not None
    series.cover.raw_subject = "[PATCH 0/3] *** SUBJECT HERE ***"
    series.cover.body = "*** BLURB HERE ***\n\nAnn Dev (3):\n"
    found = check_series(series, _commits(3), MailSettings())
    assert _rules(found) == [("series/cover-placeholder", f"{1:040x}")]


def test_fixes_tags_are_asked_for_only_where_the_list_uses_them() -> None:
    from duckfix.conventions import learn_from_messages

    fix = CommitInfo("net: fix a leak", f"Because.\n\n{SOB}", AUTHOR, f"{1:040x}")
    with_fixes = learn_from_messages(
        [f'a: b {i}\n\nWhy.\n\nFixes: {i:012x} ("x")' for i in range(30)]
    )
    without = learn_from_messages([f"a: b {i}\n\nWhy." for i in range(30)])
    series = _series(1, cover=False)
    assert _rules(check_series(series, {1: fix}, MailSettings(), with_fixes)) == [
        ("series/fixes-tag", f"{1:040x}")
    ]
    assert check_series(series, {1: fix}, MailSettings(), without) == []
