"""Real patch series, made by ``git format-patch`` in a temporary repository.

Two things are changed in what git emits, each the way ``git send-email``
would change it on the way to a list: Message-IDs get a per-call serial
(format-patch derives them from the wall clock in seconds, so two calls in one
second would collide), and ``--no-thread`` output gets the Message-ID header
format-patch leaves out.
"""

from __future__ import annotations

import itertools
import mailbox
import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

SENDER = "Ann Dev <ann@example.org>"
OTHER = "Bob Roe <bob@example.org>"
START = datetime(2024, 1, 2, 10, 0, tzinfo=UTC)
"""Commit i is dated START + i minutes: format-patch puts the author date in Date:."""

# git format-patch's envelope line: the commit's sha and a fixed, magic date.
_GIT_ENVELOPE = re.compile(rb"^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001$", re.MULTILINE)
# Any envelope line of the mboxes made here (git's, and the hand-written replies').
_ENVELOPE = re.compile(rb"^From \S+ \w{3} \w{3} +\d{1,2} \d\d:\d\d:\d\d \d{4}$", re.MULTILINE)
_serial = itertools.count(1)

COMMITS = [
    ("net: add the frobnicator", "frob.c", "int frob(void) { return 1; }\n"),
    ("net: check the frobnicator's result", "check.c", "int check(void) { return frob(); }\n"),
    ("net: document the frobnicator", "README", "The frobnicator frobs.\n"),
    ("net: test the frobnicator", "test.c", "int main(void) { return !check(); }\n"),
    ("bpf: tidy up", "bpf.c", "/* tidy */\n"),
]


def _env(home: Path, name: str, address: str, when: datetime | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        HOME=str(home),
        GIT_CONFIG_GLOBAL=os.devnull,  # no format.thread or sendemail.* from the host
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME=name,
        GIT_AUTHOR_EMAIL=address,
        # format-patch writes the cover letter as the committer: make it the sender.
        GIT_COMMITTER_NAME=name,
        GIT_COMMITTER_EMAIL=address,
    )
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when.isoformat()
    return env


@dataclass
class GitRepo:
    """A repository with :data:`COMMITS` on top of an initial commit."""

    path: Path

    def git(self, *args: str, sender: str = SENDER, when: datetime | None = None) -> bytes:
        name, address = sender[: sender.index("<")].strip(), sender[sender.index("<") + 1 : -1]
        out = subprocess.run(
            ["git", *args],
            cwd=self.path,
            env=_env(self.path.parent, name, address, when),
            check=True,
            capture_output=True,
        )
        return out.stdout

    def format_patch(
        self,
        count: int = 3,
        *,
        version: int | None = 2,
        cover: bool = True,
        thread: bool | str = True,
        in_reply_to: str | None = None,
        rfc: bool = False,
        prefix: str | None = None,
        base: bool = False,
        sender: str = SENDER,
        skip: int = 0,
    ) -> bytes:
        """``git format-patch --stdout`` of ``count`` commits, ``skip`` commits below HEAD."""
        args = ["format-patch", "--stdout", f"-{count}", f"--from={sender}"]
        args += ["--cover-letter", "--cover-from-description=subject"] if cover else []
        args += [f"--thread={thread}" if isinstance(thread, str) else "--thread"] if thread else []
        args += [] if thread else ["--no-thread"]
        args += [f"-v{version}"] if version is not None else []
        args += [f"--in-reply-to=<{in_reply_to}>"] if in_reply_to else []
        args += [f"--subject-prefix={prefix}"] if prefix else []
        args += ["--rfc"] if rfc else []  # after --subject-prefix, or it is overridden
        args += [f"--base=HEAD~{count + skip}"] if base else []
        args += [f"HEAD~{skip}"] if skip else []
        out = self.git(*args, sender=sender)
        serial = next(_serial)
        out = re.sub(rb"\.(\d{9,11})\.git\.", rb".\1-%d.git." % serial, out)
        if not thread:
            out = _add_message_ids(out, serial)
        return out


