"""The bot's replies, read back as a mail client reads them.

The patch is a real ``git format-patch`` e-mail from a temporary repository;
every reply is serialized to bytes and parsed again with the email package
before anything is checked, so what is tested is what a reader receives.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import subprocess
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from pathlib import Path

import pytest

from duckfix.config import MailSettings
from duckfix.findings import Finding
from duckfix.patches import COMMIT_MSG
from duckfix.service.mail.model import MailMessage, Subject
from duckfix.service.mail.reply import (
    POLICY,
    compose_apply_failure,
    compose_reply,
    compose_summary,
    phrase,
    reply_subject,
    wrap,
)

AUTHOR = "Ada Lövelace <ada@example.org>"
SUBJECT = "app: Added a greeting"
PARENT = "cover.1@example.org"
NOW = datetime(2024, 3, 4, 12, 30, tzinfo=UTC)
TOKEN = "Zq8" * 8  # a secret-looking value, built so this file holds none
LONG = "x" * 150
OLD_APP = "def main():\n    return 0\n\n\ndef other():\n    pass\n"
NEW_APP = (
    "import os\n"  # 1
    "\n"  # 2
    "\n"  # 3
    "def main():\n"  # 4
    "    x = 1 \n"  # 5: trailing whitespace
    '    print("héllo")\n'  # 6
    "    return 0\n"  # 7
    "\n"  # 8
    "\n"  # 9
    "def other():\n"  # 10
    "    pass\n"  # 11
    f'    token = "{TOKEN}"\n'  # 12
    f'    message = "{LONG}"\n'  # 13
)

SETTINGS = MailSettings(
    list_address="netdev@vger.example.org",
    from_address="duckfix <duckfix-bot@example.org>",
    human_contact="Jane Maintainer <jane@example.org>",
)
CHECKS = ["hygiene", "secrets", "python", "commit"]


def _git(cwd: Path, *args: str) -> bytes:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        HOME=str(cwd.parent),
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Ada Lövelace",
        GIT_AUTHOR_EMAIL="ada@example.org",
        GIT_COMMITTER_NAME="Ada Lövelace",
        GIT_COMMITTER_EMAIL="ada@example.org",
        GIT_AUTHOR_DATE="2024-03-04T10:00:00+00:00",
        GIT_COMMITTER_DATE="2024-03-04T10:00:00+00:00",
    )
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True).stdout


@pytest.fixture(scope="module")
def raw_patch(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """``git format-patch`` of one commit touching two files, sent to the list with Cc."""
    repo = tmp_path_factory.mktemp("reply") / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "app.py").write_text(OLD_APP)
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "initial")
    (repo / "app.py").write_text(NEW_APP)
    (repo / "README").write_text("ok\n")
    _git(repo, "add", ".")
    message = f"{SUBJECT}\n\nSay hello in main. Ünïcode.\n\nSigned-off-by: {AUTHOR}\n"
    _git(repo, "commit", "-q", "-m", message)
    return _git(
        repo,
        "format-patch", "-1", "--stdout", "--thread", f"--in-reply-to=<{PARENT}>",
        "--subject-prefix=PATCH net-next",
        "--to=netdev@vger.example.org",
        "--cc=Bob Roe <bob@example.org>", "--cc=BOB@example.org",
        "--cc=duckfix-bot@example.org",
    )  # fmt: skip


def mail_from(raw: bytes) -> MailMessage:
    """The bot's record of a patch e-mail, filled in by hand as the ingest would."""
    msg = email.message_from_bytes(raw.split(b"\n", 1)[1], policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None
    sender = str(msg["From"])
    refs = [r.strip("<>") for r in str(msg.get("References", "")).split()]
    return MailMessage(
        message_id=str(msg["Message-Id"]).strip("<>"),
        subject=Subject(title=SUBJECT, is_patch=True, tree="net-next", tags=("PATCH", "net-next")),
        raw_subject=str(msg["Subject"]),
        sender=sender,
        sender_address=parseaddr(sender)[1].lower(),
        date=parsedate_to_datetime(str(msg["Date"])),
        in_reply_to=str(msg["In-Reply-To"]).strip("<>"),
        references=refs,
        to=[str(v) for v in msg.get_all("To", [])],
        cc=[str(v) for v in msg.get_all("Cc", [])],
        body=body.get_content(),
        has_diff=True,
        raw=raw,
    )


@pytest.fixture
def patch(raw_patch: bytes) -> MailMessage:
    return mail_from(raw_patch)


def received(msg: EmailMessage) -> EmailMessage:
    """``msg`` as the reader's mail client gets it."""
    back = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert isinstance(back, EmailMessage)
    return back


def text_of(msg: EmailMessage) -> str:
    content = received(msg).get_content()
    assert isinstance(content, str)
    return content


def finding(path: str, line: int, severity: str = "warning", **kw: str) -> Finding:
    kw.setdefault("category", "hygiene/test")
    kw.setdefault("message", f"something on {path}")
    return Finding(path=path, line=line, severity=severity, **kw)  # type: ignore[arg-type]


FINDINGS = [
    finding(
        "app.py", 5, category="hygiene/trailing-whitespace",
        message="trailing whitespace: remove it (most editors can strip it on save)",
        suggestion="    x = 1",
    ),
    finding(
        "app.py", 6, category="leftovers/debug-print",
        message="debug print left in: remove it, or log it with the logging module",
    ),
    finding("app.py", 13, "note", message="line is 166 characters long, over the limit"),
    finding("README", 1, "note", message="README changed without a reason"),
    finding(
        COMMIT_MSG, 1, category="commit/imperative",
        message="subject is not in the imperative mood ('Added'): say what the commit does",
        suggestion="app: Add a greeting",
    ),
]  # fmt: skip


def quoted_or_code(line: str) -> bool:
    return line.startswith(">") or line.startswith("    ")


# --- headers ------------------------------------------------------------------------


def test_reply_is_threaded_under_the_patch_and_addressed_to_its_author(
    patch: MailMessage,
) -> None:
    msg = received(compose_reply(patch, FINDINGS, checks=CHECKS, settings=SETTINGS, now=NOW))

    assert msg["Subject"] == f"Re: [PATCH net-next] {SUBJECT}"
    assert msg["In-Reply-To"] == f"<{patch.message_id}>"
    refs = str(msg["References"]).split()
    assert refs == [f"<{PARENT}>", f"<{patch.message_id}>"]
    assert re.fullmatch(r"<[^<>@\s]+@example\.org>", str(msg["Message-ID"]))
    assert parsedate_to_datetime(str(msg["Date"])) == NOW
    assert parseaddr(str(msg["From"]))[1] == "duckfix-bot@example.org"
    assert [a for _, a in getaddresses([str(msg["To"])])] == ["ada@example.org"]
    assert str(msg["To"]) == AUTHOR  # the name survives the encoded-word round trip
    cc = [a.lower() for _, a in getaddresses([str(msg["Cc"])])]
    assert cc == ["netdev@vger.example.org", "bob@example.org"]  # no bot, no duplicate
    assert str(msg["X-Mailer"]).startswith("duckfix ")
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content_charset() == "utf-8"


def test_each_reply_gets_a_new_message_id_unless_one_is_given(patch: MailMessage) -> None:
    ids = {
        str(received(compose_reply(patch, FINDINGS, checks=CHECKS, settings=SETTINGS, now=NOW))
            ["Message-ID"])
        for _ in range(3)
    }  # fmt: skip
    assert len(ids) == 3
    for given in ("duckfix.review.abc@example.org", "<duckfix.review.abc@example.org>"):
        msg = compose_reply(
            patch, FINDINGS, checks=CHECKS, settings=SETTINGS, now=NOW, message_id=given
        )
        assert received(msg)["Message-ID"] == "<duckfix.review.abc@example.org>"


def test_subject_gets_one_re_and_is_unfolded() -> None:
    assert reply_subject("[PATCH] net: fix") == "Re: [PATCH] net: fix"
    assert reply_subject("Re: [PATCH] net: fix") == "Re: [PATCH] net: fix"
    assert reply_subject("RE: x") == "RE: x"
    assert reply_subject("[PATCH v2 1/3] net: a very\n long subject") == (
        "Re: [PATCH v2 1/3] net: a very long subject"
    )


def test_a_long_subject_folds_after_its_first_word_and_is_not_encoded(
    patch: MailMessage,
) -> None:
    word = "a_long_identifier_that_is_longer_than_any_line_" * 2
    patch.raw_subject = f"[PATCH net-next v3 07/22] net/mlx5e: fix {word} and the rest of it"
    msg = compose_reply(patch, FINDINGS, checks=CHECKS, settings=SETTINGS, now=NOW)
    raw = msg.as_string()
    header = re.search(r"^Subject:.*?(?=^\S)", raw, re.M | re.S)
    assert header is not None
    lines = header.group().splitlines()
    assert lines[0].startswith("Subject: Re: [PATCH") and "=?" not in header.group()
    assert all(len(line) <= 78 or word in line for line in lines)
    assert str(received(msg)["Subject"]) == f"Re: {patch.raw_subject}"


def test_cc_original_off_copies_only_the_list(patch: MailMessage) -> None:
    settings = SETTINGS.model_copy(update={"cc_original": False})
    msg = received(compose_reply(patch, FINDINGS, checks=CHECKS, settings=settings, now=NOW))
    assert str(msg["Cc"]) == "netdev@vger.example.org"


def test_long_references_are_folded_between_ids_never_encoded(patch: MailMessage) -> None:
    long_id = "a" * 90 + "@example.org"
    patch.references = [f"{i}.{'b' * 40}@example.org" for i in range(4)] + [long_id]
    msg = compose_reply(patch, FINDINGS, checks=CHECKS, settings=SETTINGS, now=NOW)
    raw = msg.as_bytes()
    assert b"=?" not in raw.split(b"\n\n", 1)[0].replace(b"=?utf-8?q?L=C3=B6velace?=", b"")
    header = re.search(rb"^References:.*?(?=^\S)", raw, re.M | re.S)
    assert header and all(len(line) <= 78 or long_id.encode() in line
                          for line in header.group().splitlines())  # fmt: skip
    refs = str(received(msg)["References"]).split()
    assert refs[-2:] == [f"<{long_id}>", f"<{patch.message_id}>"]
    # Read back and sent again (as the queue does), the ids still do not get encoded.
    again = email.message_from_string(msg.as_string(), policy=email.policy.default)
    assert b"=?utf-8?q?=3Caaa" not in again.as_bytes(policy=POLICY)


# --- body ---------------------------------------------------------------------------


def test_body_reads_like_a_human_review(patch: MailMessage) -> None:
    body = text_of(compose_reply(patch, FINDINGS, checks=CHECKS, settings=SETTINGS, now=NOW))
    paragraphs = body.split("\n\n")

    first = " ".join(paragraphs[0].split("\n"))
    assert "automated" in first and "Jane Maintainer <jane@example.org>" in first
    assert paragraphs[1] == "Checks: hygiene, secrets, python, commit."
    assert paragraphs[2] == "On Mon, 04 Mar 2024, Ada Lövelace wrote:"
    assert body.endswith("\n-- \nduckfix, an automated reviewer\n")
    for line in body.split("\n"):
        assert len(line) <= 78 or quoted_or_code(line), line
    assert not re.search(r"(?i)line \d+|:\d+:|@@", body)
    # The flagged lines, quoted as added lines, non-ASCII intact.
    assert "> +    x = 1 \n" in body
    assert '> +    print("héllo")\n' in body
    assert f'> +    message = "{LONG}"\n' in body  # a long quoted line is not wrapped
    assert "Ünïcode" not in body  # the commit body is not quoted: nothing on it
    # Each comment is a question or a suggestion, beneath its quote.
    assert (
        "> +    x = 1 \n\nPossible issue: trailing whitespace. Would it make sense to remove it"
        in body
    )
    assert "Perhaps:\n\n        x = 1\n" in body


def test_neighbouring_findings_share_one_quote(patch: MailMessage) -> None:
    body = text_of(compose_reply(patch, FINDINGS, checks=CHECKS, settings=SETTINGS, now=NOW))
    assert body.count("> diff --git a/app.py b/app.py") == 1
    assert body.count(">  def main():") == 1
    assert body.count("> +    x = 1 ") == 1
    # The second comment follows the first, below the next quoted line only.
    first = body.index("trailing whitespace")
    second_quote = body.index('> +    print("héllo")')
    assert first < second_quote < body.index("debug print left in")
    assert '> +    print("héllo")' not in body[: body.index("> +    x = 1 ")]


def test_distant_lines_are_elided(patch: MailMessage) -> None:
    findings = [finding("app.py", 1), finding("app.py", 13)]
    body = text_of(compose_reply(patch, findings, checks=CHECKS, settings=SETTINGS, now=NOW))
    quote = body[body.index("> diff --git a/app.py") :]
    assert quote.count("> [ ... ]") == 2  # the @@ line, then lines 2 to 9
    assert "> +import os" in quote
    assert ">  def main():" not in quote  # elided: too far from either line
    assert ">  def other():\n>      pass\n" in quote  # context before the second line


def test_findings_come_in_patch_order(patch: MailMessage) -> None:
    shuffled = [FINDINGS[2], FINDINGS[0], FINDINGS[4], FINDINGS[3], FINDINGS[1]]
    body = text_of(compose_reply(patch, shuffled, checks=CHECKS, settings=SETTINGS, now=NOW))
    order = [
        body.index(f"> {SUBJECT}"),  # the commit message comes first in the e-mail
        body.index("> diff --git a/README b/README"),
        body.index("> +ok"),
        body.index("> diff --git a/app.py b/app.py"),
        body.index("trailing whitespace"),
        body.index("debug print"),
        body.index("166 characters"),
    ]
    assert order == sorted(order)


def test_commit_message_finding_quotes_the_subject(patch: MailMessage) -> None:
    body = text_of(compose_reply(patch, [FINDINGS[4]], checks=CHECKS, settings=SETTINGS, now=NOW))
    assert f"wrote:\n\n> {SUBJECT}\n\nPossible issue: subject is not in the imperative" in body
    assert "Perhaps:\n\n    app: Add a greeting\n" in body
    assert "diff --git" not in body


def test_commit_message_body_lines_are_quoted_with_context(patch: MailMessage) -> None:
    # Line 5 of "subject, blank, body, blank, Signed-off-by" is the trailer.
    body = text_of(
        compose_reply(
            patch,
            [finding(COMMIT_MSG, 5, message="trailer looks odd")],
            checks=CHECKS,
            settings=SETTINGS,
            now=NOW,
        )
    )
    assert "> [ ... ]" in body
    assert f"> Say hello in main. Ünïcode.\n>\n> Signed-off-by: {AUTHOR}\n" in body


def test_finding_outside_every_hunk_is_skipped(patch: MailMessage) -> None:
    findings = [finding("app.py", 99, message="nowhere to be seen"), FINDINGS[0]]
    body = text_of(compose_reply(patch, findings, checks=CHECKS, settings=SETTINGS, now=NOW))
    assert "nowhere to be seen" not in body
    assert "trailing whitespace" in body
    lost = [finding("other.py", 1, message="not in this patch")]
    body = text_of(compose_reply(patch, lost, checks=CHECKS, settings=SETTINGS, now=NOW))
    assert "not in this patch" not in body
    assert "nothing to comment on" in body


def test_secret_is_masked_in_the_quote(patch: MailMessage) -> None:
    secret = finding(
        "app.py", 12, "error", category="secrets/hardcoded-password",
        message='token is set to a literal secret ("****"): remove it from the patch, '
        "revoke it, and load it from the environment or a secret store",
    )  # fmt: skip
    body = text_of(compose_reply(patch, [secret], checks=CHECKS, settings=SETTINGS, now=NOW))
    assert TOKEN not in body
    assert f'> +    token = "{TOKEN[:4]}****"' in body
    assert "This looks like a problem: token is set to a literal secret" in body
    assert "Could\nyou remove it from the patch" in body or "Could you remove it" in body


def test_reply_survives_the_queue_round_trip(patch: MailMessage) -> None:
    msg = compose_reply(patch, FINDINGS, checks=CHECKS, settings=SETTINGS, now=NOW)
    queued = email.message_from_string(msg.as_string(), policy=email.policy.default)
    assert isinstance(queued, EmailMessage)
    again = received(queued)
    assert again.get_content() == msg.get_content()
    assert str(again["Content-Transfer-Encoding"]) in ("7bit", "quoted-printable")


def test_ascii_reply_goes_out_as_7bit(patch: MailMessage) -> None:
    patch.sender, patch.date = "ada@example.org", None
    msg = compose_reply(patch, [FINDINGS[3]], checks=CHECKS, settings=SETTINGS, now=NOW)
    assert msg["Content-Transfer-Encoding"] == "7bit"
    assert "\nada@example.org wrote:\n" in text_of(msg)


# --- phrasing and wrapping ----------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "message", "expected"),
    [
        ("error", "debugger statement left in: remove it",
         "This looks like a problem: debugger statement left in. Could you remove it?"),
        ("warning", "trailing whitespace: remove it",
         "Possible issue: trailing whitespace. Would it make sense to remove it?"),
        ("note", "subject ends with a period: drop it",
         "nit: subject ends with a period. Maybe drop it?"),
        ("warning", "no Signed-off-by: trailer, and this project requires one: commit with -s",
         "Possible issue: no Signed-off-by: trailer, and this project requires one. "
         "Would it make sense to commit with -s?"),
        ("error", "`os` imported but unused (ruff F401): Remove unused import: `os`",
         "This looks like a problem: `os` imported but unused (ruff F401). "
         "Could you remove unused import: `os`?"),
        ("warning", "malformed Fixes: trailer; write Fixes: <sha> (\"subject\")",
         "Possible issue: malformed Fixes: trailer. Would it make sense to write "
         "Fixes: <sha> (\"subject\")?"),
        ("warning", "unused variable 'x'",
         "Possible issue: unused variable 'x'. Is this intended?"),
        ("error", "undefined name 'y'", "This looks like a problem: undefined name 'y'. "
         "Could you take a look?"),
        ("note", "a \x1b[31mred\x1b[0m note", "nit: a \\x1b[31mred\\x1b[0m note."),
    ],
)  # fmt: skip
def test_phrase_turns_messages_into_questions(severity: str, message: str, expected: str) -> None:
    assert phrase(finding("a.py", 1, severity, message=message)) == expected


