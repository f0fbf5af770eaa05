"""Reading mboxes and maildirs of real ``git format-patch`` output, and hostile mail."""

from __future__ import annotations

import email
import mailbox
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest

from duckfix.config import MailSettings
from duckfix.errors import ConfigError, NotFoundError, PatchError
from duckfix.service.mail import ingest
from duckfix.service.mail.ingest import Skipped, parse, read_imap, read_maildir, read_mbox
from duckfix.service.mail.model import MailMessage

from .conftest import START, GitRepo, message_id, split_mbox, write_maildir, write_mbox


def parsed(raw: bytes) -> MailMessage:
    out = parse(raw)
    assert isinstance(out, MailMessage), out
    return out


def skipped(raw: bytes) -> Skipped:
    out = parse(raw)
    assert isinstance(out, Skipped), out
    return out


HEAD = b"Message-ID: <m1@example.org>\nFrom: Ann <ann@example.org>\nSubject: [PATCH] x\n"
DIFF = b"diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n"


# --- mbox ----------------------------------------------------------------------


def test_read_mbox_of_git_format_patch(repo: GitRepo, tmp_path: Path) -> None:
    mbox = repo.format_patch(3, base=True)
    got = list(read_mbox(write_mbox(tmp_path / "s.mbox", mbox)))
    assert [key for key, _ in got] == ["0", "1", "2", "3"]
    msgs = [parsed(raw) for _, raw in got]
    cover, p1 = msgs[0], msgs[1]
    assert cover.subject.number == 0 and cover.subject.title == "net: frobnicate"
    assert cover.base_commit is not None and len(cover.base_commit) == 40
    assert not cover.has_diff and p1.has_diff
    assert p1.message_id == message_id(split_mbox(mbox)[1])
    assert p1.in_reply_to == cover.message_id and p1.references == [cover.message_id]
    assert (p1.sender, p1.sender_address) == ("Ann Dev <ann@example.org>", "ann@example.org")
    assert p1.raw_subject == "[PATCH v2 1/3] net: document the frobnicator"
    # format-patch's Date: is the author date (commit 2 is START + 2 minutes).
    assert p1.date == datetime(2024, 1, 2, 10, 2, tzinfo=UTC)
    assert p1.raw.startswith(b"Message-Id: ") and b"\ndiff --git a/README" in p1.raw


def test_an_unescaped_from_line_in_a_body_does_not_split_the_message(
    repo: GitRepo, tmp_path: Path
) -> None:
    # git format-patch --stdout does not escape "From " lines; the stdlib's mbox would split.
    mbox = repo.format_patch(2)
    assert b"\n\nFrom the start, this was missing." in mbox
    got = [parsed(raw) for _, raw in read_mbox(write_mbox(tmp_path / "s.mbox", mbox))]
    assert len(got) == 3
    assert "\nFrom the start, this was missing.\n" in got[1].body and got[1].has_diff


def test_an_escaped_from_line_is_restored(repo: GitRepo, tmp_path: Path) -> None:
    # mboxrd: ">From " stands for "From ", ">>From " for ">From ".
    mbox = repo.format_patch(1, version=None, cover=False)
    mbox = mbox.replace(b"\nFrom the start", b"\n>From the start")
    mbox = mbox.replace(b"\nWhy:", b"\n>>From quoted\nWhy:")
    ((_, raw),) = read_mbox(write_mbox(tmp_path / "rd.mbox", mbox))
    body = parsed(raw).body
    assert "\nFrom the start, this was missing." in body
    assert body.startswith(">From quoted\n")


def test_an_mbox_written_by_python_round_trips(repo: GitRepo, tmp_path: Path) -> None:
    path = tmp_path / "py.mbox"
    box = mailbox.mbox(str(path))
    for raw in split_mbox(repo.format_patch(2)):
        box.add(raw.split(b"\n", 1)[1])  # without git's envelope: Python writes its own
    box.close()
    assert b"\n>From the start" in path.read_bytes()  # Python escapes
    got = [parsed(raw) for _, raw in read_mbox(path)]
    assert len(got) == 3 and "\nFrom the start," in got[2].body


