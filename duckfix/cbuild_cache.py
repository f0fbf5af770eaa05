"""Build caches for C / HLS C++ test benches: precompiled headers and bench objects.

An HLS bench build spends most of its time in the C++ front end and in code
generation for the ``ap_int`` / ``ap_fixed`` templates: the headers pull in some
250 files (libstdc++'s iostream, sstream, cmath, ...) that are parsed again for
the bench and for every kernel source, and the bench is compiled again for every
candidate although only the kernel changed. Two caches, under
``<duckfix home>/cache/cbuild``, take that away:

``pch/<key>/`` -- precompiled headers for kernel sources
    A source's *prefix* is what the preprocessor meets before the first line of
    code: its own headers (followed through the run's files), include guards,
    ``#pragma once``, ``#define``s and the includes of headers from outside the
    run. When that prefix includes a header of the HLS folder, its external
    includes, in order, are precompiled once per (compiler, flags, header folder,
    header list) and the sandboxed compile takes them first, with ``-include``.
    That changes nothing the compiler sees as long as nothing in the prefix could
    have changed those headers: a ``#define`` (include guards too) of a name that
    appears anywhere in their text, a run file that shadows one of their
    ``#include``s, a conditional, a pragma or code in the prefix, or a header that
    is not idempotent all mean a plain build (`Prefix`, `BuildCache.pch`). The
    PCH is built outside the sandbox, from system and HLS headers only, in an
    empty folder, and the folder is mounted read-only into the run.
``obj/`` -- bench objects
    Each bench is compiled once to an object, in a sandboxed run that runs
    nothing but the compiler, and kept under a key of the compiler, the flags,
    the bench, the names of the run's files and the exact content of every file
    the compile read (ccache's manifest scheme: ``<key>.json`` lists the files
    read, the object's name hashes their content). Runs get a copy, so nothing a
    candidate does reaches the cache.

Nothing here is needed for a correct build. An absent or read-only cache folder,
a damaged or stale entry (checked against sizes, times and hashes), a PCH that
cannot be built or that the compiler rejects, all end in the plain build; the
in-sandbox builder (``harness/cbench.py``) redoes any failed compile without the
PCH, so a compile error is always the plain build's. Entries are written under
temporary names and renamed into place, builds of one PCH are serialised by a
lock file, and the oldest entries go when the cache grows past its bounds.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import logging
import os
import posixpath
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from duckfix.sandbox import scrub_env

__all__ = [
    "FORMAT",
    "OBJECT_BYTES",
    "PCH_ENTRIES",
    "BuildCache",
    "ObjectKey",
    "Prefix",
    "compiler_id",
    "default_folder",
    "open_cache",
    "scan_prefix",
]

_log = logging.getLogger("duckfix.cbuild")

FORMAT = 1
"""Bumped when an entry's layout or meaning changes: old entries are then never read."""
PCH_ENTRIES = 12
"""Precompiled headers kept (about 100 MB each with ``-g``), least recently used first out."""
OBJECT_BYTES = 512 << 20
"""Bench objects kept, in bytes (1-2 MB each with sanitizers and ``-g``)."""
_TOUCH_EVERY = 60.0  # seconds between two "used" stamps of one PCH entry
_STALE_TMP = 3600.0  # seconds after which a builder's leftover temporary folder is removed


def default_folder() -> Path:
    """``<duckfix home>/cache/cbuild`` (``DUCKFIX_HOME``, else the XDG data folder)."""
    from duckfix.config import default_home

    return default_home() / "cache" / "cbuild"


# --------------------------------------------------------------------------
# What a source's prefix includes


@dataclass(frozen=True)
class Prefix:
    """The external headers a source includes before its first line of code."""

    headers: tuple[str, ...]
    """Their spellings, in order, up to the last one from the HLS folder."""
    moved: frozenset[str]
    """Names the prefix defines, undefines or tests before that last header: under
    ``-include`` they come after the headers instead of before."""


