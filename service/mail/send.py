"""Where replies go: a maildir outbox for a human to send, or an SMTP server.

Both are a :class:`Sender` (``deliver(message)``). The outbox is the default:
a bot that writes to a public list should be watched before it is trusted.
:class:`RateLimiter` keeps the bot from flooding a list when a backlog of
replies goes out at once.

Errors: a setting that cannot work (no SMTP host, a password variable that
is not set, a login the server refuses) is a :class:`~duckfix.errors.ConfigError`;
a server that cannot be reached or refuses the message is a
:class:`~duckfix.errors.JobError`.
"""

from __future__ import annotations

import mailbox
import os
import smtplib
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Protocol

from duckfix.config import MailSettings
from duckfix.errors import ConfigError, JobError
from duckfix.service.mail.reply import POLICY

__all__ = ["Outbox", "RateLimiter", "Sender", "SmtpSender", "envelope", "make_sender"]

_SMTPS_PORT = 465
"""The port where SMTP speaks TLS from the start (RFC 8314) rather than after STARTTLS."""


class Sender(Protocol):
    """Where replies go; ``deliver`` returns where the message went (a key, a Message-ID)."""

    via: str
    """``smtp`` (the reply is sent) or ``outbox`` (written for a human to send)."""

    def deliver(self, message: EmailMessage) -> str: ...  # pragma: no cover - protocol


def _message_id(message: EmailMessage) -> str:
    value = message.get("Message-ID")
    if not value or not str(value).strip():
        raise ValueError("a reply without a Message-ID cannot be delivered exactly once")
    return str(value).strip()


# --- the outbox ---------------------------------------------------------------------


class Outbox:
    """A maildir the replies are written to, for a human to read and send.

    Delivery is idempotent by Message-ID: a reply delivered again (a run
    resumed after a crash) is not stored twice. The index of the ids already
    there is read once, on the first delivery; the maildir is assumed to be
    written by one process at a time.
    """

    via = "outbox"

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._box = mailbox.Maildir(str(path), factory=None, create=True)
        self._index: dict[str, str] | None = None

    def _ids(self) -> dict[str, str]:
        if self._index is None:
            parser = BytesHeaderParser()
            index: dict[str, str] = {}
            for key in self._box.iterkeys():
                headers = parser.parsebytes(self._box.get_bytes(key))  # bodies stay unparsed
                mid = headers.get("Message-ID")
                if mid:
                    index.setdefault(str(mid).strip(), key)
            self._index = index
        return self._index

    def deliver(self, message: EmailMessage) -> str:
        """Store ``message`` (once per Message-ID); returns its key in the maildir."""
        mid = _message_id(message)
        ids = self._ids()
        if mid in ids:
            return ids[mid]
        # Bytes with "\n": the maildir convention; the reply policy keeps ids unencoded.
        data = message.as_bytes(policy=POLICY.clone(linesep="\n"))
        key = self._box.add(data)  # written under tmp/, then renamed: never half a file
        ids[mid] = key
        return key

    def __len__(self) -> int:
        return len(self._box)


# --- SMTP ---------------------------------------------------------------------------


def envelope(message: EmailMessage) -> tuple[str, list[str]]:
    """(sender, recipients) of ``message``: From, then To and Cc, each address once."""
    sender = parseaddr(str(message.get("From", "")))[1]
    seen: dict[str, str] = {}
    values = [str(v) for name in ("To", "Cc") for v in message.get_all(name, [])]
    for _, addr in getaddresses(values):
        if addr and addr.lower() not in seen:
            seen[addr.lower()] = addr
    return sender, list(seen.values())


