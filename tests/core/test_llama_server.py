"""The server launcher: llama.cpp's extra buffer types switched off before any model loads."""

from __future__ import annotations

import types

from duckfix.llama_server import without_extra_bufts


def test_default_params_come_without_extra_buffer_types() -> None:
    made = types.SimpleNamespace(use_extra_bufts=True, n_gpu_layers=0)
    lib = types.SimpleNamespace(llama_model_default_params=lambda: made)
    without_extra_bufts(lib)
    params = lib.llama_model_default_params()
    assert params.use_extra_bufts is False and params.n_gpu_layers == 0


def test_against_llama_cpp_when_installed() -> None:
    import pytest

    lib = pytest.importorskip("llama_cpp.llama_cpp")
    original = lib.llama_model_default_params
    try:
        assert original().use_extra_bufts is True  # llama.cpp's default
        without_extra_bufts(lib)
        assert lib.llama_model_default_params().use_extra_bufts is False
    finally:
        lib.llama_model_default_params = original
