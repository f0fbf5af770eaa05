"""What a review works on: the patch's files and commits, and each file's context."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from duckfix.diff import FileChange

if TYPE_CHECKING:
    from duckfix.source_tree import SourceTree

__all__ = ["COMMIT_MSG", "CommitInfo", "Enclosing", "FileContext", "Review"]

COMMIT_MSG = "COMMIT_MSG"
"""The path of findings about a commit message (Gerrit's name for it)."""

_TRAILER = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):\s+(.*)$")


@dataclass(slots=True)
class CommitInfo:
    """One commit's message and author, as ``git log`` or a patch e-mail gives them."""

    subject: str
    body: str = ""
    """Everything after the subject's blank line, trailers included."""
    author: str = ""
    """``Name <email>``."""
    sha: str | None = None
    """None for a patch e-mail not yet applied."""

    @property
    def message(self) -> str:
        """Subject, blank line, body: the message as ``git log --format=%B`` prints it."""
        return (
            f"{self.subject}\n\n{self.body}".rstrip() + "\n" if self.body else self.subject + "\n"
        )

    @property
    def trailers(self) -> list[tuple[str, str]]:
        """``Key: value`` lines of the body's last paragraph (Signed-off-by, Fixes, ...)."""
        paragraphs = [p for p in self.body.strip().split("\n\n") if p.strip()]
        if not paragraphs:
            return []
        out = []
        for line in paragraphs[-1].splitlines():
            m = _TRAILER.match(line.strip())
            if m:
                out.append((m.group(1), m.group(2).strip()))
        return out

    @property
    def label(self) -> str:
        """How a message names the commit: its short sha, else its subject."""
        return self.sha[:12] if self.sha else repr(self.subject[:50])


@dataclass(frozen=True, slots=True)
class Enclosing:
    """The function (or class) around a hunk in the new file."""

    name: str
    start: int
    end: int
    """1-based, inclusive lines of the new file."""


@dataclass(slots=True)
class FileContext:
    """One changed file and what the review knows around it."""

    change: FileChange
    new_text: str | None = None
    """The whole new file, when it can be read (a revision, the index, the work tree)."""
    enclosing: list[Enclosing | None] = field(default_factory=list)
    """Per hunk, the function that encloses its first changed line."""
    repo: Path | None = None
    """The repository's top folder, when there is one."""
    tree: SourceTree | None = None
    """The files as of the reviewed revision (configuration, headers): checks read these,
    never the current checkout. None: the work tree at ``repo`` (when there is one)."""

    @property
    def path(self) -> str:
        return self.change.path

    def source_tree(self) -> SourceTree | None:
        """The tree checks read: :attr:`tree`, else the work tree at :attr:`repo`, else None."""
        if self.tree is not None:
            return self.tree
        if self.repo is None or not self.repo.is_dir():
            return None
        from duckfix.source_tree import SourceTree

        return SourceTree.worktree(self.repo)


@dataclass(slots=True)
class Review:
    """A patch to review: its files, its commits, and where its new files can be read."""

    label: str
    """What is reviewed, for humans: a range, a file name, ``stdin``, ``staged``."""
    files: list[FileChange] = field(default_factory=list)
    commits: list[CommitInfo] = field(default_factory=list)
    repo: Path | None = None
    revision: str | None = None
    """Where new file contents come from: a commit, ``:`` (the index), ``WORKTREE``, or None."""
    range_spec: str | None = None
    """``A..B`` that reproduces this review with ``duckfix review --range``, when there is one."""
    patch_text: str | None = None
    """The patch as given (an e-mail or a diff), for tools that read whole patches."""