def test_crlf_mbox(repo: GitRepo, tmp_path: Path) -> None:
    mbox = repo.format_patch(2).replace(b"\n", b"\r\n")
    got = [raw for _, raw in read_mbox(write_mbox(tmp_path / "crlf.mbox", mbox))]
    assert len(got) == 3
    p1 = parsed(got[1])
    assert p1.raw_subject.endswith("test the frobnicator") and p1.has_diff
    assert "\r" not in p1.body and p1.date is not None
    assert b"\r\n" in p1.raw  # kept as received


def test_a_single_message_file_without_envelope(repo: GitRepo, tmp_path: Path) -> None:
    (patch,) = split_mbox(repo.format_patch(1, version=None, cover=False))
    path = tmp_path / "one.eml"
    path.write_bytes(patch.split(b"\n", 1)[1])
    ((key, raw),) = read_mbox(path)
    assert key == "0" and parsed(raw).message_id == message_id(patch)


def test_empty_and_missing_mbox(tmp_path: Path) -> None:
    (tmp_path / "empty").write_bytes(b"")
    assert list(read_mbox(tmp_path / "empty")) == []
    with pytest.raises(NotFoundError):
        list(read_mbox(tmp_path / "nope"))


# --- maildir -------------------------------------------------------------------


def test_read_maildir_new_and_cur(repo: GitRepo, tmp_path: Path) -> None:
    cover, p1, p2 = split_mbox(repo.format_patch(2))
    path = write_maildir(tmp_path / "md", [cover, p2], cur=[p1])
    got = list(read_maildir(path))
    assert sorted(parsed(raw).message_id for _, raw in got) == sorted(
        message_id(m) for m in (cover, p1, p2)
    )
    assert all(":" not in key for key, _ in got)  # the flags are not part of the key
    # A mail client moving a message from new/ to cur/ does not change its key.
    box = mailbox.Maildir(str(path), create=False)
    key = next(k for k, _ in got if parsed(_).message_id == message_id(cover))
    msg = box[key]
    msg.set_subdir("cur")
    box[key] = msg
    assert {k for k, _ in read_maildir(path)} == {k for k, _ in got}