_COMMENT_OR_LITERAL = re.compile(
    r"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'", re.DOTALL
)
_DIRECTIVE = re.compile(r"#\s*(\w*)\s*(.*)\Z")
_INCLUDE = re.compile(r"([<\"])([^>\"]*)([>\"])\Z")
_IDENT = re.compile(r"[A-Za-z_]\w*")
# What a PCH header may be spelled as. The PCH compile runs outside the sandbox
# on names a task's source chose, so this is what keeps it reading only the
# compiler's own and the HLS headers: no absolute name, no "..", nothing that
# reaches past the include folders (pch.h is compiled in an empty folder, with
# no relative -I). Loosen it and that compile must move into the sandbox.
_SPELLING = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+/-]*\Z")
_CONDITIONAL = re.compile(r"#\s*(if|ifdef|ifndef|endif)\b")
# Every file name a header looks up: the search path decides __has_include too.
_NAMED = re.compile(
    r"(?:#\s*include(?:_next)?\s*|__has_include(?:_next)?\s*\(\s*)[<\"]([^>\"]+)[>\"]"
)


def _lines(text: str) -> list[str]:
    """Logical lines (continuations joined, comments gone), stripped, blank ones dropped."""
    text = text.replace("\r\n", "\n").replace("\\\n", "")

    def blank(m: re.Match[str]) -> str:
        return " " if m.group().startswith("/") else m.group()

    return [s for line in _COMMENT_OR_LITERAL.sub(blank, text).split("\n") if (s := line.strip())]


def _guard(lines: Sequence[str]) -> str | None:
    """The include-guard macro when ``#ifndef G`` / ``#define G`` ... ``#endif`` wrap the file."""
    if len(lines) < 3:
        return None
    first = re.fullmatch(r"#\s*ifndef\s+(\w+)", lines[0])
    if first is None or not re.fullmatch(rf"#\s*define\s+{first.group(1)}", lines[1]):
        return None
    depth = 0
    for i, line in enumerate(lines):
        m = _CONDITIONAL.match(line)
        if m is None:
            continue
        depth += -1 if m.group(1) == "endif" else 1
        if depth == 0:
            return first.group(1) if i == len(lines) - 1 else None
    return None


class _Scan:
    """Follows a source's prefix through the run's files, the way the preprocessor would."""

    def __init__(self, files: Mapping[str, str | bytes], idirs: Sequence[str]) -> None:
        self.files = files
        self.idirs = list(idirs)
        self.events: list[tuple[str, str]] = []  # ("ext", spelling) or ("name", identifier)
        self.defined: set[str] = set()
        self.guards: dict[str, str] = {}
        self.once: set[str] = set()
        self.open: list[str] = []

    def text(self, path: str) -> str:
        data = self.files[path]
        return data if isinstance(data, str) else data.decode("utf-8", errors="replace")

    def resolve(self, includer: str, spelling: str, quoted: bool) -> str | None:
        folders = ([posixpath.dirname(includer)] if quoted else []) + self.idirs
        for folder in folders:
            path = posixpath.normpath(posixpath.join(folder, spelling))
            if path in self.files:
                return path
        return None

    def file(self, path: str) -> bool:
        """Walk one file; False where the prefix ends (code, or anything not understood)."""
        if path in self.once:
            return True
        guard = self.guards.get(path)
        if guard is not None and guard in self.defined:
            self.events.append(("name", guard))
            return True
        if path in self.open or len(self.open) > 32:
            return False
        lines = _lines(self.text(path))
        guard = _guard(lines)
        if guard is not None:
            self.guards[path] = guard
            self.events.append(("name", guard))
            if guard in self.defined:
                return True
            self.defined.add(guard)
            lines = lines[2:-1]
        self.open.append(path)
        try:
            return all(self.line(path, line) for line in lines)
        finally:
            self.open.pop()

    def line(self, path: str, line: str) -> bool:
        m = _DIRECTIVE.match(line)
        if m is None:
            return False  # the first line of code
        name, rest = m.groups()
        if name == "":
            return True
        if name == "include":
            inc = _INCLUDE.match(rest.strip())
            if inc is None or (inc.group(1) == "<") != (inc.group(3) == ">"):
                return False  # a macro include, or a malformed one
            spelling = inc.group(2)
            if not _SPELLING.match(spelling) or ".." in spelling.split("/"):
                return False
            local = self.resolve(path, spelling, inc.group(1) == '"')
            if local is not None:
                return self.file(local)
            self.events.append(("ext", spelling))
            return True
        if name in ("define", "undef"):
            ident = _IDENT.match(rest)
            if ident is None:
                return False
            self.events.append(("name", ident.group()))
            if name == "define":
                self.defined.add(ident.group())
            else:
                self.defined.discard(ident.group())
            return True
        if name == "pragma" and rest.strip() == "once":
            self.once.add(path)
            return True
        return False  # conditionals, other pragmas, #include_next, #line, ...


