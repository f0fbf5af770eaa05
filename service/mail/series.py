"""Subjects and series: read ``[PATCH net-next v2 3/5]``, group patches into posted revisions.

A mailing list receives a stream of messages; a reviewer wants *series*: the
cover letter (slot 0) and patches 1..N of one posted revision. The rules
follow what patchwork and b4 document, written here from that description
(b4 is GPL; none of its code is used). The thread decides first, the sender
only where there is no thread: a maintainer sends a series of patches by
several authors (each mail ``From:`` its author), and a committer sends the
cover letter of someone else's patches.

- a cover letter ``[PATCH v2 0/3]`` starts a series of its own;
- a patch joins the series of the nearest message it is threaded under
  (``In-Reply-To`` / ``References``) that has the same version, total, RFC and
  RESEND flags, whoever sent it, when that series has no patch of that number
  yet;
- patches threaded under the same missing (or unrelated) message, with the
  same version/total/flags, go together: the cover letter may not have
  arrived yet, or the series was sent ``--in-reply-to`` an older one;
- a patch with no threading headers at all (``git send-email
  --no-thread``) joins the most recent other unthreaded series with the same
  sender/version/total/flags that lacks its number and whose newest message
  is at most ``window`` older or newer;
- anything else starts a new series; a single ``[PATCH]`` is patch 1 of 1.

Revisions are never merged: v1 and v2 differ in version, so a v2 threaded
under v1's cover letter (``--in-reply-to``) still forms a series of its own.
A reply (``Re:``) is never a patch, even when it quotes a diff.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from duckfix.service.mail.model import MailMessage, Series, Subject

__all__ = [
    "UNTHREADED_WINDOW",
    "Readiness",
    "group",
    "parse_subject",
    "ready",
]

UNTHREADED_WINDOW = timedelta(minutes=10)
"""How far apart two unthreaded patches of one series may be dated.

``git send-email`` dates consecutive messages a second apart; ten minutes
leaves room for slow relays without gluing two separate postings together.
"""

Readiness = Literal["waiting", "ready", "incomplete"]
"""What :func:`ready` says about a series."""

# --- subjects ---------------------------------------------------------------

# Reply prefixes of common mail clients in several languages (Re, German Aw,
# Scandinavian Sv, Finnish Vs, Dutch Antw, Polish Odp, Turkish Ynt, Italian Rif),
# optionally counted (``Re[2]:``). Forward prefixes are stripped too but do not
# make a reply: a forwarded patch is still a patch someone wants reviewed. Only
# the English ones: ``tr:`` or ``wg:`` could be a subsystem's prefix.
_REPLY = r"re|aw|sv|vs|antw|odp|ynt|rif|回复|答复"
_FORWARD = r"fwd?"
_PREFIX = re.compile(
    rf"^\s*(?:(?P<reply>{_REPLY})|(?P<fwd>{_FORWARD}))\s*(?:\[\d+\])?\s*[:：]\s*", re.IGNORECASE
)
_BRACKETS = re.compile(r"^\s*\[(?P<inner>[^\[\]]*)\]\s*")
_NUMBERS = re.compile(r"^(\d+)/(\d+)$")
_VERSION = re.compile(r"^[vV](\d+)$")
_VERSION_LIKE = re.compile(r"^[vV]\d")  # v2.1, v3b: not a tree (but vfs, virtio are)
# ``PATCHv2`` / ``PATCH-v2`` glued together, as some people type it.
_GLUED_VERSION = re.compile(r"^(PATCH)-?([vV]\d+)$", re.IGNORECASE)
# A tree prefix: a word such as ``net-next``, ``bpf``, ``iwl-next``, ``6.1``.
_TREE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
_KEYWORDS = {"PATCH", "PATCHES", "PATCHSET", "RFC", "RFT", "RESEND", "REPOST", "GIT", "PULL"}


def _words(inner: str) -> list[str]:
    """The words of one bracket group; ``RFC/PATCH`` and ``PATCHv2`` count as two."""
    out: list[str] = []
    for word in re.split(r"[\s,]+", inner.strip()):
        if not word:
            continue
        glued = _GLUED_VERSION.match(word)
        if glued:
            out += [glued.group(1), glued.group(2)]
        elif "/" in word and not _NUMBERS.match(word):
            out += [part for part in word.split("/") if part]
        else:
            out.append(word)
    return out


def _is_marker(word: str) -> bool:
    """PATCH (PATCHES, PATCHv2 ...) or RFC: the words that make a subject a patch's."""
    up = word.upper()
    return up.startswith("PATCH") or up == "RFC"