def test_wrap_keeps_quotes_and_code_and_long_words() -> None:
    url = "https://example.org/" + "a" * 80
    text = "\n".join(
        [
            "word " * 30,
            "> " + "quoted " * 20,
            "    " + "code " * 30,
            f"see {url} for more",
            "- " + "item " * 20,
            "-- ",
        ]
    )
    out = wrap(text).split("\n")
    assert all(len(line) <= 78 for line in out if not quoted_or_code(line) and url not in line)
    assert "> " + "quoted " * 20 in out and "    " + "code " * 30 in out
    assert url in out
    assert out[-1] == "-- "
    assert any(line.startswith("  item") for line in out)  # the item's continuation
    assert wrap(wrap(text)) == wrap(text)


# --- other replies ------------------------------------------------------------------

GIT_AM = """\
Applying: app: Added a greeting
error: patch failed: app.py:3
error: app.py: patch does not apply
Patch failed at 0001 app: Added a greeting
hint: Use 'git am --show-current-patch=diff' to see the failed patch
"""


def test_apply_failure_says_which_patch_where_and_why(patch: MailMessage) -> None:
    msg = received(
        compose_apply_failure(
            patch, GIT_AM, settings=SETTINGS, now=NOW, message_id="x.apply@example.org",
            base="net-next/main",
        )
    )  # fmt: skip
    assert msg["Subject"] == f"Re: [PATCH net-next] {SUBJECT}"
    assert msg["In-Reply-To"] == f"<{patch.message_id}>"
    assert msg["Message-ID"] == "<x.apply@example.org>"
    body = msg.get_content()
    assert "automated" in body.split("\n\n")[0]
    flat = " ".join(body.split())
    assert f'"[PATCH net-next] {SUBJECT}" did not apply to net-next/main' in flat
    assert "    error: app.py: patch does not apply\n" in body
    assert "hint:" not in body  # git's advice to whoever runs git am, not to the author
    assert "rest of the series were not reviewed" in flat
    for line in body.split("\n"):
        assert len(line) <= 78 or quoted_or_code(line), line


