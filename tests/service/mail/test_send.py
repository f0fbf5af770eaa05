"""Delivering replies: a real SMTP server on loopback, a real maildir, a fake clock.

The SMTP server is aiosmtpd, started per test on a free port of 127.0.0.1
without TLS, so ``smtp_starttls`` is off in these settings (but for the test
that checks what happens when it is on and the server cannot do it).
"""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from duckfix.config import MailSettings
from duckfix.errors import ConfigError, JobError
from duckfix.findings import Finding
from duckfix.service.mail.model import MailMessage, Subject
from duckfix.service.mail.reply import compose_reply
from duckfix.service.mail.send import (
    Outbox,
    RateLimiter,
    SmtpSender,
    envelope,
    make_sender,
)

pytest.importorskip("aiosmtpd")

NOW = datetime(2024, 3, 4, 12, 30, tzinfo=UTC)
PASSWORD_ENV = "DUCKFIX_TEST_SMTP_PASSWORD"
DIFF = """\
diff --git a/app.py b/app.py
index 1111111..2222222 100644
--- a/app.py
+++ b/app.py
@@ -1,2 +1,3 @@
 def main():
+    x = 1 \n\
     return 0
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes


@dataclass
class Collector:
    """An aiosmtpd handler that keeps every envelope it is given."""

    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        # Stored with "\n" line ends, as a mail delivery agent stores what SMTP carried.
        content = envelope.original_content.replace(b"\r\n", b"\n")
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), content))
        return "250 OK"


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"bot", b"s3cret")
    return AuthResult(success=ok, handled=False)


@dataclass
class Server:
    port: int
    handler: Collector


def _serve(**kwargs: Any) -> Iterator[Server]:
    from aiosmtpd.controller import Controller

    handler = Collector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield Server(port, handler)
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[Server]:
    yield from _serve()


@pytest.fixture
def auth_server() -> Iterator[Server]:
    # Login over plain text is fine on loopback; aiosmtpd refuses it unless told.
    yield from _serve(authenticator=_authenticate, auth_require_tls=False)


def settings(port: int = 25, **kw: Any) -> MailSettings:
    base: dict[str, Any] = {
        "list_address": "netdev@vger.example.org",
        "from_address": "duckfix <duckfix-bot@example.org>",
        "human_contact": "the netdev maintainers",
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_starttls": False,
    }
    return MailSettings(**(base | kw))


def patch_mail(number: int) -> MailMessage:
    return MailMessage(
        message_id=f"patch-{number}@example.org",
        subject=Subject(title=f"app: change {number}", is_patch=True),
        raw_subject=f"[PATCH {number}/2] app: change {number}",
        sender="Zoë Dev <zoe@example.org>",
        sender_address="zoe@example.org",
        date=NOW,
        references=["cover@example.org"],
        to=["netdev@vger.example.org"],
        cc=["Bob <bob@example.org>", "bob@EXAMPLE.org"],
        body=f"Change {number}.\n\nSigned-off-by: Zoë Dev <zoe@example.org>\n---\n{DIFF}",
        has_diff=True,
    )


def reply_to(number: int, mail: MailSettings | None = None) -> EmailMessage:
    found = Finding(
        path="app.py",
        line=2,
        severity="warning",
        category="hygiene/trailing-whitespace",
        message="trailing whitespace: remove it",
    )
    return compose_reply(
        patch_mail(number),
        [found],
        checks=["hygiene"],
        settings=mail or settings(),
        now=NOW,
        message_id=f"duckfix.review.{number}@example.org",
    )


# --- SMTP ---------------------------------------------------------------------------


def test_envelope_is_from_and_every_to_and_cc_once() -> None:
    sender, recipients = envelope(reply_to(1))
    assert sender == "duckfix-bot@example.org"
    assert recipients == ["zoe@example.org", "netdev@vger.example.org", "bob@example.org"]


def test_sends_replies_to_a_real_smtp_server(smtp_server: Server) -> None:
    sender = SmtpSender(settings(smtp_server.port), environ={})
    ids = [sender.deliver(reply_to(n)) for n in (1, 2)]

    assert ids == ["<duckfix.review.1@example.org>", "<duckfix.review.2@example.org>"]
    got = smtp_server.handler.received
    assert len(got) == 2
    for number, item in enumerate(got, start=1):
        assert item.mail_from == "duckfix-bot@example.org"
        assert item.rcpt_tos == ["zoe@example.org", "netdev@vger.example.org", "bob@example.org"]
        msg = email.message_from_bytes(item.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        assert msg["Subject"] == f"Re: [PATCH {number}/2] app: change {number}"
        assert msg["Message-ID"] == f"<duckfix.review.{number}@example.org>"
        assert msg["In-Reply-To"] == f"<patch-{number}@example.org>"
        assert str(msg["References"]).split() == [
            "<cover@example.org>",
            f"<patch-{number}@example.org>",
        ]
        assert str(msg["To"]) == "Zoë Dev <zoe@example.org>"
        assert "Bcc" not in msg
        body = msg.get_content()
        assert "> +    x = 1 \n\nPossible issue: trailing whitespace." in body


def test_a_message_read_back_from_the_queue_is_sent_intact(smtp_server: Server) -> None:
    queued = email.message_from_string(reply_to(1).as_string(), policy=email.policy.default)
    assert isinstance(queued, EmailMessage)
    SmtpSender(settings(smtp_server.port), environ={}).deliver(queued)
    msg = email.message_from_bytes(
        smtp_server.handler.received[0].content, policy=email.policy.default
    )
    assert isinstance(msg, EmailMessage)
    assert msg.get_content() == reply_to(1).get_content()


def test_logs_in_with_the_password_from_the_environment(auth_server: Server) -> None:
    mail = settings(auth_server.port, smtp_user="bot", smtp_password_env=PASSWORD_ENV)
    SmtpSender(mail, environ={PASSWORD_ENV: "s3cret"}).deliver(reply_to(1))
    assert len(auth_server.handler.received) == 1


def test_a_wrong_password_says_which_variable_to_check(auth_server: Server) -> None:
    mail = settings(auth_server.port, smtp_user="bot", smtp_password_env=PASSWORD_ENV)
    with pytest.raises(ConfigError) as caught:
        SmtpSender(mail, environ={PASSWORD_ENV: "wrong"}).deliver(reply_to(1))
    message = str(caught.value)
    assert f"127.0.0.1:{auth_server.port} refused the login of 'bot'" in message
    assert "535" in message and PASSWORD_ENV in message
    assert "wrong" not in message  # never echo the password
    assert auth_server.handler.received == []


def test_a_missing_password_variable_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    mail = settings(smtp_user="bot", smtp_password_env=PASSWORD_ENV)
    with pytest.raises(ConfigError, match=f"environment variable {PASSWORD_ENV} is not set"):
        SmtpSender(mail)
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    SmtpSender(mail)  # read from the process environment by default


def test_a_refused_connection_is_a_job_error() -> None:
    port = free_port()  # nothing listens there any more
    with pytest.raises(JobError) as caught:
        SmtpSender(settings(port), environ={}, timeout=5).deliver(reply_to(1))
    assert not isinstance(caught.value, ConfigError)
    assert f"could not connect to the SMTP server 127.0.0.1:{port}" in str(caught.value)
    assert "refused" in str(caught.value).lower()


def test_starttls_against_a_server_without_it_is_a_job_error(smtp_server: Server) -> None:
    mail = settings(smtp_server.port, smtp_starttls=True)
    with pytest.raises(JobError, match="does not support STARTTLS"):
        SmtpSender(mail, environ={}).deliver(reply_to(1))
    assert smtp_server.handler.received == []


def test_login_against_a_server_without_auth_is_a_job_error(smtp_server: Server) -> None:
    mail = settings(smtp_server.port, smtp_user="bot", smtp_password_env=PASSWORD_ENV)
    with pytest.raises(JobError, match="does not support AUTH"):
        SmtpSender(mail, environ={PASSWORD_ENV: "s3cret"}).deliver(reply_to(1))


# --- the outbox ---------------------------------------------------------------------


def test_outbox_creates_the_maildir_and_stores_a_message_once(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "outbox"
    outbox = Outbox(path)
    assert (path / "new").is_dir() and (path / "cur").is_dir() and (path / "tmp").is_dir()

    first = outbox.deliver(reply_to(1))
    assert outbox.deliver(reply_to(1)) == first
    second = outbox.deliver(reply_to(2))
    assert second != first
    assert len(list((path / "new").iterdir())) == 2

    # A new Outbox (the next run) reads the ids already there.
    again = Outbox(path)
    assert again.deliver(reply_to(1)) == first
    assert len(again) == 2

    stored = (path / "new" / first).read_bytes()
    msg = email.message_from_bytes(stored, policy=email.policy.default)
    assert msg["Message-ID"] == "<duckfix.review.1@example.org>"
    assert msg["In-Reply-To"] == "<patch-1@example.org>"
    assert b"\r\n" not in stored


def test_outbox_refuses_a_message_without_an_id(tmp_path: Path) -> None:
    msg = EmailMessage()
    msg["Subject"] = "no id"
    with pytest.raises(ValueError, match="Message-ID"):
        Outbox(tmp_path / "outbox").deliver(msg)


def test_make_sender_picks_outbox_unless_sending(tmp_path: Path) -> None:
    default = make_sender(settings(smtp_host=None), tmp_path, send=False)
    assert isinstance(default, Outbox) and default.path == tmp_path / "outbox"
    named = make_sender(settings(outbox=str(tmp_path / "mine")), tmp_path, send=False)
    assert isinstance(named, Outbox) and named.path == tmp_path / "mine"
    assert isinstance(make_sender(settings(), tmp_path, send=True), SmtpSender)
    with pytest.raises(ConfigError, match="smtp_host is not set"):
        make_sender(settings(smtp_host=None), tmp_path, send=True)


# --- rate ---------------------------------------------------------------------------


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_rate_limiter_makes_the_third_send_wait() -> None:
    fake = FakeTime()
    limiter = RateLimiter(2, clock=fake.clock, sleep=fake.sleep)
    waits = [limiter.wait("netdev") for _ in range(3)]
    assert waits[:2] == [0.0, 0.0]
    assert waits[2] == pytest.approx(30.0)
    assert fake.slept == [pytest.approx(30.0)]


def test_rate_limiter_keeps_lists_apart_and_refills() -> None:
    fake = FakeTime()
    limiter = RateLimiter(2, clock=fake.clock, sleep=fake.sleep)
    limiter.wait("netdev")
    limiter.wait("netdev")
    assert limiter.wait("bpf") == 0.0  # another list has its own bucket
    fake.now += 60  # a minute later the bucket is full again, and no fuller
    assert [limiter.wait("netdev") for _ in range(3)][:2] == [0.0, 0.0]
    assert fake.slept == [pytest.approx(30.0)]


def test_rate_limiter_queues_waiters_in_order() -> None:
    fake = FakeTime()
    limiter = RateLimiter(6, clock=fake.clock, sleep=lambda s: fake.slept.append(s))
    for _ in range(6):
        limiter.wait("netdev")
    # Without the clock moving, each further send is due ten seconds after the last.
    assert [limiter.wait("netdev") for _ in range(3)] == pytest.approx([10.0, 20.0, 30.0])
