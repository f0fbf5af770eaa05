"""Uploaded task folders: an archive unpacked by the task loader's rules, or nothing at all.

An archive is hostile input, like a task folder: only regular files and
folders come out of it (no symbolic or hard link, no device), no name is
absolute or climbs out with ``..``, no file is over the loaders' size cap
(``tasks.max_file_mb``), and all of them together stay under
``server.max_unpacked_mb``, counted as they are decompressed (a small
archive may inflate to gigabytes). What passes is then loaded by
:func:`duckfix.datasets.folder.load_task`, with its own rules, as any task
folder is.
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO

from duckfix.errors import TaskError

__all__ = ["MAX_FILES", "task_files", "unpack", "write_files"]

MAX_FILES = 2000
"""Files one uploaded task may hold."""
_WRITE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def _member_path(name: str) -> PurePosixPath:
    """The archive name as a relative path, refused if absolute or climbing out."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or name.startswith(("/", "\\")):
        raise TaskError(f"{name}: an absolute path in the archive; task files are relative")
    if ".." in path.parts:
        raise TaskError(f"{name}: a path with '..' in the archive; it would land outside the task")
    if not path.parts or path.parts == (".",):
        raise TaskError(f"{name!r}: an empty name in the archive")
    return path


def _members(data: bytes) -> Iterator[tuple[str, str, int, IO[bytes] | None]]:
    """(name, kind, declared size, reader) of each member: kind is file, dir or a refusal."""
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        with zipfile.ZipFile(io.BytesIO(data)) as zipped:
            for info in zipped.infolist():
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    yield info.filename, "a symbolic link", 0, None
                elif info.is_dir():
                    yield info.filename, "dir", 0, None
                elif mode and not stat.S_ISREG(mode):
                    yield info.filename, "a special file", 0, None
                else:
                    with zipped.open(info) as fh:
                        yield info.filename, "file", info.file_size, fh
        return
    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")  # noqa: SIM115  # closed below
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise TaskError(f"the upload is not a .tar, .tar.gz or .zip archive ({exc})") from exc
    with archive:
        try:
            for member in archive:
                if member.issym():
                    yield member.name, "a symbolic link", 0, None
                elif member.islnk():
                    yield member.name, "a hard link", 0, None
                elif member.isdir():
                    yield member.name, "dir", 0, None
                elif not member.isreg():
                    yield member.name, "a special file", 0, None
                else:
                    yield member.name, "file", member.size, archive.extractfile(member)
        except (tarfile.TarError, EOFError, OSError, zipfile.BadZipFile) as exc:
            raise TaskError(f"the archive is damaged: {exc}") from exc


def unpack(data: bytes, dest: Path, *, max_file_bytes: int, max_total_bytes: int) -> Path:
    """Unpack a task archive into the empty folder ``dest``; the task folder in it.

    The task may sit at the archive's top or in its one top folder (as
    ``tar czf t.tgz mytask`` makes it).
    """
    total = files = 0
    try:
        for name, kind, size, reader in _members(data):
            rel = _member_path(name)
            if kind == "dir":
                (dest / rel).mkdir(parents=True, exist_ok=True)
                continue
            if kind != "file" or reader is None:
                raise TaskError(f"{name}: {kind} in the archive; a task holds files and folders")
            files += 1
            if files > MAX_FILES:
                raise TaskError(f"the archive holds over {MAX_FILES} files; a task needs far fewer")
            if size > max_file_bytes:
                raise TaskError(f"{name}: {size} bytes, over tasks.max_file_mb")
            body = reader.read(max_file_bytes + 1)  # what it really inflates to, bounded
            if len(body) > max_file_bytes:
                raise TaskError(f"{name}: over tasks.max_file_mb once unpacked")
            total += len(body)
            if total > max_total_bytes:
                raise TaskError("the archive unpacks to more than server.max_unpacked_mb")
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(target, _WRITE, 0o644)
            with os.fdopen(fd, "wb") as fh:
                fh.write(body)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
        if isinstance(exc, FileExistsError):
            raise TaskError(f"{exc.filename}: twice in the archive") from exc
        raise TaskError(f"the archive cannot be unpacked: {exc}") from exc
    if not files:
        raise TaskError("the archive holds no file")
    entries = list(dest.iterdir())
    if not (dest / "task.toml").exists() and len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return dest


def task_files(folder: Path, max_bytes: int) -> dict[str, str]:
    """Every file of a task folder, by relative path, read by the loaders' rules."""
    from duckfix.safe_files import SafeFolder

    with SafeFolder(folder, max_bytes=max_bytes, what="uploaded tasks") as root:
        return root.text_tree()


def write_files(files: dict[str, str], dest: Path) -> Path:
    """Write a task's files (as :func:`task_files` read them) into the new folder ``dest``."""
    dest.mkdir(parents=True)
    for name, content in files.items():
        target = dest / _member_path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, _WRITE, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(content)
    return dest
