"""The LLM client's async path, plain completions, per-agent models and the money budget.

Like ``test_llm.py``: the real :class:`OpenAIProvider` against an endpoint
mocked below the SDK (respx), sleeps injected so nothing waits, a Store on a
temporary SQLite file for the cache and the usage rows. pytest-asyncio is not
used: each test drives its coroutine with ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import respx
from pydantic import BaseModel

from duckfix.config import LLMSettings
from duckfix.errors import BudgetExhausted, LLMOutputError, LLMRequestError
from duckfix.llm import Budget, LLMClient, Message, OpenAIProvider, make_client
from duckfix.store import Store

from tests.fakes import Sleeps, text_reply
from tests.fakes import chat_reply as reply

BASE = "http://llm.test/v1"
URL = f"{BASE}/chat/completions"
COMPLETIONS = f"{BASE}/completions"
ASK: list[Message] = [{"role": "user", "content": "Where is the bug?"}]


class Verdict(BaseModel):
    line: int
    reason: str


GOOD = json.dumps({"line": 3, "reason": "off by one"})


def error(status: int, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"error": {"message": message}}, headers=headers)


def echo_model(request: httpx.Request) -> httpx.Response:
    """A chat answer naming the model the request asked for, as real servers do."""
    model = json.loads(request.content)["model"]
    return reply(f"answer from {model}", model=model)


class ASleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(
    store: Store | None = None, base: str = BASE, **kw: Any
) -> tuple[LLMClient, Sleeps, ASleeps]:
    sleeps, asleeps = Sleeps(), ASleeps()
    provider = OpenAIProvider(base_url=base, model="m", api_key="k", timeout=5)
    llm = LLMClient(provider, store=store, run_id="r1", sleep=sleeps, asleep=asleeps, **kw)
    return llm, sleeps, asleeps


def sent(route: respx.Route, n: int) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(route.calls[n].request.content)
    return body


def ask(text: str) -> list[Message]:
    return [{"role": "user", "content": text}]


# -- acomplete / astructured ----------------------------------------------


@respx.mock
def test_acomplete_success(store: Store) -> None:
    route = respx.post(URL).mock(return_value=reply("hi", prompt=12, completion=3))
    llm, sleeps, asleeps = client(store)
    answer = asyncio.run(llm.acomplete(ASK, agent="fixer", temperature=0.2, max_tokens=64))
    assert answer.text == "hi" and not answer.cached
    assert (answer.model, answer.prompt_tokens, answer.completion_tokens) == ("m", 12, 3)
    body = sent(route, 0)
    assert body["model"] == "m"
    assert body["messages"] == ASK
    assert body["temperature"] == 0.2 and body["max_tokens"] == 64
    assert "response_format" not in body
    assert route.calls[0].request.headers["authorization"] == "Bearer k"
    assert llm.usage.calls == 1 and llm.usage.total_tokens == 15
    assert llm.budget.calls == 1 and llm.budget.tokens == 15
    assert sleeps == [] and asleeps == []


@respx.mock
def test_astructured_json_schema_refused_then_json_object_remembered(store: Store) -> None:
    route = respx.post(URL).mock(
        side_effect=[
            error(400, "response_format type json_schema is not supported"),
            reply(GOOD),
            reply(GOOD.replace("3", "4")),
        ]
    )
    llm, _, asleeps = client(store)

    async def main() -> tuple[Verdict, Verdict]:
        first = await llm.astructured(ASK, Verdict)
        second = await llm.astructured(ask("and now?"), Verdict)
        return first, second

    first, second = asyncio.run(main())
    assert first == Verdict(line=3, reason="off by one")
    assert second.line == 4
    assert route.call_count == 3
    assert sent(route, 0)["response_format"]["type"] == "json_schema"
    assert sent(route, 0)["response_format"]["json_schema"]["schema"]["title"] == "Verdict"
    schema = {"type": "json_object", "schema": Verdict.model_json_schema()}
    assert sent(route, 1)["response_format"] == schema
    assert "JSON schema" in sent(route, 1)["messages"][0]["content"]
    # The endpoint's mode is remembered: the next call goes straight to json_object.
    assert sent(route, 2)["response_format"] == schema
    assert sent(route, 2)["messages"][-1] == ask("and now?")[0]
    assert asleeps == []  # a refused format is not a retry


@respx.mock
def test_astructured_invalid_answer_repaired(store: Store) -> None:
    route = respx.post(URL).mock(side_effect=[reply('{"line": "three"}'), reply(GOOD)])
    llm, _, _ = client(store)
    assert asyncio.run(llm.astructured(ASK, Verdict)).line == 3
    assert route.call_count == 2
    repair = sent(route, 1)["messages"]
    assert repair[: len(ASK)] == ASK
    assert repair[-2] == {"role": "assistant", "content": '{"line": "three"}'}
    assert repair[-1]["role"] == "user" and "not valid" in repair[-1]["content"]


@respx.mock
def test_astructured_invalid_twice_raises(store: Store) -> None:
    route = respx.post(URL).mock(side_effect=[reply("no json here"), reply('{"line": 1}')])
    llm, _, _ = client(store)
    with pytest.raises(LLMOutputError, match="Verdict"):
        asyncio.run(llm.astructured(ASK, Verdict))
    assert route.call_count == 2


# -- retries, async ----------------------------------------------------------


@respx.mock
def test_async_429_honours_retry_after(store: Store) -> None:
    route = respx.post(URL).mock(
        side_effect=[error(429, "slow down", {"Retry-After": "7"}), reply("hi")]
    )
    llm, sleeps, asleeps = client(store)
    assert asyncio.run(llm.acomplete(ASK)).text == "hi"
    assert asleeps == [7.0]
    assert sleeps == []  # the async path never blocks in the sync sleep
    assert route.call_count == 2
    assert sent(route, 0) == sent(route, 1)


@respx.mock
def test_async_500_then_success_with_backoff(store: Store) -> None:
    route = respx.post(URL).mock(side_effect=[error(500, "boom"), reply("hi")])
    llm, sleeps, asleeps = client(store, backoff=1.0)
    assert asyncio.run(llm.acomplete(ASK)).text == "hi"
    assert route.call_count == 2
    assert len(asleeps) == 1 and 0.5 <= asleeps[0] <= 1.0
    assert sleeps == []


@respx.mock
def test_async_timeout_retried(store: Store) -> None:
    route = respx.post(URL).mock(side_effect=[httpx.ReadTimeout("slow"), reply("hi")])
    llm, _, asleeps = client(store)
    assert asyncio.run(llm.acomplete(ASK)).text == "hi"
    assert route.call_count == 2 and len(asleeps) == 1


@respx.mock
def test_async_gives_up_after_max_retries(store: Store) -> None:
    route = respx.post(URL).mock(return_value=error(502, "bad gateway"))
    llm, _, asleeps = client(store, max_retries=2)
    with pytest.raises(LLMRequestError, match="gave up after 3 attempts"):
        asyncio.run(llm.acomplete(ASK))
    assert route.call_count == 3 and len(asleeps) == 2


@respx.mock
def test_async_400_not_retried(store: Store) -> None:
    route = respx.post(URL).mock(return_value=error(400, "context too long"))
    llm, _, asleeps = client(store)
    with pytest.raises(LLMRequestError, match="context too long") as info:
        asyncio.run(llm.acomplete(ASK))
    assert info.value.status == 400 and not info.value.retryable
    assert route.call_count == 1 and asleeps == []


# -- concurrency, async ------------------------------------------------------


def test_async_concurrency_limit_held() -> None:
    base = "http://alimited.test/v1"
    state = {"now": 0, "peak": 0}

    async def slow(request: httpx.Request) -> httpx.Response:
        state["now"] += 1
        state["peak"] = max(state["peak"], state["now"])
        await asyncio.sleep(0.05)
        state["now"] -= 1
        return reply("hi")

    with respx.mock:
        route = respx.post(f"{base}/chat/completions").mock(side_effect=slow)
        llm, _, _ = client(None, base=base, concurrency=2)

        async def main() -> list[str]:
            answers = await asyncio.gather(*(llm.acomplete(ask(str(i))) for i in range(6)))
            return [a.text for a in answers]

        assert asyncio.run(main()) == ["hi"] * 6
    assert route.call_count == 6
    assert sorted(sent(route, i)["messages"][0]["content"] for i in range(6)) == list("012345")
    assert state["peak"] == 2


def test_async_concurrency_limit_shared_by_clients_of_one_endpoint() -> None:
    base = "http://ashared.test/v1"
    state = {"now": 0, "peak": 0}

    async def slow(request: httpx.Request) -> httpx.Response:
        state["now"] += 1
        state["peak"] = max(state["peak"], state["now"])
        await asyncio.sleep(0.05)
        state["now"] -= 1
        return reply("hi")

    with respx.mock:
        route = respx.post(f"{base}/chat/completions").mock(side_effect=slow)
        clients = [client(None, base=base, concurrency=2)[0] for _ in range(2)]

        async def main() -> None:
            await asyncio.gather(*(clients[i % 2].acomplete(ask(str(i))) for i in range(6)))

        asyncio.run(main())
    assert route.call_count == 6
    assert state["peak"] == 2


# -- cache and usage, async --------------------------------------------------


@respx.mock
def test_async_cache_hit_sends_nothing_and_usage_rows(store: Store) -> None:
    route = respx.post(URL).mock(side_effect=[reply("first", prompt=12, completion=3)])
    llm, _, _ = client(store)

    async def main() -> tuple[Any, Any]:
        first = await llm.acomplete(ASK, agent="localizer")
        again = await llm.acomplete(ASK, agent="localizer")
        return first, again

    first, again = asyncio.run(main())
    assert first.text == "first" and not first.cached
    assert again.text == "first" and again.cached
    assert (again.model, again.prompt_tokens, again.completion_tokens) == ("m", 12, 3)
    assert route.call_count == 1
    rows = store.llm_usage("r1")
    assert [(r.agent, r.model, r.prompt_tokens, r.completion_tokens, r.cached) for r in rows] == [
        ("localizer", "m", 12, 3, False),
        ("localizer", "m", 12, 3, True),
    ]
    # Only the real call is usage; both count against the run's call budget,
    # so a replayed run stops where the first one did.
    assert llm.usage.calls == 1 and llm.usage.total_tokens == 15
    assert llm.budget.calls == 2 and llm.budget.tokens == 30


@respx.mock
def test_sync_and_async_share_the_cache(store: Store) -> None:
    route = respx.post(URL).mock(side_effect=[reply("first")])
    llm, _, _ = client(store)
    assert llm.complete(ASK).text == "first"
    again = asyncio.run(llm.acomplete(ASK))
    assert again.text == "first" and again.cached
    assert route.call_count == 1


# -- plain completions (/v1/completions) -------------------------------------


@respx.mock
def test_complete_prompt_sends_prompt_stop_and_model() -> None:
    route = respx.post(COMPLETIONS).mock(return_value=text_reply("    return a + b\n", 7, 4))
    chat = respx.post(URL).mock(return_value=reply("wrong endpoint"))
    llm, _, _ = client(None)
    answer = llm.complete_prompt("def add(a, b):\n", stop=["\ndef ", "\n\n"], max_tokens=32)
    assert answer.text == "    return a + b\n"
    assert (answer.model, answer.prompt_tokens, answer.completion_tokens) == ("m", 7, 4)
    assert route.call_count == 1 and chat.call_count == 0
    body = sent(route, 0)
    assert body["prompt"] == "def add(a, b):\n"
    assert body["stop"] == ["\ndef ", "\n\n"]
    assert body["model"] == "m"
    assert body["max_tokens"] == 32
    assert "messages" not in body


@respx.mock
def test_acomplete_prompt_sends_prompt_stop_and_model() -> None:
    route = respx.post(COMPLETIONS).mock(return_value=text_reply(" 42", 9, 2))
    chat = respx.post(URL).mock(return_value=reply("wrong endpoint"))
    llm, _, _ = client(None)
    answer = asyncio.run(llm.acomplete_prompt("The answer is", stop=["."], agent="fixer"))
    assert answer.text == " 42"
    assert (answer.prompt_tokens, answer.completion_tokens) == (9, 2)
    assert route.call_count == 1 and chat.call_count == 0
    body = sent(route, 0)
    assert body["prompt"] == "The answer is"
    assert body["stop"] == ["."]
    assert body["model"] == "m"
    assert llm.usage.calls == 1 and llm.usage.total_tokens == 11


@respx.mock
def test_acomplete_prompt_retried_and_cached(store: Store) -> None:
    route = respx.post(COMPLETIONS).mock(side_effect=[error(503, "warming up"), text_reply("x")])
    llm, _, asleeps = client(store)

    async def main() -> tuple[Any, Any]:
        return (
            await llm.acomplete_prompt("p", stop=["\n"]),
            await llm.acomplete_prompt("p", stop=["\n"]),
        )

    first, again = asyncio.run(main())
    assert first.text == again.text == "x"
    assert not first.cached and again.cached
    assert route.call_count == 2 and len(asleeps) == 1


@respx.mock
def test_prompt_and_chat_with_same_content_are_cached_apart(store: Store) -> None:
    completions = respx.post(COMPLETIONS).mock(return_value=text_reply("a continuation"))
    chat = respx.post(URL).mock(return_value=reply("a chat answer"))
    llm, _, _ = client(store)
    content = ASK[0]["content"]

    async def main() -> tuple[str, str, str, str]:
        p = await llm.acomplete_prompt(content)
        c = await llm.acomplete(ASK)
        # And each is then served from its own cache entry.
        p2 = await llm.acomplete_prompt(content)
        c2 = await llm.acomplete(ASK)
        return p.text, c.text, p2.text, c2.text

    assert asyncio.run(main()) == (
        "a continuation",
        "a chat answer",
        "a continuation",
        "a chat answer",
    )
    assert completions.call_count == 1 and chat.call_count == 1
    # Different stop sequences are different requests.
    assert llm.complete_prompt(content, stop=["\n"]).text == "a continuation"
    assert completions.call_count == 2


# -- per-agent models ----------------------------------------------------------


@respx.mock
def test_per_agent_model_sent_and_cached_apart(store: Store) -> None:
    route = respx.post(URL).mock(side_effect=echo_model)
    llm, _, _ = client(store, models={"fixer": "big"})
    assert llm.model_for("fixer") == "big"
    assert llm.model_for("localizer") == "m"
    assert llm.model_for(None) == "m"

    async def main() -> list[Any]:
        return [
            await llm.acomplete(ASK, agent="fixer"),
            await llm.acomplete(ASK, agent="localizer"),
            await llm.acomplete(ASK, agent="fixer"),
            await llm.acomplete(ASK, agent="localizer"),
        ]

    fixer, localizer, fixer2, localizer2 = asyncio.run(main())
    # Same messages, two models: two requests, not one answer shared.
    assert route.call_count == 2
    assert sent(route, 0)["model"] == "big"
    assert sent(route, 1)["model"] == "m"
    assert (fixer.text, fixer.model) == ("answer from big", "big")
    assert (localizer.text, localizer.model) == ("answer from m", "m")
    assert fixer2.cached and fixer2.text == "answer from big"
    assert localizer2.cached and localizer2.text == "answer from m"
    rows = store.llm_usage("r1")
    assert [(r.agent, r.model, r.cached) for r in rows] == [
        ("fixer", "big", False),
        ("localizer", "m", False),
        ("fixer", "big", True),
        ("localizer", "m", True),
    ]


@respx.mock
def test_per_agent_model_for_structured_and_prompt() -> None:
    chat = respx.post(URL).mock(return_value=reply(GOOD, model="big"))
    completions = respx.post(COMPLETIONS).mock(return_value=text_reply("t", model="big"))
    llm, _, _ = client(None, models={"fixer": "big"})
    assert llm.structured(ASK, Verdict, agent="fixer").line == 3
    assert asyncio.run(llm.acomplete_prompt("p", agent="fixer")).text == "t"
    assert asyncio.run(llm.acomplete_prompt("p", agent="explainer")).text == "t"
    assert sent(chat, 0)["model"] == "big"
    assert [sent(completions, i)["model"] for i in range(2)] == ["big", "m"]


def test_make_client_maps_agent_models() -> None:
    settings = LLMSettings(provider="openai", base_url=BASE, model="m", fixer_model="f")
    llm = make_client(settings)
    assert llm.model_for("fixer") == "f"
    assert llm.model_for("localizer") == "m"
    assert llm.model_for(None) == "m"
    with respx.mock:
        route = respx.post(URL).mock(side_effect=echo_model)

        async def main() -> tuple[str, str]:
            a = await llm.acomplete(ASK, agent="fixer")
            b = await llm.acomplete(ASK, agent="reviewer")
            return a.text, b.text

        assert asyncio.run(main()) == ("answer from f", "answer from m")
    assert [sent(route, i)["model"] for i in range(2)] == ["f", "m"]


def test_make_client_money_budget_from_settings() -> None:
    settings = LLMSettings(
        provider="openai",
        base_url=BASE,
        model="m",
        max_cost=1.5,
        price_prompt=2.0,
        price_completion=8.0,
    )
    budget = make_client(settings).budget
    assert (budget.max_cost, budget.price_prompt, budget.price_completion) == (1.5, 2.0, 8.0)


# -- budget --------------------------------------------------------------------


def _cost(prompt: int, completion: int, price_prompt: float, price_completion: float) -> float:
    return (prompt * price_prompt + completion * price_completion) / 1_000_000


@respx.mock
def test_money_budget_stops_before_the_next_call(store: Store) -> None:
    # 100k prompt + 50k completion tokens at 1 / 2 per million: 0.2 per call.
    route = respx.post(URL).mock(return_value=reply("hi", prompt=100_000, completion=50_000))
    budget = Budget(max_cost=0.5, price_prompt=1.0, price_completion=2.0)
    llm, _, _ = client(store, budget=budget)
    per_call = _cost(100_000, 50_000, 1.0, 2.0)
    assert per_call == pytest.approx(0.2)

    async def main() -> None:
        for i in range(3):  # 0 -> 0.2 -> 0.4 -> 0.6: each starts under 0.5
            await llm.acomplete(ask(f"call {i}"))
            assert budget.cost == pytest.approx(per_call * (i + 1))
        await llm.acomplete(ask("one too many"))

    with pytest.raises(BudgetExhausted, match="money"):
        asyncio.run(main())
    assert route.call_count == 3
    assert [sent(route, i)["messages"][0]["content"] for i in range(3)] == [
        "call 0",
        "call 1",
        "call 2",
    ]
    assert budget.cost == pytest.approx(3 * per_call)
    assert budget.calls == 3 and budget.tokens == 3 * 150_000
    # The sync path checks the same budget.
    with pytest.raises(BudgetExhausted, match="money"):
        llm.complete(ask("sync too"))
    assert route.call_count == 3


@respx.mock
def test_money_budget_counts_only_priced_tokens(store: Store) -> None:
    respx.post(URL).mock(return_value=reply("hi", prompt=1_000, completion=3_000))
    budget = Budget(max_cost=10.0, price_completion=5.0)  # prompt tokens are free
    llm, _, _ = client(store, budget=budget)
    asyncio.run(llm.acomplete(ASK))
    assert budget.cost == pytest.approx(0.015)


@respx.mock
def test_money_budget_not_charged_by_cache_hits(store: Store) -> None:
    route = respx.post(URL).mock(return_value=reply("hi", prompt=100_000, completion=0))
    budget = Budget(max_cost=0.1, price_prompt=1.0)
    llm, _, _ = client(store, budget=budget)

    async def main() -> bool:
        await llm.acomplete(ASK)  # 0.1: the budget is now spent
        return (await llm.acomplete(ASK)).cached  # a cache hit costs nothing

    assert asyncio.run(main())
    assert route.call_count == 1 and budget.cost == pytest.approx(0.1)
    with pytest.raises(BudgetExhausted):
        asyncio.run(llm.acomplete(ask("new")))
    assert route.call_count == 1


@respx.mock
def test_async_budget_exhausted_mid_run_sends_nothing(store: Store) -> None:
    route = respx.post(URL).mock(return_value=reply("hi"))
    llm, _, _ = client(store, budget=Budget(max_calls=2))

    async def main() -> None:
        await llm.acomplete(ask("one"))
        await llm.acomplete(ask("two"))
        await llm.acomplete(ask("three"))

    with pytest.raises(BudgetExhausted, match="calls"):
        asyncio.run(main())
    assert route.call_count == 2
    assert [sent(route, i)["messages"][0]["content"] for i in range(2)] == ["one", "two"]


@respx.mock
def test_async_budget_reserved_before_concurrent_calls(store: Store) -> None:
    route = respx.post(URL).mock(return_value=reply("hi"))
    llm, _, _ = client(store, budget=Budget(max_calls=2))

    async def main() -> list[Any]:
        calls = (llm.acomplete(ask(str(i))) for i in range(3))
        return await asyncio.gather(*calls, return_exceptions=True)

    results = asyncio.run(main())
    assert sum(isinstance(r, BudgetExhausted) for r in results) == 1
    assert route.call_count == 2


# -- an async client outlives one event loop -----------------------------------


class _Answer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        body = reply("hi").content
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client dropping its connection is what these tests provoke


@pytest.fixture
def live_base() -> Iterator[str]:
    """A real HTTP server on localhost: respx has no connection pool to go stale."""
    server = _QuietServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1"
    finally:
        server.shutdown()
        server.server_close()


def test_acomplete_in_two_event_loops(live_base: str) -> None:
    llm, _, _ = client(None, base=live_base, max_retries=0)
    assert asyncio.run(llm.acomplete(ask("one"))).text == "hi"
    assert asyncio.run(llm.acomplete(ask("two"))).text == "hi"


def test_close_after_async_use(live_base: str) -> None:
    llm, _, _ = client(None, base=live_base, max_retries=0)
    assert asyncio.run(llm.acomplete(ask("one"))).text == "hi"
    provider = llm.provider
    assert isinstance(provider, OpenAIProvider)
    provider.close()