def parse_subject(text: str) -> Subject:
    """Read the tags of a patch e-mail's subject.

    Leading ``Re:``-like prefixes and every leading bracket group are
    consumed, in any order (``Re: [PATCH] [net]``, ``[netdev] Re: [PATCH]``);
    the words inside the brackets may come in any order too
    (``[PATCH 1/2 v2]``, ``[RFC PATCH net-next v3 0/4]``). The title is
    what follows. Never raises: a subject without tags is a plain title.
    """
    rest = " ".join(text.split())  # unfold, and one space between words
    is_reply = False
    groups: list[list[str]] = []
    marked = False
    while True:
        prefix = _PREFIX.match(rest)
        # "[netdev] Re: [PATCH]" is a list's tag on a reply; "[PATCH] Re: crash" is a
        # patch answering a thread, and its "Re:" belongs to the title.
        if prefix and not marked:
            is_reply = is_reply or prefix.group("reply") is not None
            rest = rest[prefix.end() :]
            continue
        brackets = _BRACKETS.match(rest)
        if brackets:
            groups.append(_words(brackets.group("inner")))
            marked = marked or any(map(_is_marker, groups[-1]))
            rest = rest[brackets.end() :]
            continue
        break

    version, number, total = 1, None, None
    upper: set[str] = set()
    # Tree candidates from the group holding PATCH come first: in
    # ``[Intel-wired-lan] [PATCH iwl-next]`` the list's own tag is not the tree.
    trees: list[tuple[int, str]] = []
    for words in groups:
        patch_group = any(map(_is_marker, words))
        for word in words:
            up = word.upper()
            numbers = _NUMBERS.match(word)
            ver = _VERSION.match(word)
            if up in _KEYWORDS or up.startswith("PATCH"):
                upper.add("PATCH" if up.startswith("PATCH") else up)
            elif numbers:
                number, total = int(numbers.group(1)), int(numbers.group(2))
            elif ver:
                version = max(1, int(ver.group(1)))
            elif _TREE.match(word) and not word.isdigit() and not _VERSION_LIKE.match(word):
                trees.append((0 if patch_group else 1, word))
            # A version such as v2.1 or anything else stays in tags only.
    tree = min(trees, key=lambda t: t[0])[1] if trees else None
    rfc = "RFC" in upper
    return Subject(
        title=rest.strip(),
        is_reply=is_reply,
        is_patch="PATCH" in upper or rfc,
        version=version,
        number=number,
        total=total,
        rfc=rfc,
        resend="RESEND" in upper or "REPOST" in upper,
        tree=tree,
        tags=tuple(word for words in groups for word in words),
    )


# --- grouping ---------------------------------------------------------------

_Key = tuple[int, int, bool, bool]
"""What must match for two threaded messages to belong to one posting:
version, total, RFC, RESEND."""


def _key(msg: MailMessage) -> _Key:
    s = msg.subject
    return (s.version, s.total or 1, s.rfc, s.resend)


def _ancestors(msg: MailMessage) -> list[str]:
    """Message-IDs this one is threaded under, the nearest first."""
    out: list[str] = []
    for mid in [msg.in_reply_to, *reversed(msg.references)]:
        if mid and mid not in out and mid != msg.message_id:
            out.append(mid)
    return out


def _anchor(msg: MailMessage) -> str | None:
    """The message this one is a direct reply to."""
    ancestors = _ancestors(msg)
    return ancestors[0] if ancestors else None


@dataclass(slots=True)
class _Building:
    """A series being put together; becomes a :class:`Series` at the end."""

    key: _Key
    sender: str
    """The founding message's sender: what unthreaded patches must share."""
    order: int
    """Input position of its first message: series come out in arrival order."""
    threaded: bool
    cover: MailMessage | None = None
    patches: dict[int, MailMessage] = field(default_factory=dict)

    def dates(self) -> list[datetime]:
        return [_aware(m.date) for m in self.members() if m.date is not None]

    def members(self) -> list[MailMessage]:
        return ([self.cover] if self.cover else []) + list(self.patches.values())

    def build(self) -> Series:
        version, total, _rfc, _resend = self.key
        sender = self.sender
        lowest = self.patches[min(self.patches)] if self.patches else None
        first = self.cover or lowest
        assert first is not None  # a series always has a founding message
        dates = self.dates()
        title = first.subject.title
        if _PLACEHOLDER in title and lowest is not None:
            # git's placeholder for a cover letter nobody gave a subject.
            title = lowest.subject.title
        return Series(
            key=first.message_id,
            sender_address=sender,
            version=version,
            total=total,
            title=title,
            cover=self.cover,
            patches=dict(sorted(self.patches.items())),
            last_seen=max(dates) if dates else None,
        )


_PLACEHOLDER = "*** SUBJECT HERE ***"


def _number(msg: MailMessage) -> int:
    return msg.subject.number if msg.subject.number is not None else 1


def _sort_date(msg: MailMessage) -> datetime:
    return _aware(msg.date) if msg.date is not None else datetime.min.replace(tzinfo=UTC)


