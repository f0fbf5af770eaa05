"""The replies the mail bot writes, in the manner of a careful human reviewer.

A review reply is threaded under the patch (``Re:`` subject, ``In-Reply-To``,
``References``), goes to the author with the list in Cc, and reads like a
reply on netdev: an opening sentence saying it is automated and who the human
is, the checks that ran, then for each finding the few lines of the patch it
is about, quoted with ``> `` (elisions marked ``> [ ... ]``), and the comment
beneath it, phrased as a question or a suggestion. No line numbers: the
quote places the comment, as it does in a human reply.

Plain text, wrapped at 78 columns; quoted and indented code is never
re-wrapped. The body goes out 7bit when it is ASCII, quoted-printable
otherwise: both survive ``as_string()`` and relays that are not 8-bit clean
(an 8bit body would come back from ``as_string()`` as base64).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr
from typing import Any

from duckfix import __version__
from duckfix.config import MailSettings
from duckfix.diff import FileChange, HunkLine, parse_diff
from duckfix.errors import PatchError
from duckfix.findings import Finding
from duckfix.patches import COMMIT_MSG
from duckfix.pipelines.review.render.report import masked, visible
from duckfix.service.mail.model import MailMessage

__all__ = [
    "POLICY",
    "SIGNATURE",
    "WIDTH",
    "compose_apply_failure",
    "compose_reply",
    "compose_summary",
    "phrase",
    "reply_subject",
    "wrap",
]

WIDTH = 78
"""Columns prose is wrapped at (quoted code is left as it is)."""
SIGNATURE = "-- \nduckfix, an automated reviewer"
"""The sign-off; ``-- `` (with its space) lets mail clients strip it from quotes."""

_CONTEXT = 3
"""Lines quoted before a flagged line: enough to see where it is."""
_JOIN_GAP = 3
"""Between two flagged lines, at most this many lines are quoted rather than elided."""
_ELIDED = "> [ ... ]"
_MAX_REASON_LINES = 20
"""Lines of ``git am``'s output kept in an apply-failure reply."""


# --- headers ------------------------------------------------------------------------


class _IdListHeader(BaseHeader):
    """``References`` / ``In-Reply-To``: message ids folded between ids, never encoded.

    The stock header class treats them as unstructured text and turns an id
    longer than a line into an RFC 2047 encoded word, which breaks threading
    in every mail client. This one folds only at the spaces between ids.
    """

    max_count = 1

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        from email import _header_value_parser as parser

        kwds["decoded"] = " ".join(str(value).split())
        kwds["parse_tree"] = parser.get_unstructured(kwds["decoded"])

    def fold(self, *, policy: Any) -> str:
        # An id longer than the line limit goes on a line of its own, unbroken.
        limit = policy.max_line_length or float("inf")
        label = f"{self.name}:"
        lines: list[str] = []
        current = label
        for token in str(self).split():
            if current != label and len(current) + 1 + len(token) > limit:
                lines.append(current)
                current = " " + token
            else:
                current += " " + token
        lines.append(current)
        return str(policy.linesep).join(lines) + str(policy.linesep)


class _SubjectHeader(BaseHeader):
    """``Subject``: an ASCII subject folds at the spaces after its first word, never encoded.

    The stock class may fold before the first word (an empty first line) and
    turns a long ASCII word into RFC 2047 encoded words, which threading by
    subject and every reader's eyes take badly. A word longer than a line
    stays whole (RFC 5322 allows 998 characters). Non-ASCII subjects are left
    to the stock folding, which must encode them.
    """

    max_count = 1

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        from email import _header_value_parser as parser

        kwds["parse_tree"] = parser.get_unstructured(value)
        kwds["decoded"] = str(kwds["parse_tree"])

    def fold(self, *, policy: Any) -> str:
        text = str(self)
        if not text.isascii():
            return str(super().fold(policy=policy))
        limit = policy.max_line_length or float("inf")
        words = text.split()
        current = f"{self.name}: {words[0]}" if words else f"{self.name}:"
        lines: list[str] = []
        for word in words[1:]:
            if len(current) + 1 + len(word) > limit:
                lines.append(current)
                current = " " + word
            else:
                current += " " + word
        lines.append(current)
        return str(policy.linesep).join(lines) + str(policy.linesep)


def _registry() -> HeaderRegistry:
    registry = HeaderRegistry()
    registry.map_to_type("references", _IdListHeader)
    registry.map_to_type("in-reply-to", _IdListHeader)
    registry.map_to_type("subject", _SubjectHeader)
    return registry


