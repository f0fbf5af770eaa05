"""Uploaded task archives: unpacked by the loader's rules, or refused with the reason."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from duckfix.datasets.folder import load_task
from duckfix.errors import TaskError
from duckfix.service.server.uploads import task_files, unpack, write_files

from tests.datasets.test_folder import write_task

MB = 1 << 20


def _tar(folder: Path, compress: str = "gz") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=f"w:{compress}") as tar:
        tar.add(folder, arcname=folder.name)
    return buf.getvalue()


def _tar_with(member: tarfile.TarInfo, body: bytes = b"") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.addfile(member, io.BytesIO(body) if body else None)
    return buf.getvalue()


def _unpack(data: bytes, dest: Path, per_file: int = MB, total: int = 4 * MB) -> Path:
    dest.mkdir()
    return unpack(data, dest, max_file_bytes=per_file, max_total_bytes=total)


def test_a_tar_gz_and_a_zip_of_a_task_folder(tmp_path: Path) -> None:
    folder = write_task(tmp_path / "src")
    task = load_task(_unpack(_tar(folder), tmp_path / "a"))
    assert task.id == "double" and task.buggy["double.py"].endswith("n + 2\n")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for path in folder.rglob("*"):
            if path.is_file():
                archive.write(path, path.relative_to(folder))  # the task at the top
    root = _unpack(buf.getvalue(), tmp_path / "b")
    assert load_task(root).id == "double"
    # What the job stores, written anew elsewhere, is the same task.
    again = write_files(task_files(root, MB), tmp_path / "c")
    assert load_task(again).model_dump(exclude={"origin"}) == task.model_dump(exclude={"origin"})


def test_a_symbolic_link_is_refused(tmp_path: Path) -> None:
    link = tarfile.TarInfo("task/buggy/double.py")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    with pytest.raises(TaskError, match="symbolic link"):
        _unpack(_tar_with(link), tmp_path / "x")
    hard = tarfile.TarInfo("task/x")
    hard.type, hard.linkname = tarfile.LNKTYPE, "/etc/shadow"
    with pytest.raises(TaskError, match="hard link"):
        _unpack(_tar_with(hard), tmp_path / "y")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        info = zipfile.ZipInfo("task/evil")
        info.external_attr = 0o120777 << 16  # a symlink, as Info-ZIP marks one
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(TaskError, match="symbolic link"):
        _unpack(buf.getvalue(), tmp_path / "z")


@pytest.mark.parametrize("name", ["../escape.py", "task/../../escape.py", "/etc/cron.d/x"])
def test_a_path_out_of_the_folder_is_refused(tmp_path: Path, name: str) -> None:
    member = tarfile.TarInfo(name)
    member.size = 3
    with pytest.raises(TaskError, match=r"absolute|'\.\.'"):
        _unpack(_tar_with(member, b"x=1"), tmp_path / "x")
    assert not (tmp_path / "escape.py").exists()


def test_oversized_archives_are_refused_as_they_inflate(tmp_path: Path) -> None:
    big = tarfile.TarInfo("task/buggy/big.py")
    big.size = 2 * MB
    with pytest.raises(TaskError, match="max_file_mb"):
        _unpack(_tar_with(big, b"#" * (2 * MB)), tmp_path / "one")
    # A gzip bomb: 6 MB of zeros compress to a few kB, in files under the per-file cap.
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for n in range(6):
            member = tarfile.TarInfo(f"task/tests/f{n}.txt")
            member.size = MB - 10
            tar.addfile(member, io.BytesIO(b"\0" * member.size))
    assert len(buf.getvalue()) < 64 * 1024
    with pytest.raises(TaskError, match="max_unpacked_mb"):
        _unpack(buf.getvalue(), tmp_path / "bomb")


def test_what_is_not_an_archive(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match=r"not a \.tar"):
        _unpack(b"def f(): pass\n", tmp_path / "x")
