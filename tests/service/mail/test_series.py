"""Subjects, and series grouped from real ``git format-patch`` output."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from duckfix.service.mail.ingest import Skipped, parse
from duckfix.service.mail.model import MailMessage, Series
from duckfix.service.mail.series import group, parse_subject, ready

from .conftest import OTHER, SENDER, GitRepo, message_id, reply, split_mbox

# --- parse_subject -----------------------------------------------------------

# subject -> (title, is_reply, is_patch, version, number, total, rfc, resend, tree)
SUBJECTS = {
    "[PATCH] net: fix it": ("net: fix it", False, True, 1, None, None, False, False, None),
    "[PATCH v2 3/5] net: fix it": ("net: fix it", False, True, 2, 3, 5, False, False, None),
    "[PATCH net-next v3 0/4] big": ("big", False, True, 3, 0, 4, False, False, "net-next"),
    "[RFC PATCH v2 1/2] idea": ("idea", False, True, 2, 1, 2, True, False, None),
    "[PATCH RFC] idea": ("idea", False, True, 1, None, None, True, False, None),
    "[RFC] idea": ("idea", False, True, 1, None, None, True, False, None),
    "[RESEND PATCH] again": ("again", False, True, 1, None, None, False, True, None),
    "[PATCH RESEND v2] again": ("again", False, True, 2, None, None, False, True, None),
    "[PATCH 1/2 v2] order": ("order", False, True, 2, 1, 2, False, False, None),
    "[PATCH] [net] two groups": ("two groups", False, True, 1, None, None, False, False, "net"),
    "Re: [PATCH v2 1/3] x": ("x", True, True, 2, 1, 3, False, False, None),
    "RE: [PATCH] x": ("x", True, True, 1, None, None, False, False, None),
    "Aw: [PATCH] x": ("x", True, True, 1, None, None, False, False, None),
    "Sv: Re: [PATCH] x": ("x", True, True, 1, None, None, False, False, None),
    "Fwd: [PATCH] x": ("x", False, True, 1, None, None, False, False, None),
    "Re[2]: [PATCH] x": ("x", True, True, 1, None, None, False, False, None),
    "[PATCH V2] upper": ("upper", False, True, 2, None, None, False, False, None),
    "[PATCH v10 03/12] zeros": ("zeros", False, True, 10, 3, 12, False, False, None),
    "[PATCH bpf-next v3 00/10] bpf": ("bpf", False, True, 3, 0, 10, False, False, "bpf-next"),
    "[PATCH iwl-next] wifi": ("wifi", False, True, 1, None, None, False, False, "iwl-next"),
    "[PATCHv2 2/2] glued": ("glued", False, True, 2, 2, 2, False, False, None),
    "[PATCH v2,net 1/1] comma": ("comma", False, True, 2, 1, 1, False, False, "net"),
    "[RFC/PATCH] slash": ("slash", False, True, 1, None, None, True, False, None),
    "[PATCH 6.1 012/123] stable": ("stable", False, True, 1, 12, 123, False, False, "6.1"),
    "[Intel-wl] [PATCH iwl-net] x": ("x", False, True, 1, None, None, False, False, "iwl-net"),
    "[netdev] Re: [PATCH] x": ("x", True, True, 1, None, None, False, False, "netdev"),
    "[PATCH virtio-next] v": ("v", False, True, 1, None, None, False, False, "virtio-next"),
    "[PATCH v2.1] odd": ("odd", False, True, 1, None, None, False, False, None),
    "Hello, any news?": ("Hello, any news?", False, False, 1, None, None, False, False, None),
    "[PATCH] Re: crash": ("Re: crash", False, True, 1, None, None, False, False, None),
    "Re: question": ("question", True, False, 1, None, None, False, False, None),
    "[GIT PULL] net": ("net", False, False, 1, None, None, False, False, None),
    "  [PATCH]   spaced\n\tout  ": ("spaced out", False, True, 1, None, None, False, False, None),
    "": ("", False, False, 1, None, None, False, False, None),
}


@pytest.mark.parametrize("text", list(SUBJECTS))
def test_parse_subject(text: str) -> None:
    s = parse_subject(text)
    got = (s.title, s.is_reply, s.is_patch, s.version, s.number, s.total, s.rfc, s.resend, s.tree)
    assert got == SUBJECTS[text]


def test_parse_subject_keeps_every_tag_as_written() -> None:
    assert parse_subject("[RFC PATCH net-next v2 1/2] x").tags == (
        "RFC", "PATCH", "net-next", "v2", "1/2",
    )  # fmt: skip


# --- grouping real series ----------------------------------------------------


def messages(*mboxes: bytes) -> list[MailMessage]:
    out = []
    for mbox in mboxes:
        for raw in split_mbox(mbox):
            parsed = parse(raw)
            assert not isinstance(parsed, Skipped), parsed
            out.append(parsed)
    return out


def one(series: list[Series]) -> Series:
    assert len(series) == 1, [s.key for s in series]
    return series[0]


def test_a_single_patch_is_a_series_of_one(repo: GitRepo) -> None:
    mbox = repo.format_patch(1, version=None, cover=False)
    series, left = group(messages(mbox))
    s = one(series)
    assert left == []
    assert (s.total, s.version, s.cover, list(s.patches)) == (1, 1, None, [1])
    assert s.key == message_id(mbox)
    assert s.title == "bpf: tidy up"
    assert s.complete and s.sender_address == "ann@example.org"


def test_a_series_with_a_cover_letter(repo: GitRepo) -> None:
    mbox = repo.format_patch(3)
    msgs = messages(mbox)
    s = one(group(msgs)[0])
    assert s.cover is msgs[0] and s.key == msgs[0].message_id
    assert list(s.patches) == [1, 2, 3] and s.complete
    assert (s.version, s.total, s.title) == (2, 3, "net: frobnicate")
    assert s.messages == msgs
    dates = [m.date for m in msgs if m.date is not None]
    assert s.last_seen == max(dates)


def test_a_cover_less_thread_is_keyed_by_patch_one(repo: GitRepo) -> None:
    msgs = messages(repo.format_patch(3, cover=False))
    s = one(group(msgs)[0])
    assert s.cover is None and s.key == msgs[0].message_id and s.complete


def test_deep_threading_whatever_the_dates(repo: GitRepo) -> None:
    msgs = messages(repo.format_patch(3, cover=False, thread="deep"))
    # Patch 3 dated before patch 1 (a rebase reorders author dates).
    first = msgs[0].date
    assert first is not None
    msgs[2] = replace(msgs[2], date=first - timedelta(hours=1))
    s = one(group(reversed(msgs))[0])
    assert s.key == msgs[0].message_id and list(s.patches) == [1, 2, 3]


def test_v2_after_v1_stays_apart_even_in_reply_to_it(repo: GitRepo) -> None:
    v1 = repo.format_patch(3, version=None)
    v1_cover = message_id(v1)
    v2 = repo.format_patch(3, version=2, in_reply_to=v1_cover)
    v2_msgs = messages(v2)
    assert v1_cover in v2_msgs[1].references  # threaded under v1, as sent
    series, left = group(messages(v1, v2))
    assert left == []
    assert [(s.version, s.key, s.complete) for s in series] == [
        (1, v1_cover, True),
        (2, v2_msgs[0].message_id, True),
    ]
    assert series[1].patches[1].message_id == v2_msgs[1].message_id


def test_v2_without_cover_in_reply_to_v1(repo: GitRepo) -> None:
    v1 = repo.format_patch(3, version=None)
    v2 = repo.format_patch(3, version=2, cover=False, in_reply_to=message_id(v1))
    series, _ = group(messages(v1, v2))
    assert [(s.version, s.complete) for s in series] == [(1, True), (2, True)]
    assert series[1].key == message_id(split_mbox(v2)[0])


def test_a_missing_patch_waits_then_is_incomplete(repo: GitRepo) -> None:
    cover, p1, _p2, p3 = split_mbox(repo.format_patch(3))
    s = one(group(messages(cover, p1, p3))[0])
    assert s.missing == [2] and not s.complete
    assert s.last_seen is not None
    assert ready(s, s.last_seen + timedelta(minutes=5), 20) == "waiting"
    assert ready(s, s.last_seen + timedelta(minutes=20), 20) == "incomplete"


def test_patches_under_a_cover_not_yet_received_stay_together(repo: GitRepo) -> None:
    _cover, *patches = split_mbox(repo.format_patch(3))
    s = one(group(messages(*reversed(patches)))[0])
    assert s.cover is None and list(s.patches) == [1, 2, 3]
    assert s.key == message_id(patches[0])


def test_a_reply_quoting_the_diff_is_not_a_patch(repo: GitRepo) -> None:
    mbox = repo.format_patch(3)
    p1 = split_mbox(mbox)[1]
    quoted, unquoted = reply(p1), reply(p1, mid="reply-2@example.org", quote=False)
    msgs = messages(mbox, quoted, unquoted)
    assert [(m.subject.is_reply, m.has_diff) for m in msgs[-2:]] == [(True, False), (True, True)]
    series, left = group(msgs)
    assert one(series).complete and len(one(series).patches) == 3
    assert left == [(m, "reply in a thread, not a patch") for m in msgs[-2:]]


def test_a_follow_up_without_re_in_a_patch_thread_is_a_reply(repo: GitRepo) -> None:
    mbox = repo.format_patch(1, version=None, cover=False)
    note = reply(mbox).replace(b"Subject: Re: [PATCH]", b"Subject: Applied:")
    msgs = messages(mbox, note)
    assert group(msgs)[1] == [(msgs[1], "reply in a thread, not a patch")]


def test_unthreaded_series_grouped_by_sender_version_total_and_time(repo: GitRepo) -> None:
    mbox = repo.format_patch(3, cover=False, thread=False)
    msgs = messages(mbox)
    assert all(m.in_reply_to is None and not m.references for m in msgs)
    s = one(group(msgs)[0])
    assert list(s.patches) == [1, 2, 3] and s.key == msgs[0].message_id
    # Commits are a minute apart: with a 30-second window they are three postings.
    assert len(group(msgs, window=timedelta(seconds=30))[0]) == 3


def test_unthreaded_series_do_not_mix(repo: GitRepo) -> None:
    early = repo.format_patch(2, cover=False, thread=False, skip=3)  # commits 0-1
    late = repo.format_patch(2, cover=False, thread=False)  # commits 3-4
    other = repo.format_patch(2, cover=False, thread=False, sender=OTHER)
    series, _ = group(messages(early, late, other))
    assert [(s.sender_address, [m.subject.title for m in s.messages]) for s in series] == [
        ("ann@example.org", ["net: add the frobnicator", "net: check the frobnicator's result"]),
        ("ann@example.org", ["net: test the frobnicator", "bpf: tidy up"]),
        ("bob@example.org", ["net: test the frobnicator", "bpf: tidy up"]),
    ]


def test_rfc_and_patch_are_kept_apart(repo: GitRepo) -> None:
    rfc = repo.format_patch(2, cover=False, thread=False, rfc=True)
    patch = repo.format_patch(2, cover=False, thread=False)
    series, _ = group(messages(rfc, patch))
    assert [(s.patches[1].subject.rfc, s.complete) for s in series] == [(True, True), (False, True)]


def test_rfc_threaded_under_a_patch_cover_is_kept_apart(repo: GitRepo) -> None:
    patch = repo.format_patch(2, version=None)
    rfc = repo.format_patch(2, version=None, cover=False, rfc=True, in_reply_to=message_id(patch))
    series, _ = group(messages(patch, rfc))
    assert [(s.total, len(s.patches), s.patches[1].subject.rfc) for s in series] == [
        (2, 2, False),
        (2, 2, True),
    ]


def test_tree_prefix_is_read_from_real_subjects(repo: GitRepo) -> None:
    msgs = messages(repo.format_patch(2, prefix="PATCH net-next"))
    assert [m.subject.tree for m in msgs] == ["net-next"] * 3
    assert msgs[0].raw_subject == "[PATCH net-next v2 0/2] net: frobnicate"


def test_a_second_copy_of_a_patch_in_the_thread_is_left_out(repo: GitRepo) -> None:
    cover, p1, p2 = split_mbox(repo.format_patch(2))
    again = p1.replace(b"Message-Id: <", b"Message-Id: <again-")
    msgs = messages(cover, p1, p2, again)
    series, left = group(msgs)
    assert one(series).patches[1] is msgs[1]
    assert len(left) == 1 and left[0][0] is msgs[3] and "again" in left[0][1]


def test_what_is_left_out_and_why(repo: GitRepo) -> None:
    (patch,) = split_mbox(repo.format_patch(1, version=None, cover=False))
    no_diff = patch.split(b"\ndiff --git")[0].replace(b"Message-Id: <", b"Message-Id: <nodiff-")
    hello = b"Message-Id: <hello@x>\nFrom: c@example.org\nSubject: hello\n\nhi\n"
    bad = patch.replace(b"[PATCH]", b"[PATCH 4/3]").replace(b"Message-Id: <", b"Message-Id: <b-")
    msgs = [*messages(patch, patch, no_diff), _parsed(hello), _parsed(bad)]
    series, left = group(msgs)
    assert len(series) == 1
    assert [reason for _, reason in left] == [
        "duplicate Message-ID",
        "no diff in the body: a patch is sent inline, as git send-email does",
        "not a patch",
        "bad patch number 4/3",
    ]


def _parsed(raw: bytes) -> MailMessage:
    out = parse(raw)
    assert isinstance(out, MailMessage), out
    return out


def test_a_cover_alone_is_an_incomplete_series(repo: GitRepo) -> None:
    cover = split_mbox(repo.format_patch(2))[0]
    s = one(group(messages(cover))[0])
    assert s.missing == [1, 2] and s.patches == {}


# --- ready ---------------------------------------------------------------------


def test_a_complete_series_waits_then_is_ready(repo: GitRepo) -> None:
    s = one(group(messages(repo.format_patch(2)))[0])
    assert s.last_seen is not None
    assert ready(s, s.last_seen, 20) == "waiting"
    assert ready(s, s.last_seen + timedelta(minutes=19, seconds=59), 20) == "waiting"
    assert ready(s, s.last_seen + timedelta(minutes=20), 20) == "ready"
    assert ready(s, s.last_seen, 0) == "ready"


def test_ready_without_dates_and_with_naive_now() -> None:
    s = Series(key="k", sender_address="a@b", version=1, total=2, title="t")
    assert ready(s, datetime.now(UTC), 20) == "incomplete"
    s.last_seen = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    assert ready(s, datetime(2024, 1, 1, 12, 10), 20) == "waiting"  # naive: UTC
    assert ready(s, datetime(2024, 1, 1, 12, 30), 20) == "incomplete"


def _from(mbox: bytes, senders: list[str]) -> bytes:
    """Each message's From: replaced, in order: messages of one series from many people."""
    parts = re.split(rb"(?m)^(From: .*)$", mbox)
    out = [parts[0]]
    for i, j in enumerate(range(1, len(parts), 2)):
        out += [b"From: " + senders[i % len(senders)].encode(), parts[j + 1]]
    return b"".join(out)


def test_a_cover_letter_from_another_sender_keeps_its_patches(repo: GitRepo) -> None:
    mbox = repo.format_patch(3, base=True)
    # The committer sends the cover letter of Ann's patches.
    mixed = _from(mbox, ["Max Maintainer <max@example.org>", SENDER, SENDER, SENDER])
    s = one(group(messages(mixed))[0])
    assert s.cover is not None and list(s.patches) == [1, 2, 3] and s.complete
    assert s.cover.base_commit is not None  # so the bot applies it where it belongs


def test_a_threaded_series_from_many_authors_is_one_series(repo: GitRepo) -> None:
    mbox = repo.format_patch(5, cover=True)
    authors = [f"Dev {i} <dev{i}@example.org>" for i in range(6)]
    s = one(group(messages(_from(mbox, authors)))[0])
    assert s.complete and len(s.patches) == 5


def test_unthreaded_patches_of_different_senders_stay_apart(repo: GitRepo) -> None:
    mine = repo.format_patch(2, cover=False, thread=False)
    other = repo.format_patch(2, cover=False, thread=False, sender=OTHER)
    assert len(group(messages(mine, other))[0]) == 2