def group(
    messages: Iterable[MailMessage], *, window: timedelta = UNTHREADED_WINDOW
) -> tuple[list[Series], list[tuple[MailMessage, str]]]:
    """Group messages into series; return the series and the messages left out, with why.

    See the module docstring for the rules. A Message-ID seen twice keeps
    its first message (the second is left out as a duplicate). Series come
    out in the order their first message arrived.
    """
    seen: dict[str, MailMessage] = {}
    order: dict[str, int] = {}
    left: list[tuple[int, MailMessage, str]] = []
    for i, msg in enumerate(messages):
        if msg.message_id in seen:
            left.append((i, msg, "duplicate Message-ID"))
            continue
        seen[msg.message_id] = msg
        order[msg.message_id] = i

    covers: list[MailMessage] = []
    patches: list[MailMessage] = []
    for mid, msg in seen.items():
        s = msg.subject
        reason = None
        if s.is_reply:
            reason = "reply in a thread, not a patch"
        elif not s.is_patch:
            # A follow-up without Re: ("thanks, applied") threaded under a patch.
            threaded_under_patch = any(
                a in seen and seen[a].subject.is_patch for a in _ancestors(msg)
            )
            reason = "reply in a thread, not a patch" if threaded_under_patch else "not a patch"
        elif s.total is not None and (s.total < 1 or (s.number or 0) > s.total):
            reason = f"bad patch number {s.number}/{s.total}"
        elif s.number == 0:
            covers.append(msg)
        elif not msg.has_diff:
            reason = "no diff in the body: a patch is sent inline, as git send-email does"
        else:
            patches.append(msg)
        if reason is not None:
            left.append((order[mid], msg, reason))

    series: list[_Building] = []
    placed: dict[str, _Building] = {}
    # (key, anchor) -> series of patches that reply to that same message.
    by_anchor: dict[tuple[_Key, str], list[_Building]] = {}

    for cover in covers:
        b = _Building(
            _key(cover), cover.sender_address, order[cover.message_id], threaded=True, cover=cover
        )
        series.append(b)
        placed[cover.message_id] = b

    def place(msg: MailMessage) -> None:
        key, number, ancestors = _key(msg), _number(msg), _ancestors(msg)
        target: _Building | None = None
        # 1. The nearest ancestor of the same posting decides (cover or patch).
        for a in ancestors:
            b = placed.get(a)
            if b is not None and b.key == key:
                if number in b.patches:
                    left.append((order[msg.message_id], msg, _duplicate(number, b)))
                    return
                target = b
                break
        # 2. Siblings under the same (missing or unrelated) message.
        anchor = _anchor(msg)
        if target is None and anchor is not None:
            for b in reversed(by_anchor.get((key, anchor), [])):
                if number not in b.patches:
                    target = b
                    break
        # 3. No threading at all: close in time to another unthreaded posting.
        if target is None and not ancestors and msg.date is not None:
            for b in reversed(series):
                if b.threaded or b.key != key or b.sender != msg.sender_address:
                    continue
                if number in b.patches:
                    continue
                if any(abs(_aware(msg.date) - d) <= window for d in b.dates()):
                    target = b
                    break
        if target is None:
            target = _Building(
                key, msg.sender_address, order[msg.message_id], threaded=bool(ancestors)
            )
            series.append(target)
        target.patches[number] = msg
        placed[msg.message_id] = target
        if anchor is not None:
            by_anchor.setdefault((key, anchor), []).append(target)

    # In date order (for the time rule), but a patch waits for a lower-numbered
    # patch of its posting it is threaded under, so that patch 1 founds a
    # cover-less thread whatever the patches' (author) dates say.
    pending = sorted(patches, key=lambda m: (_sort_date(m), _number(m), order[m.message_id]))
    waiting_for = {p.message_id for p in pending}
    while pending:
        later: list[MailMessage] = []
        for msg in pending:
            blocked = any(
                a in waiting_for and _key(seen[a]) == _key(msg) and _number(seen[a]) < _number(msg)
                for a in _ancestors(msg)
            )
            if blocked:
                later.append(msg)
            else:
                place(msg)
                waiting_for.discard(msg.message_id)
        if len(later) == len(pending):  # cannot happen (numbers strictly decrease); be safe
            for msg in later:
                place(msg)
                waiting_for.discard(msg.message_id)
            later = []
        pending = later

    series.sort(key=lambda b: b.order)
    left.sort(key=lambda t: t[0])
    return [b.build() for b in series], [(msg, reason) for _, msg, reason in left]


def _duplicate(number: int, b: _Building) -> str:
    first = b.cover or b.patches[min(b.patches)]
    return f"patch {number} again in the thread of <{first.message_id}>: the series has one"


# --- readiness --------------------------------------------------------------


def ready(series: Series, now: datetime, wait_minutes: float) -> Readiness:
    """Whether a series can be reviewed now.

    Every series waits ``wait_minutes`` after its newest message, complete or
    not: a late correction ("please ignore 2/3, v3 follows") or a straggling
    patch may still come, and a posting is reviewed once, not twice. After
    the wait a complete series is ``"ready"``; one with patches missing is
    ``"incomplete"``, to be reported as such rather than reviewed in part.
    A series with no dated message has nothing to wait for.

    ``now`` and the series' dates should be timezone-aware; a naive value is
    taken as UTC.
    """
    if series.last_seen is not None:
        last = _aware(series.last_seen)
        if _aware(now) - last < timedelta(minutes=wait_minutes):
            return "waiting"
    return "ready" if series.complete else "incomplete"


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
