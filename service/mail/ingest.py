"""Read raw e-mails from an mbox, a maildir or IMAP, and parse one into a :class:`MailMessage`.

Readers yield ``(key, raw bytes)`` pairs: the key says where the message sits
in its source (stable while the source is only appended to), the bytes are
the message as received, for ``git am``. :func:`parse` turns raw bytes into a
:class:`MailMessage`, or a :class:`Skipped` with the reason. It never raises:
one malformed message on a list must not stop the bot reading the others.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import email.utils
import mailbox
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from duckfix.errors import ConfigError, JobError, NotFoundError, PatchError
from duckfix.safe_files import read_prefix
from duckfix.service.mail.model import MailMessage
from duckfix.service.mail.series import parse_subject

if TYPE_CHECKING:
    import imaplib

    from duckfix.config import MailSettings

__all__ = [
    "MAX_BYTES",
    "Skipped",
    "has_diff",
    "parse",
    "read_imap",
    "read_maildir",
    "read_mbox",
]

MAX_BYTES = 5 * 1024 * 1024
"""Messages larger than this are skipped unread: no reviewable patch is 5 MB of
e-mail, and parsing one costs memory for every stage after this one."""
_LINE_PIECE = 64 * 1024
"""Bytes of a line read at once while an mbox is indexed."""


@dataclass(frozen=True, slots=True)
class Skipped:
    """A message the bot does not handle, and why (said to the sender or logged)."""

    reason: str
    message_id: str | None
    """Without angle brackets; None when the message has none (or it is unreadable)."""


# --- mbox -------------------------------------------------------------------

# An mbox envelope line: "From <sender> <asctime>", as written by git format-patch
# ("From <sha> Mon Sep 17 00:00:00 2001"), mail servers, mutt and Python (and
# Gmail's exports, which put a zone before the year). Requiring the date keeps a
# body line such as "From the start, ..." from splitting a message in two when
# the writer did not escape it (git format-patch --stdout does not).
_ENVELOPE = re.compile(
    rb"^From \S*\s+(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s+"
    rb"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+\d{1,2}\s+"
    rb"\d{1,2}:\d{2}(?::\d{2})?\s+(?:\S+\s+)?\d{4}\b"
)
# mboxrd escaping: a body line "From x" is stored as ">From x", ">From x" as
# ">>From x". Undoing one level restores the original (and is harmless for the
# older mboxo flavour, where only "From " was escaped).
_ESCAPED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)


class _Mbox(mailbox.mbox):
    """The stdlib's mbox, splitting only at real envelope lines (see ``_ENVELOPE``)."""

    _file: BinaryIO  # set by mailbox's constructor; the stubs leave it out

    def _generate_toc(self) -> None:
        starts: list[int] = []
        stops: list[int] = []
        self._file.seek(0)
        at_start = True
        while True:
            pos = self._file.tell()
            # Lines are read in bounded pieces: a file without newlines must not
            # be read into memory whole. Only a piece that starts a line can be
            # an envelope.
            line = self._file.readline(_LINE_PIECE)
            if not line:
                if len(stops) < len(starts):
                    stops.append(pos)
                break
            if at_start and _ENVELOPE.match(line):
                if len(stops) < len(starts):
                    stops.append(pos)
                starts.append(pos)
            at_start = line.endswith(b"\n")
        self._toc = dict(enumerate(zip(starts, stops, strict=True)))
        self._next_key = len(self._toc)
        self._file_length = self._file.tell()

    def capped_bytes(self, key: str, limit: int) -> bytes:
        """Message ``key``, or its first ``limit + 1`` bytes when it is longer than ``limit``."""
        toc: dict[Any, tuple[int, int]] = self._toc  # keyed by int, whatever the stubs say
        start, stop = toc[key]
        if stop - start <= limit:
            return self.get_bytes(key)
        self._file.seek(start)
        return self._file.read(limit + 1)


