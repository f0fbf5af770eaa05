"""What a GGUF model file says about itself: its metadata, read without loading the model.

The ``local`` provider needs one fact before it starts a server: whether the
model is a chat model (its file carries a chat template under
``tokenizer.chat_template``) or a base model that continues a prompt. A GGUF
file opens with its key-value metadata (GGUF v2 / v3: magic ``GGUF``, version,
tensor count, key count, then the keys), so reading stops there; the token
tables, tens of thousands of strings, are skipped by their lengths.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any, BinaryIO

from duckfix.errors import ConfigError

__all__ = ["CHAT_TEMPLATE", "chat_template", "read_metadata"]

CHAT_TEMPLATE = "tokenizer.chat_template"
"""The key holding a chat model's Jinja chat template."""

_MAGIC = b"GGUF"
# value type -> struct format of a scalar (8 = string, 9 = array).
_SCALARS = {
    0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i",
    6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d",
}  # fmt: skip
_STRING, _ARRAY = 8, 9
_MAX_KEYS = 1 << 16
_MAX_STRING = 1 << 24
"""A longer key or string value is not GGUF metadata but a damaged file."""


def _read(fh: BinaryIO, fmt: str) -> Any:
    size = struct.calcsize(fmt)
    data = fh.read(size)
    if len(data) != size:
        raise ValueError("the file ends inside its metadata")
    return struct.unpack(fmt, data)[0]


def _string(fh: BinaryIO, keep: bool = True) -> str | None:
    length = _read(fh, "<Q")
    if length > _MAX_STRING:
        raise ValueError(f"a metadata string of {length} bytes")
    if not keep:
        fh.seek(length, 1)
        return None
    data = fh.read(length)
    if len(data) != length:
        raise ValueError("the file ends inside its metadata")
    return data.decode("utf-8", "replace")


def _value(fh: BinaryIO, kind: int, keep: bool) -> Any:
    if kind in _SCALARS:
        return _read(fh, _SCALARS[kind])
    if kind == _STRING:
        return _string(fh, keep)
    if kind == _ARRAY:
        item, count = _read(fh, "<I"), _read(fh, "<Q")
        if item in _SCALARS:  # fixed-size items: one seek
            fh.seek(struct.calcsize(_SCALARS[item]) * count, 1)
            return None
        for _ in range(count):  # arrays are only ever skipped: token tables
            _value(fh, item, keep=False)
        return None
    raise ValueError(f"unknown metadata value type {kind}")


def read_metadata(path: Path) -> dict[str, Any]:
    """The file's scalar and string metadata (arrays skipped); :class:`ConfigError` if not GGUF."""
    try:
        with Path(path).open("rb") as fh:
            if fh.read(4) != _MAGIC:
                raise ValueError("it does not start with GGUF")
            version = _read(fh, "<I")
            if version < 2:
                raise ValueError(f"GGUF version {version} is too old (2 or later)")
            _tensors, keys = _read(fh, "<Q"), _read(fh, "<Q")
            if keys > _MAX_KEYS:
                raise ValueError(f"{keys} metadata keys")
            out: dict[str, Any] = {"gguf.version": version}
            for _ in range(keys):
                key = _string(fh) or ""
                kind = _read(fh, "<I")
                value = _value(fh, kind, keep=True)
                if value is not None:
                    out[key] = value
            return out
    except OSError as exc:
        raise ConfigError(f"cannot read the model file {path}: {exc.strerror or exc}") from exc
    except (ValueError, struct.error) as exc:
        raise ConfigError(f"{path} is not a GGUF model file: {exc}") from exc


def chat_template(path: Path) -> str | None:
    """The model's chat template, or None for a base model (no template in the file)."""
    template = read_metadata(path).get(CHAT_TEMPLATE)
    return template if isinstance(template, str) and template.strip() else None
