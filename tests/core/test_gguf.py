"""Reading a GGUF file's metadata: chat models told from base models, damaged files refused."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from duckfix.errors import ConfigError
from duckfix.gguf import chat_template, read_metadata

CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
)


def _str(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def write_gguf(path: Path, template: str | None, version: int = 3) -> Path:
    """A GGUF header as llama.cpp's converter writes it: scalars, a token table, the template."""
    kvs = [
        _str("general.architecture") + struct.pack("<I", 8) + _str("qwen2"),
        _str("qwen2.context_length") + struct.pack("<I", 4) + struct.pack("<I", 32768),
        _str("general.file_type") + struct.pack("<I", 4) + struct.pack("<I", 15),
        # tokenizer.ggml.tokens: an array of strings, skipped by its lengths.
        _str("tokenizer.ggml.tokens")
        + struct.pack("<I", 9)
        + struct.pack("<IQ", 8, 3)
        + b"".join(_str(t) for t in ("!", '"', "<|im_end|>")),
        _str("tokenizer.ggml.scores")
        + struct.pack("<I", 9)
        + struct.pack("<IQ", 6, 3)
        + struct.pack("<3f", 0.0, -1.0, -2.0),
        _str("tokenizer.ggml.add_bos_token") + struct.pack("<I", 7) + b"\x00",
    ]
    if template is not None:
        kvs.append(_str("tokenizer.chat_template") + struct.pack("<I", 8) + _str(template))
    header = b"GGUF" + struct.pack("<IQQ", version, 0, len(kvs))
    path.write_bytes(header + b"".join(kvs) + b"\x00" * 64)  # tensors would follow
    return path


def test_a_chat_model_has_its_template(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "chat.gguf", CHATML)
    assert chat_template(path) == CHATML
    meta = read_metadata(path)
    assert meta["general.architecture"] == "qwen2"
    assert meta["qwen2.context_length"] == 32768
    assert meta["tokenizer.ggml.add_bos_token"] is False
    assert "tokenizer.ggml.tokens" not in meta  # arrays are skipped


def test_a_base_model_has_none(tmp_path: Path) -> None:
    assert chat_template(write_gguf(tmp_path / "base.gguf", None)) is None
    assert chat_template(write_gguf(tmp_path / "blank.gguf", "  ")) is None


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"GGML" + b"\x00" * 40, "does not start with GGUF"),
        (b"GGUF" + struct.pack("<IQQ", 1, 0, 0), "too old"),
        (b"GGUF" + struct.pack("<IQQ", 3, 0, 2) + _str("general.name"), "ends inside"),
        (b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + _str("k") + struct.pack("<I", 77), "type 77"),
    ],
)
def test_damaged_files_are_refused_with_the_reason(
    tmp_path: Path, content: bytes, why: str
) -> None:
    path = tmp_path / "bad.gguf"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=f"not a GGUF model file: .*{why}"):
        read_metadata(path)


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the model file"):
        read_metadata(tmp_path / "none.gguf")
