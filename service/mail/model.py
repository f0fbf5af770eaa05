"""What the mail bot reads: one e-mail, what its subject says, and a series of patches."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["MailMessage", "Series", "Subject"]


@dataclass(frozen=True, slots=True)
class Subject:
    """What a patch e-mail's subject says: ``Re: [PATCH net-next v2 3/5] net: fix it``."""

    title: str
    """The subject without its tags and ``Re:``."""
    is_reply: bool = False
    """It starts with ``Re:`` (or ``Aw:``, ``Sv:`` ...): a reply, not a patch."""
    is_patch: bool = False
    """Its tags include PATCH (or RFC alone)."""
    version: int = 1
    number: int | None = None
    """``3`` of ``3/5``; None for a single patch without a number."""
    total: int | None = None
    """``5`` of ``3/5``."""
    rfc: bool = False
    resend: bool = False
    tree: str | None = None
    """A tree prefix inside the tags, such as ``net-next`` or ``bpf``."""
    tags: tuple[str, ...] = ()
    """Every word inside the brackets, as written."""


@dataclass(slots=True)
class MailMessage:
    """One e-mail as the bot keeps it."""

    message_id: str
    """Without angle brackets."""
    subject: Subject
    raw_subject: str
    sender: str
    """The ``From:`` header as written (``Name <addr>``)."""
    sender_address: str
    """The bare address, lower-cased."""
    date: datetime | None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    list_id: str | None = None
    body: str = ""
    """The text/plain body."""
    has_diff: bool = False
    """The body carries a diff (a patch, not a cover letter or a reply)."""
    raw: bytes = b""
    """The message as received, for ``git am``."""
    base_commit: str | None = None
    """The ``base-commit:`` line ``git format-patch --base`` adds, when present."""


@dataclass(slots=True)
class Series:
    """The messages of one posted revision of a patch series."""

    key: str
    """Stable id: the cover letter's (or first patch's) Message-ID."""
    sender_address: str
    version: int
    total: int
    """How many patches the series announces (1 for a single patch)."""
    title: str
    """The cover letter's title, else the first patch's."""
    cover: MailMessage | None = None
    patches: dict[int, MailMessage] = field(default_factory=dict)
    """Patch number (1-based) -> message."""
    last_seen: datetime | None = None
    """The newest Date: among its messages: the series waits a while after it."""

    @property
    def missing(self) -> list[int]:
        """Numbers of announced patches not (yet) received."""
        return [n for n in range(1, self.total + 1) if n not in self.patches]

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def messages(self) -> list[MailMessage]:
        """Cover letter first, then the patches in order."""
        out = [self.cover] if self.cover else []
        return out + [self.patches[n] for n in sorted(self.patches)]
