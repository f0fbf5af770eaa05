"""`duckfix mail` end to end: real series from git, a real SMTP server, a real crash."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.pipelines.review.gitrepo import GitRepo

aiosmtpd = pytest.importorskip("aiosmtpd.controller")

LIST = "calc-devel@lists.example.org"
BOT = "review-bot@example.org"
CALC = "def total(xs):\n    return sum(xs)\n"


class Inbox:
    """An SMTP handler keeping what it receives; ``hold`` makes MAIL FROM wait."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.hold: threading.Event | None = None
        self.holding = threading.Event()

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.hold is not None:
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.hold.wait, 60)
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.received.append(msg)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = aiosmtpd.Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        if inbox.hold is not None:
            inbox.hold.set()
        controller.stop()


@pytest.fixture
def project(tmp_path: Path) -> tuple[GitRepo, GitRepo]:
    """The maintainer's repository, and a contributor's clone with a 3-patch series on top."""
    upstream = GitRepo(tmp_path / "upstream")
    upstream.commit("Add total\n\nThe sum of a list.", {"calc.py": CALC})
    work = tmp_path / "contrib"
    subprocess.run(["git", "clone", "-q", str(upstream.root), str(work)], check=True)
    contrib = GitRepo(work)
    contrib.git("config", "user.name", "Ann Dev")
    contrib.git("config", "user.email", "ann@example.org")
    sob = "\n\nSigned-off-by: Ann Dev <ann@example.org>"
    contrib.commit(
        "calc: add a mean\n\nCallers kept dividing by len() themselves." + sob,
        {"calc.py": CALC + "\n\ndef mean(xs):\n    return total(xs) / len(xs)\n"},
    )
    traced = CALC.replace("    return sum(xs)\n", '    print("DEBUG", xs)   \n    return sum(xs)\n')
    contrib.commit(
        "calc: trace the totals\n\nTo see what the callers pass." + sob,
        {"calc.py": traced + "\n\ndef mean(xs):\n    return total(xs) / len(xs)\n"},
    )
    contrib.commit(
        "calc: fix the mean of an empty list\n\nIt divided by zero.",  # no sign-off
        {"calc.py": (contrib.root / "calc.py").read_text().replace(
            "    return total(xs) / len(xs)\n", "    return total(xs) / len(xs) if xs else 0.0\n")},
    )  # fmt: skip
    return upstream, contrib


def _series(contrib: GitRepo, *args: str) -> str:
    mbox = contrib.git(
        "format-patch", "--stdout", "--thread", "--cover-letter", f"--to={LIST}", *args
    )
    # The cover letter filled in, as its author does before sending (git's
    # template sent as it is gets a finding of its own).
    mbox = mbox.replace("*** SUBJECT HERE ***", "calc: means, traces and a fix")
    return mbox.replace("*** BLURB HERE ***", "A mean for the callers, and a fix for it.")


def _env(tmp_path: Path, upstream: GitRepo, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DUCKFIX_HOME": str(tmp_path / "home"),
        "DUCKFIX_MAIL__REPO": str(upstream.root),
        "DUCKFIX_MAIL__LIST_ADDRESS": LIST,
        "DUCKFIX_MAIL__FROM_ADDRESS": BOT,
        "DUCKFIX_MAIL__WAIT_MINUTES": "0",
        "DUCKFIX_MAIL__SMTP_HOST": "127.0.0.1",
        "DUCKFIX_MAIL__SMTP_PORT": str(port),
        "DUCKFIX_MAIL__SMTP_STARTTLS": "false",
        "DUCKFIX_MAIL__RATE_PER_MINUTE": "600",
    }


