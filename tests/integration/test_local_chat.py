"""The ``local`` provider with a real chat code model: Qwen2.5-Coder-0.5B-Instruct on llama.cpp.

Needs the ``local`` extra and the model (``duckfix models install
qwen2.5-coder-0.5b``; ``make local`` does both); skipped without them. The
model is small, so the tests check what the model path must guarantee (a chat
model is asked by every agent, answers are well-formed under the schema inside
``json_object``, a repeated run is answered from the cache), not that it fixes
the bug.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path

import pytest

import duckfix.llm_local as local
from duckfix.agents.llm_fixer import Proposals, build_messages
from duckfix.config import LLMSettings, default_home, load_settings
from duckfix.llm import LLMClient, get_provider
from duckfix.model_catalog import find, model_path
from duckfix.models import TestOutcome
from duckfix.store import Store

from tests.pipelines.conftest import VOWELS, vowels_task

# Looked up before any test points DUCKFIX_HOME elsewhere: where `make local` put it.
MODEL = model_path(find("qwen2.5-coder-0.5b"), default_home())

pytestmark = [
    pytest.mark.local,
    pytest.mark.skipif(find_spec("llama_cpp") is None, reason="the local extra is not installed"),
    pytest.mark.skipif(MODEL is None, reason="duckfix models install qwen2.5-coder-0.5b"),
]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LLMClient]:
    home = tmp_path_factory.mktemp("home")
    settings = LLMSettings(
        provider="local", model_path=str(MODEL), server_ctx=4096, server_threads=2, timeout=300
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DUCKFIX_HOME", str(home))
        provider = get_provider(settings)
        yield LLMClient(provider)
    local.stop_all()


def test_a_chat_model_answers_the_fixer_in_its_schema(client: LLMClient) -> None:
    assert client.style == "chat"  # the file's chat template decided
    task = vowels_task()
    failing = [TestOutcome(name="case 1", status="failed", expected=2, actual=1)]
    request = build_messages(task, task.buggy, [], failing, [])
    answer = client.structured(request, Proposals, agent="fixer", max_tokens=300, seed=1)
    # Constrained decoding: the wrapper, the bug sentence and a proposal, never the schema.
    assert answer.bug.strip() and answer.proposals and answer.proposals[0].code.strip()
    assert client._modes[client.provider.endpoint] == "json_object_schema"
    assert client.replies["fixer"] == {"well_formed": 1}


def test_debug_llm_first_asks_the_model_and_a_repeat_is_answered_from_the_cache(
    tmp_path: Path,
) -> None:
    (tmp_path / "vowels.py").write_text(VOWELS)
    cases = [("Apple", 2), ("abc", 1), ("XYZ", 0), ("EIEIO", 5)]
    (tmp_path / "vowels.jsonl").write_text(
        "".join(json.dumps({"args": [a], "expected": e}) + "\n" for a, e in cases)
    )
    env = {
        **os.environ,
        "DUCKFIX_HOME": str(tmp_path / "home"),
        "DUCKFIX_CASE_TIMEOUT": "1",
        "DUCKFIX_LLM__MAX_CALLS": "4",
        "DUCKFIX_LLM__MODEL_PATH": str(MODEL),
        "DUCKFIX_LLM__SERVER_CTX": "4096",
        "DUCKFIX_LLM__SERVER_THREADS": "2",
    }
    args = ["debug", "vowels.py", "--cases", "vowels.jsonl", "--provider", "local", "--llm-first"]

    def run() -> dict[str, object]:
        done = subprocess.run(
            [sys.executable, "-m", "duckfix", *args, "--json"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        assert done.returncode in (0, 1), done.stderr
        data: dict[str, object] = json.loads(done.stdout)
        return data

    first = run()
    usage = first["llm_usage"]
    assert isinstance(usage, dict) and 1 <= usage["calls"] <= 4
    settings, _ = load_settings(environ=env, cwd=tmp_path)
    rows = Store(settings.database).llm_usage(str(first["run_id"]))
    # A chat model: the localizer is asked (a base model only ever saw the fixer).
    assert "localizer" in {r.agent for r in rows}
    again = run()
    assert isinstance(again["llm_usage"], dict) and again["llm_usage"]["calls"] == 0
    assert again["status"] == first["status"]