def test_read_maildir_refuses_what_is_not_a_maildir(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        list(read_maildir(tmp_path / "nope"))
    (tmp_path / "half" / "new").mkdir(parents=True)
    with pytest.raises(PatchError, match="cur/"):
        list(read_maildir(tmp_path / "half"))


# --- IMAP (no network: errors before connecting, and a fake server) -------------


def test_read_imap_needs_a_host_and_a_password() -> None:
    with pytest.raises(ConfigError, match="imap_host"):
        list(read_imap(MailSettings()))
    settings = MailSettings(imap_host="imap.example.org", imap_user="bot")
    with pytest.raises(ConfigError, match="DUCKFIX_IMAP_PASSWORD"):
        list(read_imap(settings, environ={}))


class FakeIMAP:
    """An IMAP server with UIDVALIDITY 7 and messages at UIDs 3, 5 and 9."""

    messages: ClassVar[dict[int, bytes]] = {
        3: HEAD + b"\nthree\n",
        5: HEAD + b"\nfive\n",
        9: HEAD + b"\nnine\n",
    }
    calls: ClassVar[list[tuple[Any, ...]]] = []

    def __init__(self, host: str, port: int) -> None:
        self.calls.append(("connect", host, port))

    def login(self, user: str, password: str) -> tuple[str, list[bytes]]:
        self.calls.append(("login", user, password))
        return "OK", [b""]

    def select(self, folder: str, readonly: bool) -> tuple[str, list[bytes]]:
        self.calls.append(("select", folder, readonly))
        return "OK", [b"3"]

    def response(self, code: str) -> tuple[str, list[bytes | None]]:
        return code, [b"7"]

    def uid(self, command: str, *args: str) -> tuple[str, list[Any]]:
        self.calls.append(("uid", command, *args))
        if command == "SEARCH":
            low = int(args[1].split(":")[0])
            # Like a real server, "n:*" also matches the newest message.
            found = [u for u in self.messages if u >= low] or [max(self.messages)]
            return "OK", [b" ".join(str(u).encode() for u in found)]
        uid = int(args[0])
        return "OK", [(f"1 (UID {uid} BODY[] {{9}}".encode(), self.messages[uid]), b")"]

    def logout(self) -> None:
        self.calls.append(("logout",))


def test_read_imap_fetches_what_is_new(monkeypatch: pytest.MonkeyPatch) -> None:
    import imaplib

    monkeypatch.setattr(imaplib, "IMAP4_SSL", FakeIMAP)
    FakeIMAP.calls = []
    settings = MailSettings(imap_host="imap.example.org", imap_user="bot", imap_folder="Lists")
    env = {"DUCKFIX_IMAP_PASSWORD": "s3cret"}
    assert [k for k, _ in read_imap(settings, environ=env)] == ["7:3", "7:5", "7:9"]
    assert ("login", "bot", "s3cret") in FakeIMAP.calls
    assert ("select", "Lists", True) in FakeIMAP.calls and FakeIMAP.calls[-1] == ("logout",)
    got = list(read_imap(settings, since_uid=5, uidvalidity=7, environ=env))
    assert got == [("7:9", FakeIMAP.messages[9])]
    assert list(read_imap(settings, since_uid=9, uidvalidity=7, environ=env)) == []
    # The folder was renumbered: everything again (the store dedupes by Message-ID).
    assert len(list(read_imap(settings, since_uid=9, uidvalidity=6, environ=env))) == 3


# --- parse: fields -----------------------------------------------------------------


def test_parse_headers() -> None:
    raw = (
        b"Message-ID:\n <m1@example.org>\n"
        b"From: =?utf-8?q?Ren=C3=A9?= Dev <Rene@Example.ORG>\n"
        b"To: list@vger.example.org, Maint <maint@example.org>\n"
        b"Cc: a@example.org\nCc: b@example.org, a@example.org\n"
        b"Subject: [PATCH net v2 1/2] net: fix\n the thing\n"
        b"Date: Tue, 2 Jan 2024 11:00:00 +0100\n"
        b"In-Reply-To: <c@example.org> (Ren\xc3\xa9's message of Tuesday)\n"
        b"References: <a@example.org>\n <b@example.org> <c@example.org> <b@example.org>\n"
        b"List-Id: Networking <netdev.vger.example.org>\n"
        b"\n" + b"Fix it.\n\n" + DIFF + b"\nbase-commit: " + b"ab" * 20 + b"\n"
    )
    m = parsed(raw)
    assert m.message_id == "m1@example.org"
    assert (m.sender, m.sender_address) == ("René Dev <Rene@Example.ORG>", "rene@example.org")
    assert m.to == ["list@vger.example.org", "maint@example.org"]
    assert m.cc == ["a@example.org", "b@example.org"]
    assert m.raw_subject == "[PATCH net v2 1/2] net: fix the thing"
    assert (m.subject.title, m.subject.tree, m.subject.number) == ("net: fix the thing", "net", 1)
    assert m.date == datetime(2024, 1, 2, 10, 0, tzinfo=UTC)
    assert m.in_reply_to == "c@example.org"
    assert m.references == ["a@example.org", "b@example.org", "c@example.org"]
    assert m.list_id == "netdev.vger.example.org"
    assert m.has_diff and m.base_commit == "ab" * 20 and m.raw == raw


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("diff --git a/x b/x\nindex 1..2\n", True),
        ("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n", True),
        ("--- x.orig\n+++ x\n@@ -1,2 +1,2 @@\n", True),
        ("> diff --git a/x b/x\n> --- a/x\n", False),  # quoted in a reply
        ("---\n f | 1 +\n 1 file changed\n", False),  # a diffstat only
        ("--- a/x\n+++ b/x\nno hunk\n", False),
    ],
)
def test_has_diff(text: str, expected: bool) -> None:
    assert ingest.has_diff(text) is expected