class SmtpSender:
    """Sends replies through an SMTP server, one connection per reply.

    STARTTLS (with the system's certificates) unless ``smtp_starttls`` is
    off; TLS from the start on port 465. The login's password comes from the
    environment variable ``smtp_password_env`` names, read when the sender is
    made, so a missing one fails before any review runs. Pacing is the
    caller's: a :class:`RateLimiter`'s ``wait`` before each ``deliver``.
    """

    via = "smtp"

    def __init__(
        self,
        settings: MailSettings,
        *,
        environ: Mapping[str, str] | None = None,
        timeout: float = 60.0,
    ) -> None:
        if not settings.smtp_host:
            raise ConfigError("mail.smtp_host is not set: the SMTP server replies are sent through")
        self.settings = settings
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.timeout = timeout
        self._password: str | None = None
        if settings.smtp_user:
            env = os.environ if environ is None else environ
            password = env.get(settings.smtp_password_env)
            if not password:
                raise ConfigError(
                    f"mail.smtp_user is {settings.smtp_user!r} but the environment variable "
                    f"{settings.smtp_password_env} is not set: set it to the SMTP password"
                )
            self._password = password

    @property
    def _where(self) -> str:
        return f"{self.host}:{self.port}"

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.port == _SMTPS_PORT:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.settings.smtp_starttls:
                smtp.starttls(context=context)
                smtp.ehlo()  # the extensions offered before TLS no longer count
        except BaseException:
            smtp.close()
            raise
        return smtp

    def deliver(self, message: EmailMessage) -> str:
        """Send ``message`` to its To and Cc; returns its Message-ID."""
        mid = _message_id(message)
        sender, recipients = envelope(message)
        if not recipients:
            raise ValueError(f"reply {mid} has no recipients")
        # Serialized with the reply policy: a long References id stays unencoded.
        data = message.as_bytes(policy=POLICY.clone(linesep="\r\n"))
        try:
            with self._connect() as smtp:
                if self._password is not None:
                    assert self.settings.smtp_user is not None
                    smtp.login(self.settings.smtp_user, self._password)
                smtp.sendmail(sender, recipients, data)
        except smtplib.SMTPAuthenticationError as exc:
            raise ConfigError(
                f"the SMTP server {self._where} refused the login of "
                f"{self.settings.smtp_user!r} ({_said(exc.smtp_code, exc.smtp_error)}): "
                f"check the password in {self.settings.smtp_password_env}"
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise JobError(
                f"the SMTP server {self._where} does not support {_what_unsupported(exc)}: "
                "check mail.smtp_port and mail.smtp_starttls"
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            refused = ", ".join(
                f"{addr} ({_said(code, text)})" for addr, (code, text) in exc.recipients.items()
            )
            raise JobError(
                f"the SMTP server {self._where} refused every recipient: {refused}"
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise JobError(
                f"the SMTP server {self._where} refused reply {mid}: "
                f"{_said(exc.smtp_code, exc.smtp_error)}"
            ) from exc
        except smtplib.SMTPException as exc:
            raise JobError(f"sending reply {mid} through {self._where} failed: {exc}") from exc
        except ssl.SSLError as exc:
            raise JobError(f"TLS with the SMTP server {self._where} failed: {exc}") from exc
        except OSError as exc:  # refused, unreachable, timed out, name not known
            why = exc.strerror or str(exc) or type(exc).__name__
            raise JobError(f"could not connect to the SMTP server {self._where}: {why}") from exc
        return mid


def _said(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {words}".strip()


def _what_unsupported(exc: smtplib.SMTPNotSupportedError) -> str:
    text = str(exc).lower()
    if "starttls" in text:
        return "STARTTLS"
    if "auth" in text:
        return "AUTH (a login)"
    return f"a command we need ({exc})"


# --- rate -------------------------------------------------------------------------


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """A token bucket per list: a burst of ``per_minute`` sends, then one every 60/per_minute s.

    ``wait`` reserves a send and sleeps until it is due, so threads waiting on
    the same list queue up in order. ``clock`` and ``sleep`` are injectable for
    tests.
    """

    def __init__(
        self,
        per_minute: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, per_minute)
        self.clock = clock
        self.sleep = sleep
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def wait(self, list_key: str) -> float:
        """Block until a send to ``list_key`` is allowed; returns the seconds waited."""
        with self._lock:
            now = self.clock()
            bucket = self._buckets.setdefault(list_key, _Bucket(self.capacity, now))
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            bucket.tokens -= 1  # reserved now, even if it is only due later
            delay = -bucket.tokens / self.rate if bucket.tokens < 0 else 0.0
        if delay > 0:
            self.sleep(delay)
        return delay


# --- choosing -----------------------------------------------------------------------


def make_sender(settings: MailSettings, home: Path, send: bool) -> Sender:
    """The outbox (``settings.outbox`` or ``<home>/outbox``), or SMTP when ``send`` is set."""
    if send:
        if not settings.smtp_host:
            raise ConfigError(
                "mail.smtp_host is not set: set it to send replies, or leave out --send "
                "to write them to the outbox"
            )
        return SmtpSender(settings)
    path = Path(settings.outbox).expanduser() if settings.outbox else home / "outbox"
    return Outbox(path)