def test_apply_failure_names_the_patches_base_commit(patch: MailMessage) -> None:
    patch.base_commit = "0123456789abcdef" * 2 + "01234567"
    body = text_of(compose_apply_failure(patch, "error: nope", settings=SETTINGS, now=NOW))
    assert "did not apply to 0123456789ab;" in " ".join(body.split())


def test_summary_lists_each_patch(patch: MailMessage) -> None:
    per_patch = [
        ("[PATCH net-next 1/3] app: Added a greeting", 3),
        ("[PATCH net-next 2/3] app: tidy", 0),
        ("[PATCH net-next 3/3] app: " + "very " * 20 + "long", 1),
    ]
    msg = received(
        compose_summary(patch, per_patch, settings=SETTINGS, now=NOW, checks=["hygiene"])
    )
    assert msg["In-Reply-To"] == f"<{patch.message_id}>"
    body = msg.get_content()
    assert "- [PATCH net-next 1/3] app: Added a greeting (3 comments)\n" in body
    assert "- [PATCH net-next 2/3] app: tidy (no comments)\n" in body
    assert "4 comments on 2 of 3 patches" in body
    assert all(len(line) <= 78 for line in body.split("\n"))


def test_b4_trailer_and_a_removed_dash_line_are_read_right(patch: MailMessage) -> None:
    # b4 ends a patch with base-commit/change-id and a "-- " signature; a removed
    # "- " line in the diff also reads "-- " and must stay part of the hunk.
    patch.body = (
        "Fix a.\n\n---\n a | 2 +-\n\n"
        "diff --git a/a b/a\nindex 1111111..2222222 100644\n--- a/a\n+++ b/a\n"
        "@@ -1,2 +1,2 @@\n x\n-- \n+y\n\n"
        "---\nbase-commit: 0123456789abcdef0123456789abcdef01234567\n"
        "change-id: 20240101-foo-1234\n\nBest regards,\n-- \nAda <ada@example.org>\n"
    )
    found = finding("a", 2, message="flagged y")
    body = text_of(compose_reply(patch, [found], checks=CHECKS, settings=SETTINGS, now=NOW))
    assert ">  x\n> -- \n> +y\n\nPossible issue: flagged y." in body
