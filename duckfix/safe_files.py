"""Read untrusted files and folders without following anything out of them.

Task folders, QuixBugs and Chrysalis checkouts and the files given to
``duckfix debug`` are hostile input: duckfix often runs as root, and what it
reads is copied into the sandbox, printed and stored. Below a root the user
names, :class:`SafeFolder` refuses, with a one-line :class:`TaskError`:

- a **symbolic link**, to a file or a folder: never followed. The root itself
  may be, or pass through, a link: the user typed it, so that is their choice;
- a **special file** (FIFO, socket, device): never opened for reading;
- a regular file with **more than one hard link whose owner is not the
  root's owner**: a hard link to a file the task's author does not own;
- a file **larger than** ``max_bytes`` (the setting ``tasks.max_file_mb``):
  refused from its size before a byte is read, so a 300 MB sparse file
  costs nothing; no more than ``max_bytes + 1`` bytes are ever read.

Every path is opened one component at a time, relative to its parent's
descriptor (``dir_fd``), with ``O_NOFOLLOW``; files are opened with
``O_NONBLOCK`` (a FIFO swapped in cannot block the open) and judged by
``fstat`` of the open descriptor. A file swapped for a link between a look
and the read therefore cannot get through.

Skipped by name, never opened, listed or read: ``__pycache__`` and
``.pytest_cache`` folders and ``*.pyc`` files, which a test run leaves behind
and the sandbox rebuilds. Skipping goes by name alone, so a link with such a
name is skipped too: it is not followed, which is what matters.

:func:`read_file` reads one file the user named (following the path they
typed), with the same checks on what it finds there.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from duckfix.errors import TaskError, UsageError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_DEPTH",
    "SKIPPED",
    "Kind",
    "SafeFolder",
    "megabytes",
    "read_file",
    "read_prefix",
    "skipped",
]

MB = 1024 * 1024
DEFAULT_MAX_BYTES = 5 * MB
"""The default of the setting ``tasks.max_file_mb`` (5), in bytes."""
MAX_DEPTH = 32
"""Folders nested deeper than this below a root are refused (no task needs them)."""
SKIPPED = frozenset({"__pycache__", ".pytest_cache"})
"""Folder names never read (caches a test run leaves behind)."""
TASK_LIMIT_HINT = "raise the setting tasks.max_file_mb to load it"

Kind = Literal["file", "folder"]

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
_CHUNK = 1 << 20


def megabytes(mb: float) -> int:
    """Bytes in ``mb`` megabytes (2**20 bytes each, as every ``*_mb`` setting counts)."""
    return int(mb * MB)


def skipped(name: str) -> bool:
    """Whether a folder entry is skipped by name: a cache folder or a ``.pyc`` file."""
    return name in SKIPPED or name.endswith(".pyc")


def _show(path: Path | str) -> str:
    # A name holding a newline or an escape sequence must not break the one-line
    # message or play tricks on the terminal.
    text = str(path)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _size(n: int) -> str:
    return f"{n / MB:.2f}".rstrip("0").rstrip(".") + " MB"


def _special(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


class _Rules:
    """The checks and their messages, shared by folders and single files."""

    def __init__(self, max_bytes: int, what: str, error: type[UsageError], hint: str) -> None:
        self.max_bytes = max_bytes
        self.what = what
        self.error = error
        self.hint = hint

    def link(self, shown: str, target: str) -> UsageError:
        return self.error(
            f"{shown}: a symbolic link (to {_show(target)}); {self.what} may hold only "
            "regular files and folders: put a copy there instead"
        )

    def special(self, shown: str, mode: int) -> UsageError:
        if not self.what:  # a path the user named
            return self.error(f"{shown}: {_special(mode)}, not a regular file; give a file")
        return self.error(
            f"{shown}: {_special(mode)}; {self.what} may hold only regular files and folders"
        )

    def too_large(self, shown: str, size: int | None) -> UsageError:
        limit = _size(self.max_bytes)
        how_big = "over"
        if size is not None:
            # Just over the limit reads the same in MB: say it in bytes then.
            how_big = f"{_size(size) if _size(size) != limit else f'{size} bytes'}, over"
        return self.error(f"{shown}: {how_big} the {limit} limit; {self.hint}")

    def check_type(self, shown: str, st: os.stat_result) -> None:
        """Refuse anything but a regular file."""
        if not stat.S_ISREG(st.st_mode):
            raise self.special(shown, st.st_mode)

    def check(self, shown: str, st: os.stat_result, owner: int | None) -> None:
        """Refuse what ``st`` shows: not a regular file, a foreign hard link, too large."""
        self.check_type(shown, st)
        if owner is not None and st.st_nlink > 1 and st.st_uid != owner:
            raise self.error(
                f"{shown}: a hard link to a file owned by uid {st.st_uid}, not by the owner of "
                f"the folder (uid {owner}); put a copy of the file there instead"
            )
        if st.st_size > self.max_bytes:
            raise self.too_large(shown, st.st_size)

    def read_fd(self, fd: int, shown: str, owner: int | None) -> bytes:
        """The bytes of an open file, after :meth:`check` on its ``fstat``."""
        self.check(shown, os.fstat(fd), owner)
        # One byte more than the limit: a file that grew, or lies about its size (/proc).
        data = _read_upto(fd, self.max_bytes + 1)
        if len(data) > self.max_bytes:
            raise self.too_large(shown, None)
        return data

    def os_error(self, shown: str, exc: OSError) -> UsageError:
        return self.error(f"{shown}: cannot be read: {exc.strerror or exc}")


def _decode(data: bytes, shown: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TaskError(f"{shown}: not UTF-8 text") from exc


def read_file(
    path: Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    hint: str = TASK_LIMIT_HINT,
    error: type[UsageError] = TaskError,
    hard_links: bool = True,
) -> bytes:
    """The bytes of one file the user named: the path they typed is followed.

    What it leads to must be a regular file (never opened otherwise, so a FIFO
    cannot block) of at most ``max_bytes``; with ``hard_links``, a file with
    several links must belong to the owner of the folder it is in.
    ``error`` is the error raised (a :class:`PatchError` for patches); ``hint``
    says what to do about a file over the limit.
    """
    rules = _Rules(max_bytes, "", error, hint)
    shown = _show(path)
    try:
        # Look before opening: a device must not even be opened.
        rules.check(shown, os.stat(path), None)
        owner = os.stat(path.parent).st_uid if hard_links else None
        fd = os.open(path, _FILE_FLAGS & ~os.O_NOFOLLOW)
    except OSError as exc:
        raise rules.os_error(shown, exc) from exc
    try:
        return rules.read_fd(fd, shown, owner)
    except OSError as exc:
        raise rules.os_error(shown, exc) from exc
    finally:
        os.close(fd)


def read_prefix(path: Path | str, limit: int, *, error: type[UsageError] = TaskError) -> bytes:
    """At most ``limit`` bytes of the regular file at ``path`` (the path is followed).

    For inputs that may be long and are cut rather than refused (a message in
    a maildir): anything but a regular file is refused, and never opened in a
    way that blocks.
    """
    rules = _Rules(limit, "", error, "")
    shown = _show(path)
    try:
        rules.check_type(shown, os.stat(path))
        fd = os.open(path, _FILE_FLAGS & ~os.O_NOFOLLOW)
        try:
            rules.check_type(shown, os.fstat(fd))
            return _read_upto(fd, limit)
        finally:
            os.close(fd)
    except OSError as exc:
        raise rules.os_error(shown, exc) from exc


def _read_upto(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = os.read(fd, min(left, _CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class SafeFolder:
    """A folder the user named, opened once; everything below it is read by the rules above.

    ``path`` is kept as given, so messages name files the way the user knows
    them (``tasks/t1/buggy/data.txt``). Relative names use ``/``. Use it as a
    context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        path: Path,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        what: str = "task folders",
        _fd: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.what = what
        self._rules = _Rules(max_bytes, what, TaskError, TASK_LIMIT_HINT)
        if _fd is None:
            try:
                # The root the user typed may be a link: their own choice.
                _fd = os.open(self.path, _DIR_FLAGS & ~os.O_NOFOLLOW)
            except OSError as exc:
                raise TaskError(
                    f"{_show(self.path)}: not a folder that can be read ({exc.strerror or exc})"
                ) from exc
        self._fd = _fd
        self.owner = os.fstat(_fd).st_uid
        """The folder's owner: files with several hard links must be this user's."""

    def __enter__(self) -> SafeFolder:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the folder's descriptor (idempotent)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def shown(self, rel: str = "") -> str:
        """``rel`` as the user knows it: below the path they gave, printable."""
        return _show(self.path / rel if rel else self.path)

    # --- looking ------------------------------------------------------------

    def kind(self, rel: str) -> Kind | None:
        """``file``, ``folder``, or None when ``rel`` is missing (or a folder on its way is).

        A link or special file at ``rel`` or on the way to it is refused.
        """
        *parents, name = _parts(rel)
        try:
            with self._walk_to(parents) as fd:
                if fd is None:
                    return None
                try:
                    st = os.stat(name, dir_fd=fd, follow_symlinks=False)
                except FileNotFoundError:
                    return None
                return self._kind_of(fd, name, st, rel)
        except OSError as exc:
            raise self._rules.os_error(self.shown(rel), exc) from exc

    def names(
        self, rel: str = "", only: Callable[[str], bool] | None = None
    ) -> list[tuple[str, Kind]]:
        """``(name, kind)`` of the entries of folder ``rel`` by name, skipped names left out.

        An entry ``only`` accepts (every entry, by default) that is a link or a
        special file is refused; the others are left out unread.
        """
        out: list[tuple[str, Kind]] = []
        try:
            with self._walk_to(_parts(rel)) as fd:
                if fd is None:
                    raise TaskError(f"{self.shown(rel)}: not a folder")
                for name, st in _entries(fd):
                    if skipped(name) or (only is not None and not only(name)):
                        continue
                    out.append((name, self._kind_of(fd, name, st, _join(rel, name))))
        except OSError as exc:
            raise self._rules.os_error(self.shown(rel), exc) from exc
        return out

    def folder(self, rel: str) -> SafeFolder:
        """The folder ``rel`` below this one, opened without following links.

        Its owner is its own: hard links in it must belong to whoever owns it.
        """
        try:
            with self._walk_to(_parts(rel)) as fd:
                if fd is None:
                    raise TaskError(f"{self.shown(rel)}: not a folder")
                sub = os.dup(fd)
        except OSError as exc:
            raise self._rules.os_error(self.shown(rel), exc) from exc
        return SafeFolder(self.path / rel, max_bytes=self.max_bytes, what=self.what, _fd=sub)

    # --- reading ------------------------------------------------------------

    def read_bytes(self, rel: str) -> bytes:
        """The bytes of file ``rel``; a :class:`TaskError` when missing or refused."""
        *parents, name = _parts(rel)
        shown = self.shown(rel)
        try:
            with self._walk_to(parents) as fd:
                if fd is None:
                    raise TaskError(f"{shown}: no such file")
                return self._read_at(fd, name, rel)
        except OSError as exc:
            raise self._rules.os_error(shown, exc) from exc

    def read_text(self, rel: str) -> str:
        """The UTF-8 text of file ``rel``."""
        return _decode(self.read_bytes(rel), self.shown(rel))

    def read_tree(self, rel: str = "") -> dict[str, bytes]:
        """Every file below folder ``rel``: ``{path relative to rel: bytes}``, sorted by path."""
        out: dict[str, bytes] = {}
        try:
            with self._walk_to(_parts(rel)) as fd:
                if fd is None:
                    raise TaskError(f"{self.shown(rel)}: not a folder")
                self._read_into(fd, rel, "", out, 0)
        except OSError as exc:
            raise self._rules.os_error(self.shown(rel), exc) from exc
        return dict(sorted(out.items()))

    def check_tree(self, rel: str = "") -> None:
        """Refuse what :meth:`read_tree` would refuse below folder ``rel``, reading nothing.

        For a folder another program reads later (a compiler's include
        folder): links, special files and foreign hard links are refused;
        sizes are not checked, since duckfix does not load the files.
        """
        try:
            with self._walk_to(_parts(rel)) as fd:
                if fd is None:
                    raise TaskError(f"{self.shown(rel)}: not a folder")
                self._read_into(fd, rel, "", None, 0)
        except OSError as exc:
            raise self._rules.os_error(self.shown(rel), exc) from exc

    def text_tree(self, rel: str = "") -> dict[str, str]:
        """:meth:`read_tree` decoded as UTF-8."""
        return {
            name: _decode(data, self.shown(_join(rel, name)))
            for name, data in self.read_tree(rel).items()
        }

    # --- the walk -----------------------------------------------------------

    def _kind_of(self, fd: int, name: str, st: os.stat_result, rel: str) -> Kind:
        if stat.S_ISLNK(st.st_mode):
            raise self._rules.link(self.shown(rel), _target(fd, name))
        if stat.S_ISDIR(st.st_mode):
            return "folder"
        if stat.S_ISREG(st.st_mode):
            return "file"
        raise self._rules.special(self.shown(rel), st.st_mode)

    @contextmanager
    def _walk_to(self, parts: list[str]) -> Iterator[int | None]:
        """A descriptor of the folder ``parts`` below the root (None when missing)."""
        if self._fd < 0:
            raise ValueError("the folder is closed")
        opened: list[int] = []
        fd = self._fd
        try:
            for depth, part in enumerate(parts, 1):
                rel = "/".join(parts[:depth])
                try:
                    st = os.stat(part, dir_fd=fd, follow_symlinks=False)
                except FileNotFoundError:
                    yield None
                    return
                if self._kind_of(fd, part, st, rel) != "folder":
                    yield None
                    return
                fd = self._open_dir(fd, part, rel)
                opened.append(fd)
            yield fd
        finally:
            for each in opened:
                os.close(each)

    def _open_dir(self, parent: int, name: str, rel: str) -> int:
        try:
            return os.open(name, _DIR_FLAGS, dir_fd=parent)
        except OSError as exc:
            # Swapped for a link or something else after it was looked at.
            if exc.errno == errno.ELOOP:
                raise self._rules.link(self.shown(rel), _target(parent, name)) from exc
            if exc.errno == errno.ENOTDIR:
                self._kind_of(
                    parent, name, os.stat(name, dir_fd=parent, follow_symlinks=False), rel
                )
                raise TaskError(f"{self.shown(rel)}: not a folder any more") from exc
            raise

    def _read_at(self, parent: int, name: str, rel: str) -> bytes:
        shown = self.shown(rel)
        try:
            st = os.stat(name, dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            raise TaskError(f"{shown}: no such file") from None
        if self._kind_of(parent, name, st, rel) != "file":
            raise TaskError(f"{shown}: a folder, not a file")
        # Checked on the descriptor too: the name may have changed since the look.
        self._rules.check(shown, st, self.owner)
        try:
            fd = os.open(name, _FILE_FLAGS, dir_fd=parent)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise self._rules.link(shown, _target(parent, name)) from exc
            raise
        try:
            return self._rules.read_fd(fd, shown, self.owner)
        finally:
            os.close(fd)

    def _read_into(
        self, fd: int, base: str, prefix: str, out: dict[str, bytes] | None, depth: int
    ) -> None:
        """Read every file below ``fd`` into ``out``; with ``out`` None, only look."""
        if depth > MAX_DEPTH:
            raise TaskError(
                f"{self.shown(_join(base, prefix))}: folders nested more than {MAX_DEPTH} deep"
            )
        for name, st in _entries(fd):
            if skipped(name):
                continue
            rel = prefix + name
            full = _join(base, rel)
            if self._kind_of(fd, name, st, full) == "folder":
                sub = self._open_dir(fd, name, full)
                try:
                    self._read_into(sub, base, rel + "/", out, depth + 1)
                finally:
                    os.close(sub)
            elif out is not None:
                out[rel] = self._read_at(fd, name, full)
            elif st.st_nlink > 1 and st.st_uid != self.owner:
                self._rules.check(self.shown(full), st, self.owner)


def _parts(rel: str) -> list[str]:
    parts = [p for p in rel.split("/") if p and p != "."]
    if ".." in parts:
        raise ValueError(f"{rel!r} leaves its folder")
    return parts


def _join(base: str, rel: str) -> str:
    return f"{base.rstrip('/')}/{rel}" if base else rel


def _entries(fd: int) -> list[tuple[str, os.stat_result]]:
    """``(name, lstat)`` of a folder's entries, sorted by name."""
    with os.scandir(fd) as found:
        names = sorted(entry.name for entry in found)
    out = []
    for name in names:
        try:
            out.append((name, os.stat(name, dir_fd=fd, follow_symlinks=False)))
        except FileNotFoundError:
            continue  # removed while we looked: it is not part of the folder any more
    return out


def _target(fd: int, name: str) -> str:
    try:
        return os.readlink(name, dir_fd=fd)
    except OSError:
        return "?"