def scan_prefix(
    files: Mapping[str, str | bytes], source: str, idirs: Sequence[str], hls: str
) -> Prefix | None:
    """The HLS headers ``source`` includes first, or None when a PCH cannot stand in for them.

    ``files`` are the run's files (paths relative to its folder), ``idirs`` the
    ``-I`` folders in order, ``hls`` the folder of the ap_types headers.
    """
    scan = _Scan(files, idirs)
    scan.file(source)
    last = max(
        (
            i
            for i, (kind, value) in enumerate(scan.events)
            if kind == "ext" and os.path.isfile(os.path.join(hls, value))
        ),
        default=-1,
    )
    if last < 0:
        return None
    before = scan.events[: last + 1]
    headers = tuple(dict.fromkeys(v for k, v in before if k == "ext"))
    return Prefix(headers=headers, moved=frozenset(v for k, v in before if k == "name"))


# --------------------------------------------------------------------------
# Identities: the compiler, the header folder, files on disk


def _sha(data: str | bytes) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def _stamp(path: str) -> list[Any] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [path, st.st_size, st.st_mtime_ns]


def _stamps_hold(stamps: Sequence[Sequence[Any]]) -> bool:
    return all(_stamp(str(s[0])) == list(s) for s in stamps)


def _sandbox_path() -> str:
    return scrub_env(None, home="/", tmp="/")["PATH"]