def _mail(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "duckfix", "mail", *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def _ids(mbox: str) -> dict[str, str]:
    """Subject -> Message-ID of each message of a format-patch mbox."""
    out = {}
    for chunk in re.split(r"(?m)^From [0-9a-f]{40} ", mbox)[1:]:
        msg = email.message_from_string(chunk.split("\n", 1)[1], policy=email.policy.default)
        out[str(msg["Subject"])] = str(msg["Message-ID"]).strip("<>")
    return out


def test_a_series_is_reviewed_and_answered_once_threaded_under_each_patch(
    project: tuple[GitRepo, GitRepo], smtp: tuple[Inbox, int], tmp_path: Path
) -> None:
    upstream, contrib = project
    inbox, port = smtp
    mbox = _series(contrib, "-v2", "-3")
    # A reply in the thread quoting a patch is not a patch.
    ids = _ids(mbox)
    patch2 = next(s for s in ids if "2/3" in s)
    mbox += (
        "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
        f"From: Bob Reviewer <bob@example.org>\nTo: {LIST}\n"
        f"Subject: Re: {patch2}\nMessage-ID: <reply-1@example.org>\n"
        f"In-Reply-To: <{ids[patch2]}>\nReferences: <{ids[patch2]}>\n"
        'Date: Mon, 23 Nov 2026 10:00:00 +0000\n\n> +    print("DEBUG", xs)\n\nWhy print?\n'
    )
    (tmp_path / "list.mbox").write_text(mbox)
    env = _env(tmp_path, upstream, port)

    first = _mail(["run", str(tmp_path / "list.mbox"), "--send"], env, tmp_path)
    assert first.returncode == 0, first.stderr
    assert "2 replies sent" in first.stdout
    assert "reply in a thread, not a patch" in first.stdout
    by_parent = {str(m["In-Reply-To"]).strip("<>"): m for m in inbox.received}
    patch3 = next(s for s in ids if "3/3" in s)
    assert set(by_parent) == {ids[patch2], ids[patch3]}  # patch 1 is clean: no mail
    for subject in (patch2, patch3):
        reply = by_parent[ids[subject]]
        assert str(reply["Subject"]) == f"Re: {subject}"
        assert str(reply["References"]).split()[-1] == f"<{ids[subject]}>"
        assert ids[next(s for s in ids if "0/3" in s)] in str(reply["References"])
        assert "ann@example.org" in str(reply["To"]) and LIST in str(reply["Cc"])
        assert BOT in str(reply["From"]) and reply["Message-ID"] and reply["Date"]
        body = reply.get_content()
        assert body.splitlines()[0].startswith("This is an automated review")
        assert not re.search(r"\bline \d+|:\d+:", body)
        assert all(len(x) <= 78 or x.startswith(">") for x in body.splitlines())
    debug = by_parent[ids[patch2]].get_content()
    assert '> +    print("DEBUG", xs)' in debug
    fixes = by_parent[ids[patch3]].get_content()
    assert "Signed-off-by" in fixes and "Fixes:" in fixes
    assert {tuple(sorted(r)) for _, r in inbox.envelopes} == {
        tuple(sorted(["ann@example.org", LIST]))
    }

    again = _mail(["run", str(tmp_path / "list.mbox"), "--send"], env, tmp_path)
    assert again.returncode == 0, again.stderr
    assert "0 replies sent" in again.stdout and len(inbox.received) == 2
    status = _mail(["status"], env, tmp_path)
    assert "reviewed" in status.stdout and "frobnicate" not in status.stdout


def test_a_series_that_does_not_apply_gets_one_reply_naming_the_patch(
    project: tuple[GitRepo, GitRepo], smtp: tuple[Inbox, int], tmp_path: Path
) -> None:
    upstream, contrib = project
    inbox, port = smtp
    # Upstream moved on: patch 1's context is gone.
    upstream.commit("Rename total\n\nClearer.", {"calc.py": CALC.replace("total", "sum_of")})
    (tmp_path / "list.mbox").write_text(_series(contrib, "-3"))
    done = _mail(
        ["run", str(tmp_path / "list.mbox"), "--send"], _env(tmp_path, upstream, port), tmp_path
    )
    assert done.returncode == 0, done.stderr
    (reply,) = inbox.received
    assert "1/3" in str(reply["Subject"])
    body = reply.get_content()
    assert "does not apply" in body or "did not apply" in body
    assert "calc.py" in body
    # The status table gives each series one line; git's words are in --json.
    env = _env(tmp_path, upstream, port)
    status = _mail(["status"], env, tmp_path)
    rows = [line for line in status.stdout.splitlines() if "not_applied" in line]
    assert len(rows) == 1, status.stdout
    assert "calc.py" in _mail(["status", "--json"], env, tmp_path).stdout


def test_a_crash_between_queued_and_sent_sends_exactly_once(
    project: tuple[GitRepo, GitRepo], smtp: tuple[Inbox, int], tmp_path: Path
) -> None:
    upstream, contrib = project
    inbox, port = smtp
    (tmp_path / "list.mbox").write_text(_series(contrib, "-3"))
    env = _env(tmp_path, upstream, port)
    inbox.hold = threading.Event()  # the first SMTP transaction stops at MAIL FROM
    proc = subprocess.Popen(
        [sys.executable, "-m", "duckfix", "mail", "run", str(tmp_path / "list.mbox"), "--send"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert inbox.holding.wait(120), "the bot never started sending"
        # Replies are queued (committed) before any is sent: kill it mid-send.
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        proc.kill()
    inbox.hold.set()
    inbox.hold = None
    time.sleep(0.2)
    assert inbox.received == []
    status = _mail(["status", "--json"], env, tmp_path)
    assert '"replies_queued": 2' in status.stdout

    restart = _mail(["run", str(tmp_path / "list.mbox"), "--send"], env, tmp_path)
    assert restart.returncode == 0, restart.stderr
    parents = sorted(str(m["In-Reply-To"]) for m in inbox.received)
    assert len(parents) == 2 and len(set(parents)) == 2  # each patch answered once
    assert _mail(["run", str(tmp_path / "list.mbox"), "--send"], env, tmp_path).returncode == 0
    assert len(inbox.received) == 2


def test_replies_go_to_the_outbox_by_default(
    project: tuple[GitRepo, GitRepo], tmp_path: Path
) -> None:
    upstream, contrib = project
    (tmp_path / "list.mbox").write_text(_series(contrib, "-3"))
    env = _env(tmp_path, upstream, 1)  # no SMTP server: nothing may try to send
    done = _mail(["run", str(tmp_path / "list.mbox")], env, tmp_path)
    assert done.returncode == 0, done.stderr
    outbox = tmp_path / "home" / "outbox"
    files = list((outbox / "new").iterdir()) + list((outbox / "cur").iterdir())
    assert len(files) == 2
    again = _mail(["run", str(tmp_path / "list.mbox")], env, tmp_path)
    assert again.returncode == 0 and len(list((outbox / "new").iterdir())) == len(files)
    status = _mail(["status", "--json"], env, tmp_path)
    (series,) = json.loads(status.stdout)["series"]
    assert series["replies_in_outbox"] == 2 and series["replies_sent"] == 0, "written, not sent"


def test_watch_polls_a_maildir_and_stops_cleanly_on_sigterm(
    project: tuple[GitRepo, GitRepo], tmp_path: Path
) -> None:
    import mailbox

    upstream, contrib = project
    maildir = mailbox.Maildir(tmp_path / "inbox", create=True)
    env = _env(tmp_path, upstream, 1)
    args = ["mail", "watch", str(tmp_path / "inbox"), "--interval", "0.3"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "duckfix", *args],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    outbox = tmp_path / "home" / "outbox" / "new"
    try:
        time.sleep(1.0)  # running, with an empty mailbox
        mbox = _series(contrib, "-3")
        for chunk in re.split(r"(?m)^From [0-9a-f]{40} .*\n", mbox)[1:]:
            maildir.add(chunk.encode())  # the list delivers, while the bot watches
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(list(outbox.glob("*"))) < 2:
            time.sleep(0.2)
        assert len(list(outbox.glob("*"))) == 2
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "stopped" in out and "Traceback" not in err
    assert f"watching {tmp_path / 'inbox'} every 0.3 s" in err
    assert f"written to the outbox {tmp_path / 'home' / 'outbox'}" in err


def test_mail_run_records_a_run_and_prints_json(
    project: tuple[GitRepo, GitRepo], tmp_path: Path
) -> None:
    upstream, contrib = project
    (tmp_path / "list.mbox").write_text(_series(contrib, "-3"))
    env = _env(tmp_path, upstream, 1)
    done = _mail(["run", str(tmp_path / "list.mbox"), "--json"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["read"] == 4 and doc["replies"] == 2 and doc["replies_went_to"] == "outbox"
    assert done.stderr.startswith(f"duckfix: run {doc['run_id']}")
