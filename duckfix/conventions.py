"""A project's commit-message conventions, learned from its history.

From the last ``review.history`` non-merge commits before the reviewed ones
(one ``git log``): the trailers in use and how they are spelled
(``Helped-by``, ``Reviewed-by``, ``Acked-by``, ``Tested-by``, ``Reported-by``,
``Co-developed-by``, ``Assisted-by`` ...), whether ``Signed-off-by:`` is the
norm, whether ``Fixes:`` tags are used and with how many hex digits, whether
commits have a body, and the usual subject style (``area: subject``,
``type(scope): subject``, or a bare sentence). The commit rules follow them:
a project whose history has no bodies is not told to write one, a list that
does not use ``Fixes:`` is not asked for one, ``Fixes: <10 hex digits>`` is
well-formed where that is what the project writes.

Too short a history (fewer than :data:`MIN_COMMITS`) teaches nothing: the
rules keep their defaults. ``duckfix review --explain-conventions`` prints
what was learned.
"""

from __future__ import annotations

import re
import subprocess
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from duckfix import gitenv

__all__ = [
    "KNOWN_TRAILERS",
    "MIN_COMMITS",
    "Conventions",
    "conventions_for",
    "describe",
    "learn_from_messages",
]

MIN_COMMITS = 20
"""Fewer commits than this teach nothing: the rules keep their defaults."""

KNOWN_TRAILERS = (
    "Signed-off-by", "Reviewed-by", "Acked-by", "Tested-by", "Reported-by", "Suggested-by",
    "Helped-by", "Co-developed-by", "Co-authored-by", "Assisted-by", "Mentored-by",
    "Requested-by", "Noticed-by", "Original-patch-by", "Based-on-patch-by", "Cc", "Fixes",
    "Link", "Closes", "Message-ID", "Change-Id", "Bug", "Refs", "See-also",
)  # fmt: skip
"""Trailers in common use across projects: their spelling is right even when unseen here."""