def read_mbox(path: str | os.PathLike[str]) -> Iterator[tuple[str, bytes]]:
    """Yield ``(index, raw message)`` for each message of an mbox file.

    Handles git format-patch output (unescaped ``From `` lines in bodies),
    mboxrd escaping (``>From `` is restored to ``From ``) and CRLF files. A
    file that does not start with an envelope line is one single message (a
    patch saved from a mail client).
    """
    file = Path(path)
    if not file.is_file():
        raise NotFoundError(f"mbox {file} does not exist (or is not a file)")
    # Read without blocking and no more than a message may hold (parse skips a
    # longer one as too large): a FIFO or a huge file is not loaded.
    head = read_prefix(file, 4096, error=PatchError).lstrip(b"\r\n")
    if not head:
        return
    if not _ENVELOPE.match(head):
        yield "0", read_prefix(file, MAX_BYTES + 1, error=PatchError)
        return
    box = _Mbox(str(file), create=False)
    try:
        for key in box.iterkeys():
            raw = box.capped_bytes(key, MAX_BYTES)
            yield str(key), _ESCAPED_FROM.sub(rb"\1", raw)
    finally:
        box.close()


# --- maildir ----------------------------------------------------------------


def read_maildir(path: str | os.PathLike[str]) -> Iterator[tuple[str, bytes]]:
    """Yield ``(key, raw message)`` for each message in a maildir's ``new/`` and ``cur/``.

    The key is the maildir's unique name, without the ``:2,S`` flags: it stays
    the same when a mail client moves the message from ``new/`` to ``cur/``.
    Messages come in key order (maildir names start with the delivery time).
    """
    root = Path(path)
    if not root.is_dir():
        raise NotFoundError(f"maildir {root} does not exist (or is not a folder)")
    missing = [sub for sub in ("new", "cur") if not (root / sub).is_dir()]
    if missing:
        raise PatchError(f"{root} is not a maildir: it has no {' or '.join(missing)}/ folder")
    box = mailbox.Maildir(str(root), factory=None, create=False)
    for key in sorted(box.iterkeys()):
        try:
            # Not box.get_bytes: it would block on a FIFO and load a huge file
            # whole. A message over MAX_BYTES is cut there; parse skips it.
            where = box._lookup(key)  # type: ignore[attr-defined]  # the stubs leave it out
            raw = read_prefix(root / where, MAX_BYTES + 1, error=PatchError)
        except (KeyError, PatchError):  # moved or deleted meanwhile, or not a regular file
            continue
        yield key, raw


# --- IMAP -------------------------------------------------------------------