@functools.lru_cache(maxsize=16)
def _probe(exe: str, stamp: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    """Version and back ends of one compiler binary (``stamp`` is there to key the cache)."""
    done = subprocess.run(
        [exe, "-dumpfullversion", "-dumpmachine"], capture_output=True, text=True, timeout=30
    )
    parts: list[Any] = [done.stdout]
    for prog in ("cc1", "cc1plus"):
        named = subprocess.run(
            [exe, f"-print-prog-name={prog}"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
        parts.append(_stamp(os.path.realpath(named)) if os.path.isabs(named) else named)
    return done.stdout, tuple(map(str, parts))


def compiler_id(name: str) -> str | None:
    """A hash that changes when the compiler ``name`` (as the sandbox finds it) changes."""
    exe = shutil.which(name, path=_sandbox_path())
    if exe is None:
        return None
    real = os.path.realpath(exe)
    stamp = _stamp(real)
    if stamp is None:
        return None
    try:
        _, parts = _probe(real, tuple(stamp))
    except (OSError, subprocess.SubprocessError):
        return None
    return _sha(json.dumps([stamp, parts]))


def _folder_stamp(folder: str) -> str:
    stamps = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            stamps.append(_stamp(os.path.join(root, name)))
    return _sha(json.dumps(stamps))


def _split_idirs(flags: Sequence[str]) -> tuple[list[str], list[str]]:
    """The ``-I`` folders (relative ones: the run's files), and the flags without them."""
    idirs: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(flags):
        if flags[i] == "-I" and i + 1 < len(flags) and not flags[i + 1].startswith("/"):
            idirs.append(posixpath.normpath(flags[i + 1]))
            i += 2
            continue
        if flags[i].startswith("-I") and len(flags[i]) > 2 and not flags[i][2:].startswith("/"):
            idirs.append(posixpath.normpath(flags[i][2:]))
        else:
            rest.append(flags[i])
        i += 1
    return idirs, rest


def _make_deps(text: str) -> list[str] | None:
    """The prerequisites of a ``-MD`` dependency file (GCC's escaping undone)."""
    body = text.replace("\\\n", " ")
    _target, sep, rest = body.partition(": ")
    if not sep:
        return None
    words = re.findall(r"(?:\\.|[^\s\\])+", rest)
    return [re.sub(r"\\(.)", r"\1", w).replace("$$", "$") for w in words]


# --------------------------------------------------------------------------
# Files under a folder that other processes read at the same time


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _locked(path: Path, wait: float) -> Iterator[bool]:
    """Hold ``path``'s lock (True), or give up after ``wait`` seconds or when it cannot be made."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError:
        yield False
        return
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.1)
        yield True
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


# --------------------------------------------------------------------------
# The cache


@dataclass(frozen=True)
class ObjectKey:
    """Where a bench object is looked up: the first-level key and the files of the run."""

    key: str
    files: Mapping[str, str | bytes]


@dataclass
class _PchMeta:
    ok: bool
    ids: frozenset[str]
    includes: frozenset[str]
    raw: dict[str, Any]


# Parsed PCH metas by (path, mtime, size): a meta lists some 15,000 names, and
# every build of a run reads it.
_METAS: dict[tuple[str, int, int], _PchMeta] = {}
_METAS_LOCK = threading.Lock()


class BuildCache:
    """One cache folder; ``writable`` is False for a folder we may read but not change."""

    def __init__(self, root: Path, writable: bool) -> None:
        self.root = root
        self.writable = writable

    # ---- precompiled headers

    def pch(
        self,
        files: Mapping[str, str | bytes],
        source: str,
        compiler: str,
        flags: Sequence[str],
        hls: str,
        timeout: float,
    ) -> str | None:
        """The header to ``-include`` when compiling ``source`` with ``flags``, or None.

        Builds the PCH on first use (a few seconds) when the folder is writable;
        None whenever the plain build must be used (see the module docstring).
        """
        idirs, pch_flags = _split_idirs(flags)
        prefix = scan_prefix(files, source, idirs, hls)
        if prefix is None:
            return None
        ident = compiler_id(compiler)
        if ident is None:
            return None
        key = _sha(
            json.dumps(
                {
                    "format": FORMAT,
                    "compiler": ident,
                    "flags": pch_flags,
                    "hls": [hls, _folder_stamp(hls)],
                    "headers": prefix.headers,
                }
            )
        )[:32]
        entry = self.root / "pch" / key
        meta = self._pch_meta(entry)
        if meta is None and self.writable:
            meta = self._build_pch(entry, compiler, pch_flags, prefix.headers, timeout)
        if meta is None or not meta.ok:
            return None
        if prefix.moved & meta.ids:
            _log.debug("%s: no PCH, the prefix sets %s", source, sorted(prefix.moved & meta.ids))
            return None
        shadow = self._shadowing(files, idirs, meta.includes)
        if shadow is not None:
            _log.debug("%s: no PCH, %s shadows a header the PCH includes", source, shadow)
            return None
        self._touch(entry / "used")
        return str(entry / "pch.h")

    @staticmethod
    def _shadowing(
        files: Mapping[str, str | bytes], idirs: Sequence[str], includes: frozenset[str]
    ) -> str | None:
        for path in files:
            for folder in idirs:
                if folder == ".":
                    rel = path
                elif path.startswith(folder + "/"):
                    rel = path[len(folder) + 1 :]
                else:
                    continue
                if rel in includes:
                    return path
        return None

    def _pch_meta(self, entry: Path) -> _PchMeta | None:
        """The entry's meta when the entry is whole and current, else None."""
        path = entry / "meta.json"
        try:
            st = path.stat()
        except OSError:
            return None
        memo = (str(path), st.st_mtime_ns, st.st_size)
        with _METAS_LOCK:
            meta = _METAS.get(memo)
        if meta is None:
            try:
                raw = json.loads(path.read_text())
                meta = _PchMeta(
                    ok=bool(raw["ok"]),
                    ids=frozenset(raw.get("ids", ())),
                    includes=frozenset(raw.get("includes", ())),
                    raw=raw,
                )
            except (OSError, ValueError, KeyError, TypeError):
                return None
            with _METAS_LOCK:
                for old in [k for k in _METAS if k[0] == str(path)]:
                    del _METAS[old]
                _METAS[memo] = meta
        raw = meta.raw
        if raw.get("format") != FORMAT or not _stamps_hold(raw.get("deps", [])):
            return None
        if meta.ok and _stamp(str(entry / "pch.h.gch")) != [
            str(entry / "pch.h.gch"),
            raw.get("gch_size"),
            raw.get("gch_mtime_ns"),
        ]:
            return None
        return meta

    def _build_pch(
        self,
        entry: Path,
        compiler: str,
        flags: Sequence[str],
        headers: Sequence[str],
        timeout: float,
    ) -> _PchMeta | None:
        folder = entry.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            os.chmod(folder, 0o755)
        except OSError:
            return None
        with _locked(folder / f"{entry.name}.lock", timeout) as held:
            if not held:
                return None
            meta = self._pch_meta(entry)  # built while we waited
            if meta is not None:
                return meta
            started = time.monotonic()
            try:
                tmp = Path(tempfile.mkdtemp(prefix="tmp-", dir=folder))
            except OSError:
                return None
            try:
                raw = _compile_pch(tmp, compiler, flags, headers, timeout)
                if raw is None:
                    return None
                _write_atomic(tmp / "meta.json", json.dumps(raw).encode())
                os.chmod(tmp, 0o755)
                if entry.exists():  # stale or damaged: out of the way first
                    trash = tempfile.mkdtemp(prefix="tmp-old-", dir=folder)
                    os.rename(entry, os.path.join(trash, entry.name))
                os.rename(tmp, entry)
            except OSError:
                return None
            finally:
                _remove(tmp)
            _log.info(
                "built a PCH of %s in %.1f s%s",
                ", ".join(headers),
                time.monotonic() - started,
                "" if raw["ok"] else f" (not usable: {raw['reason']})",
            )
            self._evict_pch(keep=entry.name)
            return self._pch_meta(entry)

    def _evict_pch(self, keep: str) -> None:
        folder = self.root / "pch"
        entries = []
        now = time.time()
        for child in folder.iterdir():
            try:
                if child.name.startswith("tmp-"):
                    if now - child.stat().st_mtime > _STALE_TMP or "-old-" in child.name:
                        _remove(child)
                elif child.is_dir() and child.name != keep:
                    used = child / "used"
                    when = (used if used.exists() else child).stat().st_mtime
                    entries.append((when, child))
            except OSError:
                continue  # another process's eviction got there first
        entries.sort(reverse=True)
        for _, child in entries[PCH_ENTRIES - 1 :]:
            _log.debug("evicting PCH %s", child.name)
            _remove(child)
            _remove(folder / f"{child.name}.lock")

    def _touch(self, path: Path) -> None:
        if not self.writable:
            return
        with contextlib.suppress(OSError):
            if time.time() - path.stat().st_mtime < _TOUCH_EVERY:
                return
        with contextlib.suppress(OSError):
            path.touch()

    # ---- bench objects

    def object_key(
        self,
        files: Mapping[str, str | bytes],
        compiler: str,
        flags: Sequence[str],
        bench: str,
        build: str = "",
    ) -> ObjectKey | None:
        """The key of ``bench``'s object, or None when it must not be cached.

        ``build`` is the task's ``[build]`` table (``BuildConfig.key()``).
        """
        # A .gch of the run's files could stand in for a header without being named as read.
        if any(".gch" in part for path in files for part in path.split("/")):
            return None
        ident = compiler_id(compiler)
        if ident is None:
            return None
        material = {
            "format": FORMAT,
            "compiler": ident,
            "flags": list(flags),
            "build": build,
            "bench": bench,
            "bench_sha": _sha(files[bench]),
            "paths": sorted(files),
        }
        return ObjectKey(key=_sha(json.dumps(material))[:32], files=files)

    def _variant(self, key: ObjectKey, deps: Sequence[str]) -> str | None:
        hashes = []
        for dep in deps:
            if dep not in key.files:
                return None
            hashes.append([dep, _sha(key.files[dep])])
        return _sha(json.dumps([key.key, hashes]))[:32]

    def find_object(self, key: ObjectKey) -> bytes | None:
        """The cached object for ``key``, if a whole and current one is there."""
        folder = self.root / "obj"
        try:
            manifest = json.loads((folder / f"{key.key}.json").read_text())
            variant = self._variant(key, manifest["deps"])
            if variant is None:
                return None
            meta = json.loads((folder / f"{variant}.meta").read_text())
            data = (folder / f"{variant}.o").read_bytes()
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if meta.get("format") != FORMAT or _sha(data) != meta.get("sha256"):
            _log.debug("object %s is damaged", variant)
            return None
        if not _stamps_hold(meta.get("system", [])):
            _log.debug("object %s is stale: a system header changed", variant)
            return None
        self._touch(folder / f"{variant}.o")
        return data

    def store_object(self, key: ObjectKey, data: bytes, deps_text: str) -> None:
        """Keep ``data``, compiled for ``key``; ``deps_text`` is the compile's ``-MD`` output."""
        if not self.writable:
            return
        deps = _make_deps(deps_text)
        if deps is None:
            return
        local = [posixpath.normpath(d) for d in deps if not d.startswith("/")]
        system = [_stamp(d) for d in deps if d.startswith("/")]
        if any(s is None for s in system) or any(d not in key.files for d in local):
            return  # read something we cannot vouch for: build it every time
        local = sorted(set(local))
        variant = self._variant(key, local)
        if variant is None:
            return
        folder = self.root / "obj"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            _write_atomic(folder / f"{variant}.o", data)
            meta = {"format": FORMAT, "sha256": _sha(data), "system": system}
            _write_atomic(folder / f"{variant}.meta", json.dumps(meta).encode())
            _write_atomic(folder / f"{key.key}.json", json.dumps({"deps": local}).encode())
        except OSError:
            return
        self._evict_objects(folder)

    @staticmethod
    def _evict_objects(folder: Path) -> None:
        objects = []
        for child in folder.glob("*.o"):
            with contextlib.suppress(OSError):
                st = child.stat()
                objects.append((st.st_mtime, st.st_size, child))
        total = sum(size for _, size, _ in objects)
        for _, size, child in sorted(objects):
            if total <= OBJECT_BYTES:
                break
            _remove(child)
            _remove(child.with_suffix(".meta"))
            total -= size


def _compile_pch(
    tmp: Path, compiler: str, flags: Sequence[str], headers: Sequence[str], timeout: float
) -> dict[str, Any] | None:
    """Build ``pch.h`` and its ``.gch`` in ``tmp``; the entry's meta, or None on a timeout."""
    exe = shutil.which(compiler, path=_sandbox_path())
    if exe is None:
        return {"format": FORMAT, "ok": False, "reason": f"no {compiler}", "deps": []}
    text = "".join(f"#include <{h}>\n" for h in headers)
    (tmp / "pch.h").write_text(text)
    os.chmod(tmp / "pch.h", 0o644)
    argv = [exe, *flags, "-x", "c++-header", "pch.h", "-o", "pch.h.gch"]
    argv += ["-MD", "-MF", "pch.d", "-H"]
    # The sandbox's environment: variables such as CPATH must not reach this compile either.
    env = scrub_env(None, home=str(tmp), tmp=str(tmp))
    try:
        done = subprocess.run(
            argv, cwd=tmp, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return None  # a busy machine, maybe: try again next time
    except OSError as exc:
        return {"format": FORMAT, "ok": False, "reason": str(exc), "deps": []}
    raw: dict[str, Any] = {"format": FORMAT, "headers": list(headers), "flags": list(flags)}
    deps_text = (tmp / "pch.d").read_text() if (tmp / "pch.d").exists() else ""
    deps = [d for d in (_make_deps(deps_text) or []) if d.startswith("/")]
    raw["deps"] = [s for s in map(_stamp, deps) if s is not None]
    if done.returncode != 0:
        return {**raw, "ok": False, "reason": done.stderr.strip()[-500:]}
    # The headers are included again after the PCH: each must be a no-op the second time.
    # -H lists the files it opened (". path" for the ones pch.h includes itself) and,
    # at the end, the ones without an include guard GCC could see.
    lines = done.stderr.splitlines()
    top = [line[2:] for line in lines if line.startswith(". ")]
    marker = "Multiple include guards may be useful for:"
    unguarded = set(lines[lines.index(marker) + 1 :]) if marker in lines else set()
    loose = [path for path in top if path in unguarded]
    if loose:
        return {**raw, "ok": False, "reason": f"not include-guarded: {', '.join(loose)}"}
    ids: set[str] = set()
    includes: set[str] = set()
    for dep in deps:
        try:
            body = Path(dep).read_text(errors="replace")
        except OSError:
            return {**raw, "ok": False, "reason": f"cannot read {dep}"}
        ids.update(_IDENT.findall(body))
        includes.update(_NAMED.findall(body))
    gch = tmp / "pch.h.gch"
    os.chmod(gch, 0o644)
    st = gch.stat()
    return {
        **raw,
        "ok": True,
        "ids": sorted(ids),
        "includes": sorted(includes),
        "gch_size": st.st_size,
        "gch_mtime_ns": st.st_mtime_ns,
    }


def open_cache(folder: str | Path | None) -> BuildCache | None:
    """The cache in ``folder`` (created if need be), read-only when it cannot be written.

    None when ``folder`` is None, or neither exists nor can be made.
    """
    if folder is None:
        return None
    root = Path(folder).expanduser().resolve()
    with contextlib.suppress(OSError):
        root.mkdir(parents=True, exist_ok=True)
    if not root.is_dir():
        return None
    return BuildCache(root, os.access(root, os.W_OK | os.X_OK))