def test_missing_from_subject_and_date_are_not_fatal() -> None:
    m = parsed(b"Message-ID: <bare@x>\n\nhello\n")
    assert (m.sender, m.sender_address, m.raw_subject, m.date) == ("", "", "", None)
    assert not m.subject.is_patch and m.body == "hello\n"


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("garbage", None),
        ("Tue, 2 Jan 2024 10:00:00 -0000", datetime(2024, 1, 2, 10, 0, tzinfo=UTC)),
        ("Tue, 2 Jan 2024 10:00:00", datetime(2024, 1, 2, 10, 0, tzinfo=UTC)),
        ("Tue, 99 Foo 2024 99:99:99 +0000", None),
    ],
)
def test_dates(date: str, expected: datetime | None) -> None:
    m = parsed(HEAD + f"Date: {date}\n\nx\n".encode())
    assert m.date == expected
    assert m.date is None or m.date.tzinfo is not None


def test_a_message_id_without_brackets() -> None:
    assert parsed(b"Message-ID: bare-id@x\n\nx\n").message_id == "bare-id@x"
    assert skipped(b"Message-ID: <>\n\nx\n").reason == "no Message-ID"


# --- parse: hostile mail -------------------------------------------------------------


def test_no_message_id() -> None:
    assert skipped(b"From: a@b\nSubject: [PATCH] x\n\n" + DIFF) == Skipped("no Message-ID", None)


def test_a_10_mb_body_is_skipped_as_too_large() -> None:
    raw = HEAD + b"\n" + DIFF + (b"+" + b"x" * 99 + b"\n") * 100_000
    assert len(raw) > 10_000_000
    out = skipped(raw)
    assert out.reason.startswith("too large") and out.message_id == "m1@example.org"


def test_a_body_under_the_limit_is_parsed() -> None:
    raw = HEAD + b"\n" + DIFF + (b"+" + b"x" * 99 + b"\n") * 40_000
    assert parsed(raw).has_diff


def test_broken_mime_with_a_garbage_boundary() -> None:
    raw = (
        HEAD + b'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="zzz"\n\n'
        b"garbage\n--yyy\nContent-Type: text/plain\n\n" + DIFF + b"--yyy--\n"
    )
    out = skipped(raw)
    assert out.reason.startswith("broken MIME") and out.message_id == "m1@example.org"


def test_latin1_body_without_a_charset() -> None:
    raw = HEAD + b"Content-Transfer-Encoding: 8bit\n\nCaf\xe9 cr\xe8me\n" + DIFF
    m = parsed(raw)
    assert "Café crème" in m.body and m.has_diff


@pytest.mark.parametrize("charset", [b"utf-8", b"x-no-such-charset", b"us-ascii"])
def test_bodies_that_lie_about_their_charset(charset: bytes) -> None:
    raw = HEAD + b"Content-Type: text/plain; charset=" + charset + b"\n\n\xff\xfe caf\xe9\n"
    assert "caf" in parsed(raw).body


def test_a_utf8_body_without_a_charset() -> None:
    assert "Grüße" in parsed(HEAD + "\nGrüße\n".encode()).body


def test_base64_text_part() -> None:
    raw = (
        HEAD + b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        b"ZGlmZiAtLWdpdCBhL2YgYi9mCg==\n"
    )
    assert parsed(raw).body == "diff --git a/f b/f\n"