def read_imap(
    settings: MailSettings,
    *,
    since_uid: int = 0,
    uidvalidity: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> Iterator[tuple[str, bytes]]:
    """Yield ``("<uidvalidity>:<uid>", raw message)`` for messages of the IMAP folder.

    Only messages with a UID above ``since_uid`` are fetched, when
    ``uidvalidity`` is the folder's current one (pass the values from the
    last key seen); if the server renumbered the folder, everything is
    fetched again and the store's Message-IDs keep it from being handled
    twice. The folder is opened read-only and fetched with ``BODY.PEEK``, so
    messages stay unread for people sharing the mailbox.

    The password comes from the environment variable named by
    ``settings.imap_password_env`` (``environ`` replaces ``os.environ`` in tests).
    """
    if not settings.imap_host:
        raise ConfigError("mail.imap_host is not set: name the IMAP server to read from")
    if not settings.imap_user:
        raise ConfigError("mail.imap_user is not set: name the IMAP account to read")
    env = os.environ if environ is None else environ
    password = env.get(settings.imap_password_env)
    if not password:
        raise ConfigError(
            f"the IMAP password is missing: set the environment variable "
            f"{settings.imap_password_env} (named by mail.imap_password_env)"
        )
    import imaplib  # only the IMAP path pays for it

    where = f"{settings.imap_host}:{settings.imap_port}"
    try:
        conn = imaplib.IMAP4_SSL(settings.imap_host, settings.imap_port)
    except OSError as exc:
        raise JobError(f"cannot connect to the IMAP server {where}: {exc}") from exc
    try:
        try:
            conn.login(settings.imap_user, password)
        except imaplib.IMAP4.error as exc:
            raise ConfigError(f"the IMAP server {where} refused the login: {exc}") from exc
        try:
            status, _ = conn.select(_quote(settings.imap_folder), readonly=True)
            if status != "OK":
                raise NotFoundError(f"no IMAP folder {settings.imap_folder!r} on {where}")
            current = _uidvalidity(conn)
            low = since_uid if uidvalidity is not None and uidvalidity == current else 0
            status, data = conn.uid("SEARCH", "UID", f"{low + 1}:*")
            uids = [int(u) for u in (data[0] or b"").split()] if status == "OK" else []
            # "n:*" always matches the newest message, even when its UID is below n.
            for uid in sorted(u for u in uids if u > low):
                status, parts = conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
                raw = _fetched_body(parts) if status == "OK" else None
                if raw is not None:
                    yield f"{current}:{uid}", raw
        except (imaplib.IMAP4.error, OSError) as exc:
            raise JobError(f"reading the IMAP folder on {where} failed: {exc}") from exc
    finally:
        # The connection may be gone already; there is nothing left to clean up.
        with contextlib.suppress(Exception):
            conn.logout()


def _quote(folder: str) -> str:
    return folder if re.fullmatch(r"[A-Za-z0-9._/-]+", folder) else '"' + folder + '"'


def _uidvalidity(conn: imaplib.IMAP4) -> int:
    """The folder's UIDVALIDITY, which the server sends when the folder is selected."""
    _, data = conn.response("UIDVALIDITY")
    try:
        return int(data[0]) if data and data[0] else 0
    except (TypeError, ValueError):
        return 0


def _fetched_body(parts: list[object]) -> bytes | None:
    """The message bytes of a FETCH response: the literal of its first tuple."""
    for part in parts:
        if isinstance(part, tuple) and len(part) == 2 and isinstance(part[1], bytes):
            return part[1]
    return None


# --- parsing ----------------------------------------------------------------

_DIFF_GIT = re.compile(r"^diff --git ", re.MULTILINE)
# A plain unified diff (no "diff --git" line): the ---/+++ pair, then a hunk.
_UNIFIED = re.compile(r"^--- \S[^\n]*\n\+\+\+ \S[^\n]*\n@@ -\d", re.MULTILINE)
_BASE_COMMIT = re.compile(r"^base-commit: ([0-9a-f]{7,64})[ \t]*$", re.MULTILINE)
_ANGLE = re.compile(r"<([^<>\s]+)>")
_ATTACHMENT_REASON = "patch as attachment: send it inline (git send-email)"


def has_diff(text: str) -> bool:
    """The text carries a diff: a ``diff --git`` line, or a ``---``/``+++``/``@@`` header."""
    return bool(_DIFF_GIT.search(text) or _UNIFIED.search(text))


def parse(raw: bytes) -> MailMessage | Skipped:
    """Parse one raw e-mail; never raises.

    The message is skipped, with a reason, when it has no Message-ID, is
    larger than :data:`MAX_BYTES`, has no text/plain part (HTML only), only
    carries its patch as an attachment, or cannot be read at all.
    """
    try:
        return _parse(raw)
    except Exception as exc:  # one broken mail must never stop the mailbox
        return Skipped(f"unreadable message: {type(exc).__name__}: {exc}", _sniff_id(raw))


def _parse(raw: bytes) -> MailMessage | Skipped:
    if len(raw) > MAX_BYTES:
        # The readers stop one byte past the limit, so the size is only known to be over it.
        return Skipped(
            f"too large: over the limit of {MAX_BYTES // (1024 * 1024)} MiB", _sniff_id(raw)
        )
    # CRLF files parse into bodies full of "\r"; the raw bytes are kept as they came.
    msg = email.message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=email.policy.default)
    message_id = _first_id(_header(msg, "Message-ID"))
    if not message_id:
        return Skipped("no Message-ID", None)

    body, problem = _text_body(msg)
    if problem is not None:
        return Skipped(problem, message_id)

    raw_subject = " ".join((_header(msg, "Subject") or "").split())
    sender = " ".join((_header(msg, "From") or "").split())
    references = _ANGLE.findall(_header(msg, "References") or "")
    in_reply_to = _first_id(_header(msg, "In-Reply-To"))
    list_id = _header(msg, "List-Id")
    base = _BASE_COMMIT.search(body)
    return MailMessage(
        message_id=message_id,
        subject=parse_subject(raw_subject),
        raw_subject=raw_subject,
        sender=sender,
        sender_address=email.utils.parseaddr(sender)[1].lower(),
        date=_date(_header(msg, "Date")),
        in_reply_to=in_reply_to,
        references=list(dict.fromkeys(references)),  # once each, in order
        to=_addresses(msg, "To"),
        cc=_addresses(msg, "Cc"),
        list_id=(_first_id(list_id) or list_id.strip() or None) if list_id else None,
        body=body,
        has_diff=has_diff(body),
        raw=raw,
        base_commit=base.group(1) if base else None,
    )


