"""The files of a reviewed revision, as that revision has them: never the current checkout's.

A review reads a commit (``--range``, a push, a series the mail bot applied),
the index (``--staged``) or the work tree (a patch the checkout holds). Checks
that run a tool need files laid out as a folder: ruff its configuration, the
compiler the headers. :class:`SourceTree` gives them one:

* for the work tree, the checkout itself;
* for a commit that the checkout is at, with no tracked file changed, the
  checkout too (the pre-push hook's usual case: nothing is copied);
* otherwise a temporary folder holding the files that were asked for, written
  from git's objects (``ls-tree`` and one ``cat-file --batch``): no filter
  driver, no checkout hook, no symbolic link (a link in a reviewed tree could
  point anywhere on this machine), no submodule.

Every git command runs under :func:`duckfix.gitenv.safe_env`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath
from typing import Literal

from duckfix import gitenv

__all__ = ["MAX_TREE_FILE_BYTES", "SourceTree", "TreeKind", "tree_for"]

TreeKind = Literal["commit", "index", "worktree"]
MAX_TREE_FILE_BYTES = 4 << 20
"""Files larger than this are not copied out (no header or config file is that big)."""
_GIT_TIMEOUT = 120.0


class SourceTree:
    """The files of one revision of one repository (see the module docstring).

    ``revision`` is a commit sha, ``:`` for the index, or ``WORKTREE``. Safe to
    use from several threads; :meth:`close` removes what was copied out.
    """

    def __init__(self, repo: Path, revision: str) -> None:
        self.repo = repo
        self.revision = revision
        self.kind: TreeKind = (
            "worktree" if revision == "WORKTREE" else "index" if revision == ":" else "commit"
        )
        self._lock = threading.Lock()
        self._listing: dict[str, tuple[str, str]] | None = None
        self._checkout_matches: bool | None = None
        self._copy: Path | None = None
        self._written: set[str] = set()

    @classmethod
    def worktree(cls, root: Path) -> SourceTree:
        """The work tree at ``root`` as it is (a checkout that holds the reviewed patch)."""
        return cls(root, "WORKTREE")

    # --- reading ---------------------------------------------------------------

    def _git(self, *args: str, input: bytes | None = None) -> bytes | None:
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=self.repo,
                input=input,
                env=gitenv.safe_env(),
                capture_output=True,
                timeout=_GIT_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout if done.returncode == 0 else None

    def listing(self) -> dict[str, tuple[str, str]]:
        """Path -> (mode, blob sha) of every regular file at the revision."""
        with self._lock:
            return self._listing_locked()

    def _listing_locked(self) -> dict[str, tuple[str, str]]:
        if self._listing is not None:
            return self._listing
        out: dict[str, tuple[str, str]] = {}
        if self.kind == "commit":
            raw = self._git("ls-tree", "-r", "-z", "--full-tree", self.revision)
            for record in (raw or b"").split(b"\0"):
                meta, _, name = record.partition(b"\t")
                parts = meta.split()
                if len(parts) == 3 and parts[1] == b"blob":
                    out[name.decode("utf-8", "surrogateescape")] = (
                        parts[0].decode(),
                        parts[2].decode(),
                    )
        else:  # the index; for the work tree, what git tracks there
            raw = self._git("ls-files", "-s", "-z")
            for record in (raw or b"").split(b"\0"):
                meta, _, name = record.partition(b"\t")
                parts = meta.split()
                if len(parts) == 3 and parts[2] == b"0":
                    out[name.decode("utf-8", "surrogateescape")] = (
                        parts[0].decode(),
                        parts[1].decode(),
                    )
        self._listing = {p: v for p, v in out.items() if v[0] in ("100644", "100755")}
        return self._listing

    def paths(self) -> list[str]:
        """Every regular file's path at the revision, sorted."""
        return sorted(self.listing())

    def exists(self, path: str) -> bool:
        """Whether ``path`` is a regular file at the revision."""
        if self.kind == "worktree":
            return _inside(self.repo, path) is not None and (self.repo / path).is_file()
        return path in self.listing()

    def read(self, path: str) -> bytes | None:
        """The bytes of ``path`` at the revision; None when absent or not a regular file."""
        if self.kind == "worktree":
            target = _inside(self.repo, path)
            if target is None or target.is_symlink() or not target.is_file():
                return None
            try:
                return target.read_bytes()
            except OSError:
                return None
        entry = self.listing().get(path)
        if entry is None:
            return None
        return self._git("cat-file", "blob", entry[1])

    def grep(self, needle: str, suffixes: Iterable[str]) -> list[str]:
        """Paths (with one of ``suffixes``) whose text holds ``needle``, as ``git grep -F``."""
        specs = [f"*{s}" for s in suffixes]
        if self.kind == "commit":
            raw = self._git(
                "grep", "-l", "-z", "-I", "-F", "-e", needle, self.revision, "--", *specs
            )
            prefix = f"{self.revision}:"
        elif self.kind == "index":
            raw = self._git("grep", "--cached", "-l", "-z", "-I", "-F", "-e", needle, "--", *specs)
            prefix = ""
        else:
            raw = self._git("grep", "-l", "-z", "-I", "-F", "-e", needle, "--", *specs)
            prefix = ""
        names = (raw or b"").decode("utf-8", "surrogateescape").split("\0")
        return sorted(n.removeprefix(prefix) for n in names if n)

    def grep_lines(self, pattern: str, suffixes: Iterable[str]) -> list[tuple[str, str]]:
        """(path, line) of every line matching the extended regular expression ``pattern``."""
        specs = [f"*{s}" for s in suffixes]
        args = ["grep", "-z", "-I", "-E", "-e", pattern]
        if self.kind == "commit":
            args.append(self.revision)
        elif self.kind == "index":
            args.insert(1, "--cached")
        raw = self._git(*args, "--", *specs)
        prefix = f"{self.revision}:" if self.kind == "commit" else ""
        out: list[tuple[str, str]] = []
        # -z: "path\0line\n" per match.
        text = (raw or b"").decode("utf-8", "surrogateescape")
        for record in text.splitlines():
            path, sep, line = record.partition("\0")
            if sep:
                out.append((path.removeprefix(prefix), line))
        return out

    # --- a folder ------------------------------------------------------------------

    def checkout_matches(self) -> bool:
        """The checkout is at this commit with no tracked file changed (so it can stand in)."""
        with self._lock:
            if self._checkout_matches is None:
                self._checkout_matches = self._matches()
            return self._checkout_matches

    def _matches(self) -> bool:
        if self.kind == "worktree":
            return True
        if self.kind == "index" or not (self.repo / ".git").exists():
            return False
        head = self._git("rev-parse", "--verify", "-q", "HEAD^{commit}")
        if head is None or head.decode().strip() != self.revision:
            return False
        # Exit 0: neither the index nor a tracked file differs from HEAD. Comparing
        # the work tree runs the clean filter .gitattributes names: none runs here.
        try:
            done = subprocess.run(
                ["git", "diff", "--quiet", *gitenv.DIFF_OPTIONS, "HEAD", "--"],
                cwd=self.repo,
                env=gitenv.safe_env(gitenv.filter_overrides(self.repo)),
                capture_output=True,
                timeout=_GIT_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return False
        return done.returncode == 0

    def folder(self, wanted: Callable[[str], bool] | None = None) -> Path:
        """A folder laid out as the revision: the checkout when it is the revision, else a copy.

        A copy holds the files ``wanted`` accepts (every file when None); calls
        add to the same copy.
        """
        if self.checkout_matches():
            return self.repo
        with self._lock:
            if self._copy is None:
                self._copy = Path(tempfile.mkdtemp(prefix="duckfix-tree-"))
                # The sandboxed compiler runs as a uid of its own: it must be
                # able to pass through (not list) the folder to the headers.
                self._copy.chmod(0o711)
            listing = self._listing_locked()
            missing = [
                p for p in listing if p not in self._written and (wanted is None or wanted(p))
            ]
            self._write(self._copy, [(p, listing[p][1]) for p in missing])
            self._written.update(missing)
            return self._copy

    def skeleton(self, wanted: Callable[[str], bool]) -> Path:
        """:meth:`folder` with, in a copy, every folder that holds a file ``wanted`` accepts.

        Folders only, no content: enough for a tool that tells a project's own
        modules by the folders it finds (ruff's isort sorts ``tests.helpers`` as
        first-party only when ``tests/`` exists), at the cost of one listing.
        """
        root = self.folder(lambda p: False)
        if root == self.repo:
            return root
        with self._lock:
            for path in self._listing_locked():
                if wanted(path) and (target := _inside(root, path)) is not None:
                    target.parent.mkdir(parents=True, exist_ok=True)
        return root

    def _write(self, root: Path, files: list[tuple[str, str]]) -> None:
        if not files:
            return
        request = b"".join(f"{sha}\n".encode() for _, sha in files)
        raw = self._git("cat-file", "--batch", input=request)
        if raw is None:
            return
        pos = 0
        for path, _ in files:
            end = raw.index(b"\n", pos)
            header = raw[pos:end].split()
            pos = end + 1
            if len(header) != 3:  # "<sha> missing"
                continue
            size = int(header[2])
            data = raw[pos : pos + size]
            pos += size + 1
            target = _inside(root, path)
            if target is None or size > MAX_TREE_FILE_BYTES:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)

    def close(self) -> None:
        """Remove the copy, if one was made."""
        with self._lock:
            if self._copy is not None:
                shutil.rmtree(self._copy, ignore_errors=True)
                self._copy = None
                self._written.clear()


def _inside(root: Path, path: str) -> Path | None:
    """``root / path`` when ``path`` is a plain relative path that stays inside ``root``."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or not pure.parts or any(p in ("", ".", "..") for p in pure.parts):
        return None
    return root.joinpath(*pure.parts)


def tree_for(repo: Path | None, revision: str | None) -> SourceTree | None:
    """The :class:`SourceTree` of a review's repository and revision, when it has both."""
    if repo is None or revision is None or not os.path.isdir(repo):
        return None
    return SourceTree(repo, revision)