def test_html_only() -> None:
    raw = HEAD + b"Content-Type: text/html\n\n<p>" + DIFF + b"</p>\n"
    assert skipped(raw).reason == "HTML only, no text part"
    alt = (
        HEAD + b'Content-Type: multipart/alternative; boundary="b"\n\n'
        b"--b\nContent-Type: text/html\n\n<p>hi</p>\n--b--\n"
    )
    assert skipped(alt).reason == "HTML only, no text part"


def test_html_with_a_text_part_is_fine() -> None:
    raw = (
        HEAD + b'Content-Type: multipart/alternative; boundary="b"\n\n'
        b"--b\nContent-Type: text/plain\n\n" + DIFF + b"--b\nContent-Type: text/html\n\n<p>hi</p>\n"
        b"--b--\n"
    )
    m = parsed(raw)
    assert m.has_diff and "<p>" not in m.body


@pytest.mark.parametrize(
    "part",
    [
        b'Content-Type: text/x-patch; name="0001-fix.patch"\n'
        b'Content-Disposition: attachment; filename="0001-fix.patch"\n\n' + DIFF,
        b"Content-Type: text/plain\nContent-Disposition: attachment\n\n" + DIFF,
        b"Content-Type: application/octet-stream\nContent-Disposition: attachment\n"
        b"Content-Transfer-Encoding: base64\n\n"
        b"ZGlmZiAtLWdpdCBhL2YgYi9mCi0tLSBhL2YKKysrIGIvZgpAQCAtMSArMSBAQAo=\n",
    ],
)
def test_a_patch_only_as_an_attachment(part: bytes) -> None:
    raw = (
        HEAD + b'Content-Type: multipart/mixed; boundary="b"\n\n'
        b"--b\nContent-Type: text/plain\n\nPlease apply.\n--b\n" + part + b"--b--\n"
    )
    assert skipped(raw) == Skipped(
        "patch as attachment: send it inline (git send-email)", "m1@example.org"
    )


def test_an_inline_patch_with_an_unrelated_attachment() -> None:
    raw = (
        HEAD + b'Content-Type: multipart/mixed; boundary="b"\n\n'
        b"--b\nContent-Type: text/plain; charset=utf-8\n\n" + DIFF + b"--b\n"
        b"Content-Type: image/png\nContent-Disposition: attachment\n\nPNG\n--b--\n"
    )
    assert parsed(raw).has_diff


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage",
        b"Message-ID: <x@y>\nContent-Type: multipart/mixed\n\nno boundary at all\n",
        b'Message-ID: <x@y>\nFrom: <<<@@@>>>, "\n\nx\n',
        b"Message-ID: <x@y>\nDate: \xff\xfe\nSubject: =?bogus?q?x?=\n\nx\n",
        b"Message-ID: <x@y>\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n!!!\n",
        b"Message-ID: <x@y>\nContent-Type: text/plain; charset=\xff\n\nx\n",
        b"Message-ID: <x@y>\nTo: undisclosed-recipients:;\nReferences: <<>>\n\nx\n",
        b"Message-ID: <x@y>\r\nSubject: [PATCH]\r\n\r\n" + DIFF.replace(b"\n", b"\r\n"),
    ],
)
def test_hostile_mail_never_raises(raw: bytes) -> None:
    assert isinstance(parse(raw), MailMessage | Skipped)


def test_an_unreadable_message_is_skipped_with_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise ValueError("parser exploded")

    monkeypatch.setattr(email, "message_from_bytes", boom)
    out = skipped(HEAD + b"\nx\n")
    assert out == Skipped("unreadable message: ValueError: parser exploded", "m1@example.org")


def test_real_series_dates_are_author_dates(repo: GitRepo) -> None:
    _cover, *patches = split_mbox(repo.format_patch(2))
    assert [parsed(p).date for p in patches] == [
        START.replace(minute=3),
        START.replace(minute=4),
    ]