def _header(msg: Message, name: str) -> str | None:
    """A header's decoded value, or None when it is absent or cannot be decoded."""
    try:
        value = msg.get(name)
        return None if value is None else str(value)
    except Exception:  # the header parser can fail on malformed values
        return None


def _first_id(value: str | None) -> str | None:
    """The first ``<id>`` of a header, brackets stripped; a bare id when it has none."""
    if not value:
        return None
    found = _ANGLE.search(value)
    if found:
        return found.group(1)
    bare = value.strip().split()
    return (bare[0].strip("<>") or None) if bare else None


def _sniff_id(raw: bytes) -> str | None:
    """The Message-ID of a message too large or too broken to parse."""
    head = raw[:65536].replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    found = re.search(rb"^Message-ID:[ \t]*(?:\n[ \t]+)?<([^<>\s]+)>", head, re.I | re.M)
    return found.group(1).decode("ascii", "replace") if found else None


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    # "-0000" means "zone unknown"; the parser then returns a naive time, taken as UTC.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _addresses(msg: Message, name: str) -> list[str]:
    values: list[str] = []
    with contextlib.suppress(Exception):  # a malformed address list reads as empty
        values = [str(v) for v in msg.get_all(name, [])]
    out = [addr for _, addr in email.utils.getaddresses(values) if addr]
    return list(dict.fromkeys(out))


def _decode(part: Message) -> str:
    """A text part's content: its charset, else UTF-8, else Latin-1 (which never fails)."""
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    for charset in (part.get_content_charset(), "utf-8"):
        if not charset:
            continue
        try:
            return data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1")


def _is_diff_attachment(part: Message) -> bool:
    ctype = part.get_content_type()
    name = (part.get_filename() or "").lower()
    if ctype in ("text/x-patch", "text/x-diff") or name.endswith((".patch", ".diff")):
        return True
    if part.get_content_maintype() == "text" or ctype == "application/octet-stream":
        return has_diff(_decode(part)[:MAX_BYTES])
    return False


def _text_body(msg: Message) -> tuple[str, str | None]:
    """The inline text/plain parts, joined; or a reason to skip the message."""
    if msg.get_content_maintype() == "multipart" and not msg.is_multipart():
        # The email package keeps the undivided text when the boundary is missing.
        names = ", ".join(type(d).__name__ for d in msg.defects) or "no parts"
        return "", f"broken MIME: {names}"
    texts: list[str] = []
    html = attached_diff = False
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        inline = part.get_content_disposition() != "attachment"
        if ctype == "text/plain" and inline:
            texts.append(_decode(part))
        elif ctype == "text/html" and inline:
            html = True
        elif _is_diff_attachment(part):
            attached_diff = True
    body = "\n".join(texts).replace("\r\n", "\n")
    if attached_diff and not has_diff(body):
        return "", _ATTACHMENT_REASON
    if not texts:
        return "", "HTML only, no text part" if html else "no text part"
    return body, None