POLICY = default_policy.clone(header_factory=_registry())
"""The policy replies are built with; serialize or re-read them with it too."""


def reply_subject(raw_subject: str) -> str:
    """``Re: <subject as written>``, unfolded, with no second ``Re:``."""
    subject = re.sub(r"\r?\n[ \t]*", " ", raw_subject).strip()
    return subject if re.match(r"(?i)re:", subject) else f"Re: {subject}"


def _bracketed(message_id: str) -> str:
    return f"<{message_id.strip().strip('<>')}>"


def _domain(address: str) -> str:
    addr = parseaddr(address)[1]
    return addr.rpartition("@")[2] or "localhost"


def _formatted(name: str, addr: str) -> str:
    """``Name <addr>`` with the name quoted when it needs it."""
    if not name:
        return addr
    try:
        return str(Address(display_name=name, addr_spec=addr))
    except (ValueError, IndexError, TypeError):  # an address the parser rejects: keep it bare
        return addr


def _cc(patch: MailMessage, settings: MailSettings) -> list[str]:
    """The list, then (if asked) the patch's To and Cc; not the bot, not the author, no twice."""
    skip = {parseaddr(settings.from_address)[1].lower(), patch.sender_address.lower()}
    skip.discard("")
    out: list[str] = []
    candidates = [settings.list_address] if settings.list_address else []
    if settings.cc_original:
        candidates += [*patch.to, *patch.cc]
    for name, addr in getaddresses(candidates):
        key = addr.lower()
        if not key or key in skip:
            continue
        skip.add(key)
        out.append(_formatted(name, addr))
    return out


def _aware(now: datetime) -> datetime:
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def _threaded(
    patch: MailMessage, *, settings: MailSettings, now: datetime, message_id: str | None
) -> EmailMessage:
    """A reply to ``patch`` with every header but the body's."""
    msg = EmailMessage(policy=POLICY)
    msg["From"] = settings.from_address
    msg["To"] = patch.sender
    cc = _cc(patch, settings)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = reply_subject(patch.raw_subject)
    msg["Date"] = format_datetime(_aware(now))
    msg["Message-ID"] = (
        _bracketed(message_id) if message_id else make_msgid(domain=_domain(settings.from_address))
    )
    parent = _bracketed(patch.message_id)
    references = [_bracketed(r) for r in patch.references if r.strip("<> ")]
    msg["In-Reply-To"] = parent
    msg["References"] = " ".join(dict.fromkeys([*references, parent]))
    msg["X-Mailer"] = f"duckfix {__version__}"
    # RFC 3834: other robots (vacation replies, other review bots) must not answer.
    msg["Auto-Submitted"] = "auto-replied"
    return msg


def _set_body(msg: EmailMessage, body: str) -> None:
    """Plain text: 7bit when it is ASCII with lines short enough, quoted-printable otherwise."""
    try:
        body.encode("ascii")
        ascii_only = True
    except UnicodeEncodeError:
        ascii_only = False
    # RFC 5322 caps a line at 998 octets; quoted-printable soft-breaks longer ones.
    short = all(len(line) <= 998 for line in body.split("\n"))
    cte = "7bit" if ascii_only and short else "quoted-printable"
    msg.set_content(body, subtype="plain", charset="utf-8", cte=cte)


# --- text ---------------------------------------------------------------------------


