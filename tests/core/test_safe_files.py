"""Reading untrusted folders and files: links, special files, hard links, sizes, races."""

from __future__ import annotations

import os
import socket
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from duckfix import safe_files
from duckfix.config import TaskSettings
from duckfix.errors import PatchError, TaskError
from duckfix.safe_files import (
    DEFAULT_MAX_BYTES,
    MAX_DEPTH,
    SafeFolder,
    megabytes,
    read_file,
    read_prefix,
)

OTHER_UID = 54321


def tree(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def finishes(call: Callable[[], Any], seconds: float = 5.0) -> Any:
    """``call()``'s result or exception, failing the test if it blocks (a FIFO opened wrongly)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:
            box["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "the read blocked"
    if "error" in box:
        raise box["error"]
    return box["value"]


def refused(call: Callable[[], Any], *words: str) -> str:
    with pytest.raises(TaskError) as caught:
        finishes(call)
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message, message
    return message


def test_the_default_limit_is_the_settings_default() -> None:
    assert megabytes(TaskSettings().max_file_mb) == DEFAULT_MAX_BYTES
    assert megabytes(0.5) == 512 * 1024


def test_reads_a_tree_and_skips_caches_unread(tmp_path: Path) -> None:
    root = tree(tmp_path / "t", {"a.py": "A", "sub/b.txt": "B", "sub/deeper/c": "C"})
    (root / "__pycache__").mkdir()
    os.mkfifo(root / "__pycache__" / "a.cpython-311.pyc")  # would block if opened
    os.mkfifo(root / "sub" / "x.pyc")
    (root / ".pytest_cache").symlink_to("/etc")  # skipped by name: never followed
    with SafeFolder(root) as folder:
        assert finishes(folder.read_tree) == {"a.py": b"A", "sub/b.txt": b"B", "sub/deeper/c": b"C"}
        assert folder.text_tree("sub") == {"b.txt": "B", "deeper/c": "C"}
        assert folder.read_text("sub/deeper/c") == "C"
        assert folder.kind("sub") == "folder" and folder.kind("a.py") == "file"
        assert folder.kind("missing") is None and folder.kind("a.py/x") is None
        assert folder.names() == [("a.py", "file"), ("sub", "folder")]


def test_a_symbolic_link_is_refused_and_named(tmp_path: Path) -> None:
    root = tree(tmp_path / "t", {"buggy/p.py": "x"})
    (root / "buggy" / "data.txt").symlink_to("/etc/shadow")
    with SafeFolder(root) as folder:
        message = refused(folder.read_tree, "buggy/data.txt", "symbolic link", "/etc/shadow")
        assert message.startswith(f"{root}/buggy/data.txt: ")
        refused(lambda: folder.kind("buggy/data.txt"), "symbolic link")
        refused(lambda: folder.read_bytes("buggy/data.txt"), "symbolic link")
        refused(lambda: folder.names("buggy"), "buggy/data.txt")
        # A filter leaves a link it does not want alone.
        assert folder.names("buggy", only=lambda n: n.endswith(".py")) == [("p.py", "file")]


def test_a_linked_folder_is_refused_on_the_way_through(tmp_path: Path) -> None:
    secret = tree(tmp_path / "secret", {"key": "s3cret"})
    root = tree(tmp_path / "t", {"a": "A"})
    (root / "sub").symlink_to(secret)
    with SafeFolder(root) as folder:
        refused(folder.read_tree, f"{root}/sub:", "symbolic link")
        refused(lambda: folder.read_bytes("sub/key"), f"{root}/sub:")
        refused(lambda: folder.kind("sub/key"), "symbolic link")
        refused(lambda: folder.folder("sub"), "symbolic link")


def test_the_root_itself_may_be_a_link(tmp_path: Path) -> None:
    real = tree(tmp_path / "real", {"a": "A"})
    (tmp_path / "alias").symlink_to(real)
    with SafeFolder(tmp_path / "alias") as folder:
        assert folder.read_tree() == {"a": b"A"}
    with SafeFolder(tmp_path / "alias" / ".") as folder:
        assert folder.read_text("a") == "A"


@pytest.mark.parametrize("kind", ["fifo", "socket", "device"])
def test_special_files_are_refused_without_blocking(tmp_path: Path, kind: str) -> None:
    root = tree(tmp_path / "t", {"a": "A"})
    special = root / "special"
    if kind == "fifo":
        os.mkfifo(special)
    elif kind == "socket":
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(str(special))
    else:
        try:
            os.mknod(special, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # /dev/null
        except PermissionError:
            pytest.skip("cannot make a device node here")
    words = {"fifo": "FIFO", "socket": "a socket", "device": "a character device"}[kind]
    with SafeFolder(root) as folder:
        refused(folder.read_tree, "special", words)
        refused(lambda: folder.read_bytes("special"), words)
        refused(folder.names, words)
    with pytest.raises(TaskError, match="not a regular file; give a file"):
        finishes(lambda: read_file(special))


def test_a_fifo_swapped_in_after_the_look_does_not_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tree(tmp_path / "t", {"f": "x"})
    real_stat = os.stat
    looked = real_stat(root / "f", follow_symlinks=False)
    (root / "f").unlink()
    os.mkfifo(root / "f")

    def stale_stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        # The look saw the regular file that was there a moment ago.
        return looked if path == "f" else real_stat(path, *args, **kwargs)

    monkeypatch.setattr(safe_files.os, "stat", stale_stat)
    with SafeFolder(root) as folder:
        refused(lambda: folder.read_bytes("f"), "FIFO")


def test_a_file_swapped_for_a_link_after_the_look_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    canary = tmp_path / "canary"
    canary.write_text("CANARY")
    root = tree(tmp_path / "t", {"f": "x", "d/g": "y"})
    real_stat = os.stat
    looked_file = real_stat(root / "f", follow_symlinks=False)
    looked_dir = real_stat(root / "d", follow_symlinks=False)
    (root / "f").unlink()
    (root / "f").symlink_to(canary)
    (root / "d" / "g").unlink()
    (root / "d").rmdir()
    (root / "d").symlink_to(tmp_path)

    looks = {"f": looked_file, "d": looked_dir}

    def stale_stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        # The first look at each name saw what was there a moment ago.
        if kwargs.get("dir_fd") is not None and path in looks:
            return looks.pop(path)
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(safe_files.os, "stat", stale_stat)
    with SafeFolder(root) as folder:
        refused(lambda: folder.read_bytes("f"), "symbolic link")
        refused(lambda: folder.read_bytes("d/canary"), "symbolic link")
    assert not looks


def test_a_hard_link_to_someone_elses_file_is_refused(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to give a file away")
    theirs = tmp_path / "theirs"
    theirs.write_text("secret")
    os.chown(theirs, OTHER_UID, OTHER_UID)
    root = tree(tmp_path / "t", {"a": "A"})
    os.link(theirs, root / "notes.txt")
    with SafeFolder(root) as folder:
        refused(folder.read_tree, "notes.txt", "hard link", f"uid {OTHER_UID}", "uid 0")
        refused(folder.check_tree, "notes.txt", "hard link")
    refused(lambda: read_file(root / "notes.txt"), "hard link")
    # A hard link to a file of the folder's own owner is the owner's business.
    os.chown(theirs, 0, 0)
    with SafeFolder(root) as folder:
        assert folder.read_tree()["notes.txt"] == b"secret"


def test_a_file_over_the_limit_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tree(tmp_path / "t", {"ok": "x" * 100, "over": "x" * 101})
    with open(root / "sparse", "wb") as fh:
        fh.truncate(300 * 1024 * 1024)
    reads: list[int] = []
    real = safe_files._read_upto
    monkeypatch.setattr(safe_files, "_read_upto", lambda fd, n: reads.append(n) or real(fd, n))
    with SafeFolder(root, max_bytes=100) as folder:
        assert folder.read_bytes("ok") == b"x" * 100
        refused(lambda: folder.read_bytes("over"), "101 bytes, over the 0 MB limit")
        reads.clear()
        started = time.monotonic()
        refused(lambda: folder.read_bytes("sparse"), "300 MB, over", "tasks.max_file_mb")
        assert reads == [] and time.monotonic() - started < 1
    with SafeFolder(root) as folder:
        refused(lambda: folder.read_bytes("sparse"), "300 MB, over the 5 MB limit")
        folder.check_tree()  # sizes are not checked when nothing is read
    refused(lambda: read_file(root / "sparse"), "300 MB")


def test_a_file_that_reads_longer_than_its_size_is_cut_at_the_limit(tmp_path: Path) -> None:
    # /proc files say they are empty; the read stops one byte past the limit.
    with pytest.raises(TaskError, match="over the 0 MB limit"):
        read_file(Path("/proc/self/status"), max_bytes=10, hard_links=False)


def test_read_file_follows_the_typed_path_only(tmp_path: Path) -> None:
    (tmp_path / "real.py").write_text("x = 1\n")
    (tmp_path / "link.py").symlink_to(tmp_path / "real.py")
    assert read_file(tmp_path / "link.py") == b"x = 1\n"
    with pytest.raises(TaskError, match="cannot be read"):
        read_file(tmp_path / "nowhere.py")
    with pytest.raises(TaskError, match="a folder, not a regular file"):
        read_file(tmp_path)
    with pytest.raises(PatchError, match="review it in parts"):
        read_file(tmp_path / "real.py", max_bytes=2, hint="review it in parts", error=PatchError)


def test_read_prefix_cuts_and_never_blocks(tmp_path: Path) -> None:
    (tmp_path / "m").write_bytes(b"0123456789")
    assert read_prefix(tmp_path / "m", 4) == b"0123"
    assert read_prefix(tmp_path / "m", 40) == b"0123456789"
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(PatchError, match="FIFO"):
        finishes(lambda: read_prefix(tmp_path / "fifo", 4, error=PatchError))


def test_names_with_control_characters_stay_on_one_line(tmp_path: Path) -> None:
    root = tree(tmp_path / "t", {})
    (root / "evil\nname\x1b[2J").symlink_to("/etc/\npasswd")
    with SafeFolder(root) as folder:
        message = refused(folder.read_tree, "evil\\nname\\x1b[2J", "/etc/\\npasswd")
    assert "\x1b" not in message


def test_folders_nested_too_deep_are_refused(tmp_path: Path) -> None:
    deep = tmp_path / "t" / "/".join(["d"] * (MAX_DEPTH + 2))
    deep.mkdir(parents=True)
    (deep / "f").write_text("x")
    with SafeFolder(tmp_path / "t") as folder:
        refused(folder.read_tree, f"nested more than {MAX_DEPTH} deep")


def test_paths_may_not_climb_out(tmp_path: Path) -> None:
    with SafeFolder(tmp_path) as folder, pytest.raises(ValueError):
        folder.read_bytes("../etc/passwd")


def test_a_root_that_is_not_a_folder(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    refused(lambda: SafeFolder(tmp_path / "fifo"), "not a folder")
    refused(lambda: SafeFolder(tmp_path / "missing"), "not a folder")
