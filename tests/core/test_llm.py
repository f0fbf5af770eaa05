"""The LLM client against an OpenAI-compatible endpoint mocked below the SDK (respx)."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx
import pytest
import respx
from pydantic import BaseModel

from duckfix.config import LLMSettings
from duckfix.errors import (
    BudgetExhausted,
    ConfigError,
    LLMOutputError,
    LLMRequestError,
    LLMUnavailableError,
)
from duckfix.llm import (
    ANSWER_TOKENS,
    Budget,
    FakeProvider,
    LLMClient,
    Message,
    OpenAIProvider,
    extract_json,
    get_provider,
    make_client,
)
from duckfix.store import Store

from tests.fakes import Sleeps
from tests.fakes import chat_reply as reply

BASE = "http://llm.test/v1"
URL = f"{BASE}/chat/completions"
ASK: list[Message] = [{"role": "user", "content": "Where is the bug?"}]


class Verdict(BaseModel):
    line: int
    reason: str


def error(status: int, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"error": {"message": message}}, headers=headers)


GOOD = json.dumps({"line": 3, "reason": "off by one"})


def client(store: Store | None = None, base: str = BASE, **kw: Any) -> tuple[LLMClient, Sleeps]:
    sleeps = Sleeps()
    provider = OpenAIProvider(base_url=base, model="m", api_key="k", timeout=5)
    return LLMClient(provider, store=store, run_id="r1", sleep=sleeps, **kw), sleeps


def sent(route: respx.Route, n: int) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(route.calls[n].request.content)
    return body


@respx.mock
def test_structured_success(store: Store) -> None:
    route = respx.post(URL).mock(return_value=reply(GOOD))
    llm, _ = client(store)
    assert llm.structured(ASK, Verdict, agent="fixer") == Verdict(line=3, reason="off by one")
    body = sent(route, 0)
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"]["title"] == "Verdict"
    assert route.calls[0].request.headers["authorization"] == "Bearer k"


@respx.mock
def test_json_schema_refused_then_json_object_remembered(store: Store) -> None:
    route = respx.post(URL).mock(
        side_effect=[
            error(400, "response_format type json_schema is not supported"),
            reply(GOOD),
            reply(GOOD.replace("3", "4")),
        ]
    )
    llm, _ = client(store)
    assert llm.structured(ASK, Verdict).line == 3
    # The schema travels inside json_object: llama.cpp's server constrains
    # decoding to it, where it refuses json_schema.
    schema = Verdict.model_json_schema()
    assert sent(route, 1)["response_format"] == {"type": "json_object", "schema": schema}
    assert "JSON schema" in sent(route, 1)["messages"][0]["content"]
    # The endpoint's mode is remembered: no second json_schema attempt.
    other = [{"role": "user", "content": "and now?"}]
    assert llm.structured(other, Verdict).line == 4
    assert route.call_count == 3
    assert sent(route, 2)["response_format"] == {"type": "json_object", "schema": schema}


LLAMA_CPP_REFUSAL = (
    "1 validation error for CreateChatCompletionRequest\nresponse_format.type\n"
    "  Input should be 'text' or 'json_object' [type=literal_error, input_value='json_schema']"
)


@respx.mock
def test_llama_cpp_refusal_moves_to_the_schema_inside_json_object(store: Store) -> None:
    # llama-cpp-python's server answers json_schema with HTTP 500 naming it.
    route = respx.post(URL).mock(side_effect=[error(500, LLAMA_CPP_REFUSAL), reply(GOOD)])
    llm, sleeps = client(store)
    assert llm.structured(ASK, Verdict).line == 3
    assert sent(route, 1)["response_format"]["schema"]["title"] == "Verdict"
    assert sleeps == []  # a refusal is not retried


@respx.mock
def test_schema_inside_json_object_refused_then_plain_json_object(store: Store) -> None:
    route = respx.post(URL).mock(
        side_effect=[
            error(400, "response_format type json_schema is not supported"),
            error(400, "response_format: unknown field schema"),
            reply(GOOD),
        ]
    )
    llm, _ = client(store)
    assert llm.structured(ASK, Verdict).line == 3
    assert sent(route, 2)["response_format"] == {"type": "json_object"}


@respx.mock
def test_both_formats_refused_then_plain_text_extracted(store: Store) -> None:
    route = respx.post(URL).mock(
        side_effect=[
            error(400, "unknown field response_format"),
            error(400, "unknown field response_format"),
            error(400, "unknown field response_format"),
            reply(f"Sure!\n```json\n{GOOD}\n```\nHope it helps."),
        ]
    )
    llm, _ = client(store)
    assert llm.structured(ASK, Verdict).reason == "off by one"
    assert "response_format" not in sent(route, 3)


@respx.mock
def test_invalid_answer_repaired_on_retry(store: Store) -> None:
    route = respx.post(URL).mock(side_effect=[reply('{"line": "three"}'), reply(GOOD)])
    llm, _ = client(store)
    assert llm.structured(ASK, Verdict).line == 3
    repair = sent(route, 1)["messages"]
    assert repair[-2] == {"role": "assistant", "content": '{"line": "three"}'}
    assert "not valid" in repair[-1]["content"]


@respx.mock
def test_invalid_twice_raises(store: Store) -> None:
    respx.post(URL).mock(side_effect=[reply("no json here"), reply('{"line": 1}')])
    llm, _ = client(store)
    with pytest.raises(LLMOutputError, match="Verdict"):
        llm.structured(ASK, Verdict)


@respx.mock
def test_429_honours_retry_after(store: Store) -> None:
    route = respx.post(URL).mock(
        side_effect=[error(429, "slow down", {"Retry-After": "7"}), reply("hi")]
    )
    llm, sleeps = client(store)
    assert llm.complete(ASK).text == "hi"
    assert sleeps == [7.0]
    assert route.call_count == 2


@respx.mock
def test_500_then_success_with_backoff(store: Store) -> None:
    route = respx.post(URL).mock(side_effect=[error(500, "boom"), error(503, "x"), reply("hi")])
    llm, sleeps = client(store, backoff=1.0)
    assert llm.complete(ASK).text == "hi"
    assert route.call_count == 3
    assert 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0


@respx.mock
def test_timeout_and_dropped_connection_retried(store: Store) -> None:
    route = respx.post(URL).mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("gone"), reply("hi")]
    )
    llm, sleeps = client(store)
    assert llm.complete(ASK).text == "hi"
    assert route.call_count == 3 and len(sleeps) == 2


@respx.mock
def test_gives_up_after_max_retries(store: Store) -> None:
    route = respx.post(URL).mock(return_value=error(502, "bad gateway"))
    llm, sleeps = client(store, max_retries=2)
    with pytest.raises(LLMRequestError, match="gave up after 3 attempts"):
        llm.complete(ASK)
    assert route.call_count == 3 and len(sleeps) == 2


@respx.mock
def test_400_not_retried(store: Store) -> None:
    route = respx.post(URL).mock(return_value=error(400, "context too long"))
    llm, sleeps = client(store)
    with pytest.raises(LLMRequestError, match="context too long") as info:
        llm.complete(ASK)
    assert info.value.status == 400
    assert route.call_count == 1 and sleeps == []


@respx.mock
def test_budget_exhausted_sends_nothing(store: Store) -> None:
    route = respx.post(URL).mock(return_value=reply("hi", prompt=60, completion=50))
    llm, _ = client(store, budget=Budget(max_calls=5, max_tokens=100))
    llm.complete(ASK)
    with pytest.raises(BudgetExhausted, match="tokens"):
        llm.complete([{"role": "user", "content": "again"}])
    assert route.call_count == 1

    calls_only, _ = client(store, budget=Budget(max_calls=0))
    with pytest.raises(BudgetExhausted, match="calls"):
        calls_only.complete([{"role": "user", "content": "third"}])
    assert route.call_count == 1


@respx.mock
def test_cache_hit_sends_nothing_and_use_cache_false_bypasses(store: Store) -> None:
    route = respx.post(URL).mock(side_effect=[reply("first"), reply("second")])
    llm, _ = client(store)
    assert llm.complete(ASK).text == "first"
    again = llm.complete(ASK)
    assert again.text == "first" and again.cached
    assert route.call_count == 1
    # A different parameter is a different request.
    assert llm.complete(ASK, use_cache=False).text == "second"
    assert route.call_count == 2
    # The bypassing call still wrote: the newest answer is what is cached now.
    assert llm.complete(ASK).text == "second"
    assert route.call_count == 2


@respx.mock
def test_structured_cache_replays_across_clients(store: Store) -> None:
    route = respx.post(URL).mock(return_value=reply(GOOD))
    first, _ = client(store)
    second, _ = client(store)
    assert first.structured(ASK, Verdict) == second.structured(ASK, Verdict)
    assert route.call_count == 1


@respx.mock
def test_usage_rows_in_store(store: Store) -> None:
    respx.post(URL).mock(return_value=reply("hi", prompt=12, completion=3))
    llm, _ = client(store)
    llm.complete(ASK, agent="localizer")
    llm.complete(ASK, agent="localizer")
    rows = store.llm_usage("r1")
    assert [(r.agent, r.model, r.prompt_tokens, r.completion_tokens) for r in rows] == [
        ("localizer", "m", 12, 3),
        ("localizer", "m", 12, 3),
    ]
    assert sorted(r.cached for r in rows) == [False, True]
    assert llm.usage.calls == 1 and llm.usage.total_tokens == 15
    assert store.llm_usage("other") == []


def test_concurrency_limit_held(store: Store) -> None:
    base = "http://limited.test/v1"
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}

    def slow(request: httpx.Request) -> httpx.Response:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.05)
        with lock:
            state["now"] -= 1
        return reply("hi")

    with respx.mock:
        route = respx.post(f"{base}/chat/completions").mock(side_effect=slow)
        # Two clients of one endpoint share its limit.
        clients = [client(None, base=base, concurrency=2)[0] for _ in range(2)]
        threads = [
            threading.Thread(
                target=clients[i % 2].complete,
                args=([{"role": "user", "content": str(i)}],),
            )
            for i in range(8)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert route.call_count == 8
    assert state["peak"] == 2


def test_none_provider_raises_unavailable() -> None:
    llm = make_client(LLMSettings())
    with pytest.raises(LLMUnavailableError, match=r"llm\.provider"):
        llm.complete(ASK)


def test_provider_registry_and_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="unknown provider 'nope'; known: local, none, openai"):
        LLMSettings(provider="nope")  # refused with the other settings, before any use
    with pytest.raises(ConfigError, match="unknown"):
        get_provider(LLMSettings.model_construct(provider="nope"))
    with pytest.raises(ConfigError, match=r"llm\.model"):
        get_provider(LLMSettings(provider="openai"))
    monkeypatch.setenv("MY_KEY", "secret")
    settings = LLMSettings(provider="openai", base_url=BASE, model="m", api_key_env="MY_KEY")
    with respx.mock:
        route = respx.post(URL).mock(return_value=reply("hi"))
        assert make_client(settings).complete(ASK).text == "hi"
    assert route.calls[0].request.headers["authorization"] == "Bearer secret"


def test_fake_provider_enqueue_and_history() -> None:
    fake = FakeProvider()
    fake.enqueue([LLMRequestError("busy", status=503, retryable=True), GOOD])
    sleeps = Sleeps()
    llm = LLMClient(fake, sleep=sleeps)
    assert llm.structured(ASK, Verdict).line == 3
    assert len(fake.history) == 2 and len(sleeps) == 1


def test_extract_json() -> None:
    assert extract_json('{"a": 1}') == {"a": 1}
    assert extract_json('text ```json\n{"a": 2}\n``` more') == {"a": 2}
    assert extract_json('Here: {"a": {"b": 3}} and {"c": 4}') == {"a": {"b": 3}}
    with pytest.raises(ValueError):
        extract_json("nothing")


@respx.mock
def test_every_call_carries_max_tokens(store: Store) -> None:
    # A small model without a limit can write to the end of its context.
    route = respx.post(URL).mock(side_effect=[reply(GOOD), reply("hi"), reply("hi")])
    llm, _ = client(store)
    llm.structured(ASK, Verdict)
    llm.complete([{"role": "user", "content": "other"}])
    llm.complete([{"role": "user", "content": "sized"}], max_tokens=40)
    assert [sent(route, i)["max_tokens"] for i in range(3)] == [ANSWER_TOKENS, ANSWER_TOKENS, 40]


class _SlowServer:
    """An OpenAI-compatible server on loopback that takes ``delay`` seconds per answer."""

    def __init__(self, delay: float) -> None:
        import http.server

        slow = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", 0)))
                slow.requests += 1
                slow.stop.wait(delay)
                body = reply(GOOD).content
                try:
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up: that is the point

            def log_message(self, *args: Any) -> None:
                pass

        self.requests = 0
        self.stop = threading.Event()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def test_the_run_deadline_bounds_a_slow_call() -> None:
    server = _SlowServer(delay=30)
    try:
        provider = OpenAIProvider(base_url=server.base, model="m", api_key="k", timeout=60)
        llm = LLMClient(provider, sleep=lambda _: None).until(time.monotonic() + 2.0)
        began = time.monotonic()
        with pytest.raises(BudgetExhausted, match="time budget"):
            llm.structured(ASK, Verdict)
        # Cut at the deadline, not at the provider's 60 s timeout nor after retries.
        assert time.monotonic() - began < 4.0
        assert server.requests == 1
        # With the deadline passed no request is sent at all.
        with pytest.raises(BudgetExhausted, match="no model call"):
            llm.complete(ASK)
        assert server.requests == 1
    finally:
        server.close()


def test_raw_newlines_inside_strings_are_read() -> None:
    # What the 1.5B wrote under llama.cpp's json_object grammar: a real newline in a string.
    text = '{"line": 3, "reason": "off by one:\n```json\n{\n    "}'
    assert extract_json(text) == {"line": 3, "reason": "off by one:\n```json\n{\n    "}


def test_the_endpoint_limit_serves_the_oldest_task_first() -> None:
    import threading
    import time

    from duckfix.llm import OldestFirst

    limit = OldestFirst(1)
    served: list[float] = []
    holding = limit.slot(0.0)
    holding.__enter__()

    def ask(began: float) -> None:
        with limit.slot(began):
            served.append(began)

    threads = [threading.Thread(target=ask, args=(p,)) for p in (3.0, 1.0, 2.0)]
    for thread in threads:
        thread.start()
        time.sleep(0.05)  # queued in this order: 3, 1, 2
    holding.__exit__(None, None, None)
    for thread in threads:
        thread.join(timeout=10)
    assert served == [1.0, 2.0, 3.0]