def wrap(text: str, width: int = WIDTH) -> str:
    """``text`` with each prose line wrapped at ``width``; quotes and indented lines kept.

    Lines starting with ``>`` (quotes) or white space (code, tool output), and
    the signature separator, are left exactly as they are, however long. A
    line starting with ``- `` continues indented under its text. Words are
    never broken (a long URL stays whole).
    """
    out: list[str] = []
    for line in text.split("\n"):
        if not line.strip() or line.startswith((">", " ", "\t")) or line == "-- ":
            out.append(line)
            continue
        hanging = "  " if line.startswith(("- ", "* ")) else ""
        out.extend(
            textwrap.wrap(
                line,
                width,
                subsequent_indent=hanging,
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return "\n".join(out)


def _intro(settings: MailSettings) -> str:
    return (
        "This is an automated review by duckfix; "
        f"for a human opinion, please ask {settings.human_contact}."
    )


def _checks_line(checks: Sequence[str]) -> str | None:
    return f"Checks: {', '.join(checks)}." if checks else None


def _attribution(patch: MailMessage) -> str:
    """``On <date>, <name> wrote:`` with the date only (a time would read as numbers to grep)."""
    name, addr = parseaddr(patch.sender)
    who = name or addr or patch.sender
    if patch.date is None:
        return f"{who} wrote:"
    day = format_datetime(_aware(patch.date)).rsplit(" ", 2)[0]  # "Mon, 01 Jan 2024"
    return f"On {day}, {who} wrote:"


_VERB_NAMES = (
    "add annotate apply avoid break call cast change check close combine commit compare "
    "consider convert declare define delete document drop end escape fix free give guard "
    "handle import include indent initialise initialize inline insert keep leave limit load "
    "make mark merge move pass prefer put quote re-enable rebase remove rename reorder replace "
    "resolve return revoke rewrite run say set shorten sign simplify sort specify split test "
    "unwrap update use wrap write"
)
_VERBS = frozenset(_VERB_NAMES.split())
"""First words of the advice part of our messages (``observation: advice``)."""


def _split_advice(message: str) -> tuple[str, str | None]:
    """``trailing whitespace: remove it`` -> (``trailing whitespace``, ``remove it``).

    The advice starts after the first ``: `` or ``; `` that is followed by an
    imperative verb, so colons inside the observation (``Signed-off-by:``)
    stay where they are.
    """
    for m in re.finditer(r"[:;] +", message):
        rest = message[m.end() :]
        first = rest.split(" ", 1)[0].lower()
        if first in _VERBS:
            return message[: m.start()].strip(), rest.strip()
    return message.strip(), None


def phrase(finding: Finding) -> str:
    """The finding's message as a reviewer would put it: an observation, then a question.

    Messages are written ``observation: advice``; the severity picks the tone
    (an error is "a problem", a note a "nit") and the advice becomes a
    question, so the reply suggests rather than orders.
    """
    observation, advice = _split_advice(visible(" ".join(finding.message.split())))
    observation = observation.rstrip(" .") or finding.category
    if not observation.endswith(("?", "!")):
        observation += "."
    if advice:
        advice = advice.rstrip(" .")
        if re.match(r"[A-Z][a-z]", advice):  # "Remove unused import" -> "remove ..."
            advice = advice[0].lower() + advice[1:]
    if finding.severity == "error":
        lead = "This looks like a problem: "
        ask = f"Could you {advice}?" if advice else "Could you take a look?"
    elif finding.severity == "warning":
        lead = "Possible issue: "
        ask = f"Would it make sense to {advice}?" if advice else "Is this intended?"
    else:
        lead = "nit: "
        ask = f"Maybe {advice}?" if advice else ""
    return f"{lead}{observation} {ask}".rstrip()


def _comment(finding: Finding) -> str:
    """The comment under a quote: the phrased message, then the suggestion if there is one."""
    parts = [wrap(phrase(finding))]
    if finding.suggestion is not None:
        replacement = finding.suggestion.rstrip("\n")
        if replacement.strip():
            code = "\n".join(f"    {visible(line)}".rstrip() for line in replacement.split("\n"))
            parts.append(f"Perhaps:\n\n{code}")
        else:
            parts.append("Perhaps the line can simply go.")
    return "\n\n".join(parts)


# --- reading the patch e-mail -------------------------------------------------------

_IN_BODY_HEADER = re.compile(r"^(From|Date|Subject): ?(.*)$")


def _commit_lines(patch: MailMessage) -> list[str]:
    """The commit message as ``git am`` would record it: subject, blank line, body.

    Line 1 is the subject (without its ``[PATCH]`` tags), as the commit-message
    check numbers them; the body ends at the ``---`` line before the diffstat.
    """
    subject = patch.subject.title or re.sub(r"^(\[[^\]]*\]\s*)+", "", patch.raw_subject)
    lines = patch.body.replace("\r\n", "\n").split("\n")
    start = 0
    # "From:"/"Subject:" lines at the top override the mail's (git am reads them too).
    if lines and _IN_BODY_HEADER.match(lines[0]):
        while start < len(lines) and lines[start].strip():
            m = _IN_BODY_HEADER.match(lines[start])
            if m and m.group(1) == "Subject":
                subject = re.sub(r"^(\[[^\]]*\]\s*)+", "", m.group(2).strip())
            start += 1
    body: list[str] = []
    for line in lines[start:]:
        if line.rstrip() == "---" or line.startswith("diff --git "):
            break
        body.append(line.rstrip())
    while body and not body[0].strip():
        body.pop(0)
    while body and not body[-1].strip():
        body.pop()
    subject = " ".join(subject.split())
    return [subject, "", *body] if body else [subject]


def _diff_text(body: str) -> str:
    """The diff of a patch e-mail, without the ``-- `` signature after it.

    It starts at the first ``diff --git`` (or ``---``/``+++`` pair); what
    follows the last hunk (git's version, b4's ``base-commit:``) is left for
    the diff parser to skip.
    """
    text = body.replace("\r\n", "\n")
    m = re.search(r"^diff --git ", text, re.M) or re.search(r"^--- \S.*\n\+\+\+ ", text, re.M)
    if m is None:
        return ""
    text = text[m.start() :]
    sig = text.rfind("\n-- \n")
    # Only a signature (git's version, b4's name): a removed "- " line also reads "-- ".
    after = text[sig + 5 :]
    if sig != -1 and after.strip() and not re.search(r"^(diff |@@ |[-+ ])", after, re.M):
        text = text[: sig + 1]
    return text


def _files(patch: MailMessage) -> tuple[list[FileChange], list[str]]:
    """The files the patch changes, and each one's ``diff --git`` line as the mail has it."""
    text = _diff_text(patch.body)
    if not text:
        return [], []
    try:
        files = parse_diff(text, source=f"patch <{patch.message_id}>")
    except PatchError:
        return [], []  # the patch applied, so this should not happen; quote nothing
    headers = [line for line in text.split("\n") if line.startswith("diff --git ")]
    if len(headers) != len(files):
        headers = [f"diff --git a/{f.old_path or f.path} b/{f.path}" for f in files]
    return files, headers


# --- quoting ------------------------------------------------------------------------


def _quote_findings(
    lines: Sequence[str],
    flagged: dict[int, list[Finding]],
    *,
    header: Sequence[str] = (),
    hidden_top: bool = False,
) -> list[str]:
    """Blocks of a reply for one quotable run of lines (a hunk, a commit message).

    ``lines`` are already formatted (``+code``, `` context``); ``flagged`` maps
    an index into them to its findings. Each flagged line is quoted with a few
    lines before it, joining the previous quote when the gap is small and
    marking what is left out with ``> [ ... ]``; its comments follow.
    ``header`` is quoted once, before the first quote; ``hidden_top`` says the
    run has something above it that is never quoted (a hunk's ``@@`` line).
    """
    blocks: list[str] = []
    cursor: int | None = None
    for index in sorted(flagged):
        start = max(0, index - _CONTEXT)
        if cursor is not None and start - cursor <= _JOIN_GAP:
            start = cursor
        quote = list(header) if cursor is None else []
        if start > (cursor or 0) or (cursor is None and hidden_top):
            quote.append(_ELIDED)
        quote += [_quoted(line) for line in lines[start : index + 1]]
        blocks.append("\n".join(quote))
        blocks.extend(_comment(f) for f in flagged[index])
        cursor = index + 1
    return blocks


def _quoted(line: str) -> str:
    """``> line``; a blank line (or blank context line) is a bare ``>``, as mail clients quote."""
    return ">" if line in ("", " ") else f"> {line}"


def _hunk_line(line: HunkLine, secret: bool) -> str:
    text = visible(line.text)
    # The reply must not spread further the secret it warns about.
    return line.kind + (masked(text) if secret else text)


def _file_blocks(change: FileChange, header: str, findings: list[Finding]) -> list[str]:
    where: dict[int, tuple[int, int]] = {}
    for h, hunk in enumerate(change.hunks):
        for i, line in enumerate(hunk.lines):
            if line.new is not None and line.kind != "-":
                where.setdefault(line.new, (h, i))
    per_hunk: dict[int, dict[int, list[Finding]]] = {}
    for finding in findings:
        if finding.line in where:  # a line the diff does not show: nothing to quote, skip
            h, i = where[finding.line]
            per_hunk.setdefault(h, {}).setdefault(i, []).append(finding)
    blocks: list[str] = []
    for h in sorted(per_hunk):
        flagged = per_hunk[h]
        secret = {
            i for i, fs in flagged.items() if any(f.category.startswith("secrets/") for f in fs)
        }
        lines = [_hunk_line(line, i in secret) for i, line in enumerate(change.hunks[h].lines)]
        blocks += _quote_findings(
            lines, flagged, header=[] if blocks else [f"> {header}"], hidden_top=True
        )
    return blocks


def _commit_blocks(patch: MailMessage, findings: list[Finding]) -> list[str]:
    lines = [visible(line) for line in _commit_lines(patch)]
    flagged: dict[int, list[Finding]] = {}
    for finding in findings:
        if 1 <= finding.line <= len(lines):
            flagged.setdefault(finding.line - 1, []).append(finding)
    return _quote_findings(lines, flagged)


def _by_line(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: f.line)


def _render(blocks: Sequence[str | None]) -> str:
    """Blocks joined by blank lines, signed, ending with a newline."""
    return "\n\n".join(b for b in [*blocks, SIGNATURE] if b) + "\n"


# --- the replies --------------------------------------------------------------------


def compose_reply(
    patch: MailMessage,
    findings: list[Finding],
    *,
    checks: list[str],
    settings: MailSettings,
    now: datetime,
    message_id: str | None = None,
) -> EmailMessage:
    """The review of one patch, as a reply to it.

    Findings are taken in the patch's order (commit message, then each file
    as the diff lists it, by line); a finding on a line the diff does not
    show is skipped. ``message_id`` (with or without brackets) makes the
    reply's id deterministic, so a resumed run does not send a second copy.
    """
    on_message = _by_line(f for f in findings if f.path == COMMIT_MSG)
    quoted = _commit_blocks(patch, on_message) if on_message else []
    files, headers = _files(patch)
    for change, header in zip(files, headers, strict=True):
        mine = _by_line(f for f in findings if f.path == change.path)
        if mine:
            quoted += _file_blocks(change, header, mine)
    blocks: list[str | None] = [wrap(_intro(settings)), _checks_line(checks)]
    if quoted:
        blocks += [wrap(_attribution(patch)), *quoted]
    else:
        blocks.append("The checks found nothing to comment on in this patch.")
    msg = _threaded(patch, settings=settings, now=now, message_id=message_id)
    _set_body(msg, _render(blocks))
    return msg


def _short_base(base: str) -> str:
    return base[:12] if re.fullmatch(r"[0-9a-f]{40}", base) else base


def _git_am_output(reason: str) -> str:
    """``git am``'s message, indented; its hints (``git am --continue``) are for us, not them."""
    lines = [
        "    " + visible(line.rstrip())
        for line in reason.replace("\r\n", "\n").split("\n")
        if line.strip() and not line.startswith("hint:")
    ]
    if len(lines) > _MAX_REASON_LINES:
        lines = [*lines[:_MAX_REASON_LINES], "    [ ... ]"]
    return "\n".join(lines) or "    (git am gave no message)"


def compose_apply_failure(
    patch: MailMessage,
    reason: str,
    *,
    settings: MailSettings,
    now: datetime,
    message_id: str | None = None,
    base: str | None = None,
) -> EmailMessage:
    """The one reply for a series that does not apply, to the patch that failed.

    ``base`` is what the series was applied to; by default the patch's own
    ``base-commit:``, else ``settings.base``.
    """
    target = _short_base(base or patch.base_commit or settings.base)
    if target == "HEAD":  # our checkout's HEAD means nothing to the author
        target = "the tree this list follows"
    subject = " ".join(reply_subject(patch.raw_subject).removeprefix("Re: ").split())
    blocks = [
        wrap(_intro(settings)),
        wrap(f'The patch "{subject}" did not apply to {target}; git am said:'),
        _git_am_output(reason),
        wrap(
            "So this patch and the rest of the series were not reviewed. "
            f"Could you check that the series is based on {target} and, if not, "
            "rebase it and send a new version?"
        ),
    ]
    msg = _threaded(patch, settings=settings, now=now, message_id=message_id)
    _set_body(msg, _render(blocks))
    return msg


def compose_summary(
    cover: MailMessage,
    per_patch: list[tuple[str, int]],
    *,
    settings: MailSettings,
    now: datetime,
    message_id: str | None = None,
    checks: list[str] | None = None,
) -> EmailMessage:
    """A summary of the series' review, as a reply to its cover letter.

    ``per_patch`` is (patch subject, number of findings) in the series' order.
    """
    lines = []
    for subject, count in per_patch:
        said = "no comments" if count == 0 else f"{count} comment{'s' * (count != 1)}"
        lines.append(wrap(f"- {' '.join(subject.split())} ({said})"))
    total = sum(count for _, count in per_patch)
    commented = sum(1 for _, count in per_patch if count)
    if total:
        closing = (
            f"{total} comment{'s' * (total != 1)} on {commented} of {len(per_patch)} "
            f"patch{'es' * (len(per_patch) != 1)}, each in a reply to its patch."
        )
    else:
        closing = "No comments on any patch of this series."
    blocks = [
        wrap(_intro(settings)),
        _checks_line(checks or []),
        "The review of this series:",
        "\n".join(lines) if lines else None,
        wrap(closing),
    ]
    msg = _threaded(cover, settings=settings, now=now, message_id=message_id)
    _set_body(msg, _render(blocks))
    return msg