def _add_message_ids(mbox: bytes, serial: int) -> bytes:
    """Give each message a Message-ID, as git send-email does for ``--no-thread`` output."""
    counter = itertools.count(1)

    def add(match: re.Match[bytes]) -> bytes:
        return match.group(0) + b"\nMessage-Id: <%d-%d-unthreaded@example.org>" % (
            serial,
            next(counter),
        )

    return _GIT_ENVELOPE.sub(add, mbox)


def split_mbox(data: bytes) -> list[bytes]:
    """An mbox made here cut into messages (each still with its envelope line)."""
    starts = [m.start() for m in _ENVELOPE.finditer(data)] or [0]
    return [data[a:b] for a, b in zip(starts, [*starts[1:], len(data)], strict=True)]


def message_id(message: bytes) -> str:
    """The Message-ID of one raw message (angle brackets stripped)."""
    found = re.search(rb"^Message-Id: <([^>]+)>", message, re.MULTILINE | re.IGNORECASE)
    assert found, message[:300]
    return found.group(1).decode()


def write_mbox(path: Path, *chunks: bytes) -> Path:
    path.write_bytes(b"".join(c if c.endswith(b"\n") else c + b"\n" for c in chunks))
    return path


def write_maildir(path: Path, messages: Sequence[bytes], *, cur: Sequence[bytes] = ()) -> Path:
    """A maildir with ``messages`` in ``new/`` and ``cur`` in ``cur/`` (flagged seen)."""
    box = mailbox.Maildir(str(path), create=True)
    for raw in messages:
        box.add(_strip_envelope(raw))
    for raw in cur:
        msg = mailbox.MaildirMessage(_strip_envelope(raw))
        msg.set_subdir("cur")
        msg.set_flags("S")
        box.add(msg)
    return path


def _strip_envelope(raw: bytes) -> bytes:
    return raw.split(b"\n", 1)[1] if raw.startswith(b"From ") else raw


def reply(
    to: bytes,
    *,
    sender: str = OTHER,
    body: str = "Looks wrong to me.",
    mid: str = "reply-1@example.org",
    quote: bool = True,
) -> bytes:
    """A hand-written reply to a raw patch e-mail, quoting its diff (or, unquoted,
    repeating it as a reviewer's counter-proposal does)."""
    subject = re.search(rb"^Subject: (.*)$", to, re.MULTILINE)
    assert subject
    parent = message_id(to)
    refs = re.search(rb"^References: (.*)$", to, re.MULTILINE)
    references = (refs.group(1).decode() + " " if refs else "") + f"<{parent}>"
    diff = to.split(b"\ndiff --git", 1)[1].split(b"\n-- \n")[0].decode()
    mark = "> " if quote else ""
    quoted = "\n".join(mark + line for line in ("diff --git" + diff).splitlines())
    return (
        f"From reviewer@example.org Tue Jan  2 12:00:00 2024\n"
        f"Message-Id: <{mid}>\n"
        f"In-Reply-To: <{parent}>\n"
        f"References: {references}\n"
        f"From: {sender}\n"
        f"Date: Tue, 2 Jan 2024 12:00:00 +0000\n"
        f"Subject: Re: {subject.group(1).decode()}\n"
        f"\n"
        f"On Tue, Ann Dev wrote:\n{quoted}\n\n{body}\n"
    ).encode()


@pytest.fixture(scope="session")
def repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    """A repository with five commits, a minute apart, on one branch with a description.

    Session-scoped and never changed after setup: ``format-patch`` only reads.
    """
    root = tmp_path_factory.mktemp("mail-repo")
    r = GitRepo(root / "repo")
    r.path.mkdir()
    r.git("init", "-q", "-b", "main")
    (r.path / "Makefile").write_text("all:\n")
    r.git("add", ".")
    r.git("commit", "-q", "-m", "initial", when=START - timedelta(days=1))
    for i, (title, name, text) in enumerate(COMMITS):
        (r.path / name).write_text(text)
        r.git("add", name)
        body = f"{title}\n\nWhy: change {i}.\n\nFrom the start, this was missing.\n"
        body += "\nSigned-off-by: Ann Dev <ann@example.org>\n"
        r.git("commit", "-q", "-m", body, when=START + timedelta(minutes=i))
    # --cover-from-description=subject turns this into the cover letter's subject.
    r.git("config", "branch.main.description", "net: frobnicate\n\nThis series frobnicates.")
    return r