_TRAILER = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):[ \t]+\S")
_FIXES_SHA = re.compile(r"^\s*([0-9a-fA-F]{6,40})\b")
_AREA = re.compile(r"^[\w.\-/+*,{}\[\] ]+?:\s")
_CONVENTIONAL = re.compile(
    r"^(?:feat|fix|chore|docs|refactor|test|tests|ci|build|perf|style|revert|deps)"
    r"(?:\([^)]*\))?!?:\s",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Conventions:
    """What a project's history says about its commit messages."""

    commits: int = 0
    """Non-merge commits read; below :data:`MIN_COMMITS` nothing is inferred."""
    trailers: dict[str, int] = field(default_factory=dict)
    """Trailer key, as the project spells it -> commits carrying it."""
    signoff_share: float = 0.0
    fixes_commits: int = 0
    """Commits with a ``Fixes: <sha>`` trailer."""
    fixes_sha_length: int = 12
    """Hex digits a ``Fixes:`` sha needs: what the project's own tags mostly use."""
    body_share: float = 1.0
    """Share of commits whose message says something besides subject and trailers."""
    area_share: float = 0.0
    """Share of subjects that start with ``area: `` (``net: ``, ``docs: ``)."""
    conventional_share: float = 0.0
    """Share of subjects that start ``type(scope): `` (Conventional Commits)."""

    @property
    def known(self) -> bool:
        """Enough history to go by."""
        return self.commits >= MIN_COMMITS

    @property
    def uses_fixes(self) -> bool:
        """The project tags fixes with ``Fixes:`` (or nothing is known, and the default holds)."""
        return not self.known or self.fixes_commits >= 2

    @property
    def bodies_expected(self) -> bool:
        """Most commits have a body (or nothing is known)."""
        return not self.known or self.body_share >= 0.5

    @property
    def signoff_expected(self) -> bool:
        """Most commits are signed off: the Developer's Certificate of Origin is the rule."""
        return self.known and self.signoff_share >= 0.5

    @property
    def subject_style(self) -> str | None:
        """``area``, ``conventional`` when nearly every subject has that prefix, else None."""
        if not self.known:
            return None
        if self.conventional_share >= 0.8:
            return "conventional"
        if self.area_share >= 0.8:
            return "area"
        return None

    def spelling(self, key: str) -> str | None:
        """How the project (or common use) spells trailer ``key``, when it is one known here."""
        for known in [*self.trailers, *KNOWN_TRAILERS]:
            if known.lower() == key.lower():
                return known
        return None


def learn_from_messages(messages: list[str]) -> Conventions:
    """The conventions of these commit messages (full ``%B`` texts, merges left out)."""
    if not messages:
        return Conventions()
    trailers: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    signed = fixes = bodies = area = conventional = 0
    lengths: list[int] = []
    for message in messages:
        lines = message.strip("\n").split("\n")
        subject = lines[0] if lines else ""
        keys = _trailer_keys(lines)
        for key in set(keys):
            spellings.setdefault(key.lower(), Counter())[key] += 1
        trailers.update({k.lower() for k in keys})
        signed += any(k.lower() == "signed-off-by" for k in keys)
        shas = [
            m.group(1)
            for line in lines[1:]
            if line.lower().startswith("fixes:") and (m := _FIXES_SHA.match(line[6:]))
        ]
        fixes += bool(shas)
        lengths += [len(sha) for sha in shas]
        bodies += _has_body(lines)
        conventional += bool(_CONVENTIONAL.match(subject))
        area += bool(_AREA.match(subject))
    n = len(messages)
    spelled = {
        spellings[k].most_common(1)[0][0]: count for k, count in trailers.most_common() if count
    }
    lengths.sort()
    # The shortest length most of the project's own tags reach (its 10th percentile).
    sha_length = lengths[len(lengths) // 10] if len(lengths) >= 3 else 12
    return Conventions(
        commits=n,
        trailers=spelled,
        signoff_share=signed / n,
        fixes_commits=fixes,
        fixes_sha_length=min(12, max(7, sha_length)),
        body_share=bodies / n,
        area_share=area / n,
        conventional_share=conventional / n,
    )


def _trailer_keys(lines: list[str]) -> list[str]:
    """Keys of the last paragraph's ``Key: value`` lines (the trailer block)."""
    block: list[str] = []
    for line in reversed(lines[1:]):
        if not line.strip():
            if block:
                break
            continue
        block.append(line)
    keys = [m.group(1) for line in block if (m := _TRAILER.match(line))]
    # A paragraph is a trailer block only when most of its lines are trailers.
    return keys if keys and len(keys) * 2 >= len(block) else []


def _has_body(lines: list[str]) -> bool:
    """The message says something besides its subject and trailer lines."""
    for line in lines[1:]:
        text = line.strip()
        if text and not _TRAILER.match(text) and not text.startswith("(cherry picked"):
            return True
    return False


# --- reading a repository ------------------------------------------------------------

_CACHE: dict[tuple[str, str, int], Conventions] = {}
_LOCK = threading.Lock()


def conventions_for(repo: Path | None, before: str | None, count: int) -> Conventions:
    """The conventions of the ``count`` non-merge commits up to ``before`` (a revision).

    Nothing known (an empty :class:`Conventions`) without a repository, or
    when git cannot read it. Cached per process.
    """
    if repo is None:
        return Conventions()
    rev = before or "HEAD"
    key = (str(repo), rev, count)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    try:
        done = subprocess.run(
            ["git", "log", "--no-merges", f"-{count}", "--format=%B%x00", rev, "--"],
            cwd=repo,
            env=gitenv.safe_env(),
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return Conventions()
    if done.returncode:
        return Conventions()
    text = done.stdout.decode("utf-8", "replace")
    messages = [m.strip("\n") for m in text.split("\0") if m.strip()]
    learned = learn_from_messages(messages)
    with _LOCK:
        _CACHE[key] = learned
    return learned


def describe(conventions: Conventions) -> list[str]:
    """What was learned, a line each, for ``duckfix review --explain-conventions``."""
    c = conventions
    if not c.known:
        return [
            f"{c.commits} commit(s) read: too few to learn from (at least {MIN_COMMITS}); "
            "the rules keep their defaults"
        ]
    used = ", ".join(f"{k} ({v})" for k, v in c.trailers.items()) or "none"
    style = {"area": "'area: subject'", "conventional": "'type(scope): subject'"}.get(
        c.subject_style or "", "no one prefix style"
    )
    return [
        f"commits read: {c.commits} (merges left out)",
        f"trailers in use: {used}",
        f"Signed-off-by: on {c.signoff_share:.0%} of commits"
        + (" - expected from every author" if c.signoff_expected else " - not required"),
        f"Fixes: tags: on {c.fixes_commits} commit(s)"
        + (
            f" - used, with at least {c.fixes_sha_length} hex digits"
            if c.uses_fixes
            else " - not used here, so not asked for"
        ),
        f"bodies: {c.body_share:.0%} of commits have one"
        + (" - expected" if c.bodies_expected else " - not expected"),
        f"subjects: {c.area_share:.0%} 'area: ...', {c.conventional_share:.0%} "
        f"'type(scope): ...' - {style}",
    ]
