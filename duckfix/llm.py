"""The LLM client: any OpenAI-compatible endpoint, structured output, retries, budget, cache.

Providers sit behind one small interface (:class:`Provider`, one method) and a
registry (:func:`register_provider`, :func:`get_provider`); ``none`` is the
default and raises :class:`LLMUnavailableError` so agents take their offline
path. :class:`LLMClient` adds what every provider needs the same way:

* a budget per run (:class:`Budget`), checked by our own count *before* each call;
* retries with exponential backoff and jitter on 429 / 5xx / timeouts / dropped
  connections, honouring ``Retry-After``; other 4xx fail at once;
* a response cache in the store, keyed by the whole request, so batch runs
  replay exactly and never pay twice;
* usage rows in the store, one per call or cache hit;
* a limit on requests in flight per endpoint, shared by all clients of it;
* structured output into pydantic models, negotiated per endpoint
  (``json_schema`` → ``json_object`` carrying the schema, which llama.cpp's
  server turns into constrained decoding → plain ``json_object`` → plain text
  with the JSON extracted);
* a ``max_tokens`` on every call (:data:`ANSWER_TOKENS` unless the caller sizes
  it to its answer), so a small model cannot run to the end of its context;
* the run's deadline (:meth:`LLMClient.until`) bounding every request's
  timeout and every backoff, so a wall-clock budget holds within a call.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import hashlib
import heapq
import itertools
import json
import math
import os
import random
import re
import threading
import time
import weakref
from collections.abc import (
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, cast

from pydantic import BaseModel, ValidationError

from duckfix import interrupts
from duckfix.config import LLMSettings
from duckfix.errors import (
    BudgetExhausted,
    ConfigError,
    LLMOutputError,
    LLMRequestError,
    LLMUnavailableError,
)
from duckfix.models import Usage
from duckfix.store import CachedResponse

if TYPE_CHECKING:
    import httpx

    from duckfix.cluster_limit import ClusterLimit
    from duckfix.store import Store

__all__ = [
    "AGENTS",
    "ANSWER_TOKENS",
    "PROVIDERS",
    "Budget",
    "Completion",
    "FakeProvider",
    "LLMClient",
    "Message",
    "NoneProvider",
    "OpenAIProvider",
    "Provider",
    "cache_key",
    "extract_json",
    "get_provider",
    "make_client",
    "register_provider",
]

Message = dict[str, str]
"""One chat message: ``{"role": "system" | "user" | "assistant", "content": ...}``."""

Mode = Literal["json_schema", "json_object_schema", "json_object", "text"]
# json_object_schema is {"type": "json_object", "schema": ...}: llama.cpp's
# server refuses json_schema but constrains decoding to a schema given this
# way, so a small model can neither echo the schema nor drop a wrapper.
_MODES: tuple[Mode, ...] = ("json_schema", "json_object_schema", "json_object", "text")
ANSWER_TOKENS = 1024
"""``max_tokens`` of a call whose caller gives none."""
_MIN_CALL_SECONDS = 1.0
"""A call with less time than this left before the deadline is not sent."""
T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True)
class Completion:
    """One answer of a model and what it cost."""

    text: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False


class Provider(Protocol):
    """What a backend implements: one call, one answer.

    ``endpoint`` names the server for the cache key, the concurrency limit and
    the structured-output negotiation; it stays the same across runs of the
    same server (a local server on a new port keeps its name). ``style`` says
    how the model is best asked: ``chat`` (messages) or ``completion`` (a base
    model continuing a prompt). A provider raises :class:`LLMRequestError`
    (``retryable=True`` for 429 / 5xx / timeouts / dropped connections) and
    never retries on its own: the client does. ``model`` overrides the
    provider's default model for one call (per-agent models).
    """

    endpoint: str
    model: str
    style: Literal["chat", "completion"]

    def complete(
        self, messages: Sequence[Message], *, params: dict[str, Any], model: str | None = None
    ) -> Completion:  # pragma: no cover - protocol
        """Send one chat request; ``params`` are extra request fields (temperature, ...)."""
        ...

    def complete_prompt(
        self, prompt: str, *, params: dict[str, Any], model: str | None = None
    ) -> Completion:  # pragma: no cover - protocol
        """Send one plain completion request (``/v1/completions``)."""
        ...

    async def acomplete(
        self, messages: Sequence[Message], *, params: dict[str, Any], model: str | None = None
    ) -> Completion:  # pragma: no cover - protocol
        """:meth:`complete`, without blocking the event loop."""
        ...

    async def acomplete_prompt(
        self, prompt: str, *, params: dict[str, Any], model: str | None = None
    ) -> Completion:  # pragma: no cover - protocol
        """:meth:`complete_prompt`, without blocking the event loop."""
        ...


ProviderFactory = Callable[[LLMSettings], Provider]
PROVIDERS: dict[str, ProviderFactory] = {}
"""Provider name -> factory from the ``[llm]`` settings."""


def register_provider(name: str) -> Callable[[ProviderFactory], ProviderFactory]:
    """Register a provider factory under ``name`` (a decorator)."""

    def deco(factory: ProviderFactory) -> ProviderFactory:
        PROVIDERS[name] = factory
        return factory

    return deco


def get_provider(settings: LLMSettings) -> Provider:
    """The provider the settings name; :class:`ConfigError` for an unknown name."""
    if settings.provider == "local" and "local" not in PROVIDERS:
        # Registered on import, so runs without the local provider never
        # load its module.
        import duckfix.llm_local  # noqa: F401

    try:
        factory = PROVIDERS[settings.provider]
    except KeyError:
        from duckfix.config import BUILTIN_PROVIDERS

        known = ", ".join(sorted({*PROVIDERS, *BUILTIN_PROVIDERS}))
        raise ConfigError(
            f"llm.provider {settings.provider!r} is unknown; known: {known}"
        ) from None
    return factory(settings)


class NoneProvider:
    """No model at all: every call raises, so agents take their offline path."""

    endpoint = "none"
    model = "none"
    style: Literal["chat", "completion"] = "chat"

    def _refuse(self) -> Completion:
        raise LLMUnavailableError(
            "no model configured (llm.provider = 'none'); set llm.provider = 'openai', "
            "llm.base_url and llm.model to use one"
        )

    def complete(
        self, messages: Sequence[Message], *, params: dict[str, Any], model: str | None = None
    ) -> Completion:
        """Always raises :class:`LLMUnavailableError`."""
        return self._refuse()

    def complete_prompt(
        self, prompt: str, *, params: dict[str, Any], model: str | None = None
    ) -> Completion:
        """Always raises :class:`LLMUnavailableError`."""
        return self._refuse()

    async def acomplete(
        self, messages: Sequence[Message], *, params: dict[str, Any], model: str | None = None
    ) -> Completion:
        """Always raises :class:`LLMUnavailableError`."""
        return self._refuse()

    async def acomplete_prompt(
        self, prompt: str, *, params: dict[str, Any], model: str | None = None
    ) -> Completion:
        """Always raises :class:`LLMUnavailableError`."""
        return self._refuse()


@register_provider("none")
def _none_provider(settings: LLMSettings) -> Provider:
    return NoneProvider()


class OpenAIProvider:
    """Any OpenAI-compatible endpoint, through the ``openai`` package, sync and async.

    Explicit httpx clients are always passed: they set the timeout and the
    connection pool, and recent ``openai`` versions otherwise send through
    their own transport, which tests could not intercept below the SDK. The
    async client is made on first use, so sync-only runs never build it.
    """

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None,
        timeout: float = 120.0,
        http_client: httpx.Client | None = None,
        endpoint: str | None = None,
        style: Literal["chat", "completion"] = "chat",
    ) -> None:
        import httpx
        import openai

        self.base_url = base_url.rstrip("/")
        self.endpoint = endpoint or self.base_url
        self.model = model
        self.style = style
        self.timeout = timeout
        # Local servers (llama.cpp, Ollama, vLLM) take any key; "EMPTY" is
        # their convention, and a real endpoint answers 401, reported below.
        self._api_key = api_key or "EMPTY"
        # A proxy from the environment must never see calls to a server on
        # this machine (llama.cpp, Ollama, vLLM on loopback).
        self._trust_env = httpx.URL(self.base_url).host not in ("127.0.0.1", "localhost", "::1")
        self._http = http_client or httpx.Client(
            timeout=self._httpx_timeout(), limits=self._httpx_limits(), trust_env=self._trust_env
        )
        self._client = openai.OpenAI(
            api_key=self._api_key,
            base_url=self.base_url,
            max_retries=0,  # we retry ourselves, with the budget in view
            timeout=timeout,
            # The SDK's annotation names its own transport's client class; a
            # plain httpx client is accepted at run time.
            http_client=cast(Any, self._http),
        )
        self._async: Any = None
        self._ahttp: httpx.AsyncClient | None = None
        self._async_loop: asyncio.AbstractEventLoop | None = None

    def _httpx_timeout(self) -> httpx.Timeout:
        import httpx

        return httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0))

    def _httpx_limits(self) -> httpx.Limits:
        import httpx

        return httpx.Limits(max_connections=32, max_keepalive_connections=8)

    def _async_client(self) -> Any:
        # Pooled connections belong to the loop that opened them: a caller that
        # runs asyncio.run() twice gets a fresh client in the second loop.
        loop = asyncio.get_running_loop()
        if self._async is None or self._async_loop is not loop:
            self._async_loop = loop
            import httpx
            import openai

            self._ahttp = httpx.AsyncClient(
                timeout=self._httpx_timeout(),
                limits=self._httpx_limits(),
                trust_env=self._trust_env,
            )
            self._async = openai.AsyncOpenAI(
                api_key=self._api_key,
                base_url=self.base_url,
                max_retries=0,
                timeout=self.timeout,
                http_client=cast(Any, self._ahttp),
            )
        return self._async

    def complete(
        self, messages: Sequence[Message], *, params: dict[str, Any], model: str | None = None
    ) -> Completion:
        """One chat completion; SDK errors become :class:`LLMRequestError`."""
        with self._errors():
            resp = self._client.chat.completions.create(
                model=model or self.model, messages=cast(Any, list(messages)), **params
            )
        return self._chat_answer(resp, model)

    async def acomplete(
        self, messages: Sequence[Message], *, params: dict[str, Any], model: str | None = None
    ) -> Completion:
        """:meth:`complete` on the async client."""
        with self._errors():
            resp = await self._async_client().chat.completions.create(
                model=model or self.model, messages=cast(Any, list(messages)), **params
            )
        return self._chat_answer(resp, model)

    def complete_prompt(
        self, prompt: str, *, params: dict[str, Any], model: str | None = None
    ) -> Completion:
        """One plain completion (``/v1/completions``), for base models."""
        with self._errors():
            resp = self._client.completions.create(
                model=model or self.model, prompt=prompt, **params
            )
        return self._text_answer(resp, model)

    async def acomplete_prompt(
        self, prompt: str, *, params: dict[str, Any], model: str | None = None
    ) -> Completion:
        """:meth:`complete_prompt` on the async client."""
        with self._errors():
            resp = await self._async_client().completions.create(
                model=model or self.model, prompt=prompt, **params
            )
        return self._text_answer(resp, model)

    def _chat_answer(self, resp: Any, model: str | None) -> Completion:
        if not resp.choices:
            raise LLMRequestError(f"{self.endpoint}: the answer has no choices", retryable=True)
        return self._answer(resp, resp.choices[0].message.content or "", model)

    def _text_answer(self, resp: Any, model: str | None) -> Completion:
        if not resp.choices:
            raise LLMRequestError(f"{self.endpoint}: the answer has no choices", retryable=True)
        return self._answer(resp, resp.choices[0].text or "", model)

    def _answer(self, resp: Any, text: str, model: str | None) -> Completion:
        usage = resp.usage
        return Completion(
            text=text,
            model=resp.model or model or self.model,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
        )

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn the SDK's errors into :class:`LLMRequestError`, retryable or not."""
        import openai

        try:
            yield
        except openai.APIStatusError as exc:
            status = exc.status_code
            hint = " (is the API key variable set?)" if status in (401, 403) else ""
            raise LLMRequestError(
                f"{self.endpoint}: HTTP {status}: {_error_text(exc)}{hint}",
                status=status,
                retryable=status == 429 or status >= 500,
                retry_after=_retry_after(exc.response.headers.get("retry-after")),
            ) from exc
        except openai.APITimeoutError as exc:
            raise LLMRequestError(f"{self.endpoint}: timed out", retryable=True) from exc
        except openai.APIConnectionError as exc:
            cause = exc.__cause__ or exc
            raise LLMRequestError(
                f"{self.endpoint}: connection failed: {cause}", retryable=True
            ) from exc
        except openai.OpenAIError as exc:
            raise LLMRequestError(f"{self.endpoint}: {exc}") from exc

    def close(self) -> None:
        """Close the connection pools (the async one too, when its loop can still run it)."""
        self._http.close()
        ahttp, loop = self._ahttp, self._async_loop
        self._ahttp = self._async = self._async_loop = None
        if ahttp is not None and loop is not None and not loop.is_closed():
            if not loop.is_running():
                loop.run_until_complete(ahttp.aclose())
            else:  # closing from inside the loop: leave the closing to it
                loop.create_task(ahttp.aclose())


def _error_text(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and "message" in inner:
            return str(inner["message"])
        return json.dumps(body)
    return str(getattr(exc, "message", exc))


def _retry_after(value: str | None) -> float | None:
    # Only the seconds form: HTTP dates are rare from model servers, and a
    # wrong guess would just fall back to our own backoff.
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if 0 <= seconds < math.inf else None


@register_provider("openai")
def _openai_provider(settings: LLMSettings) -> Provider:
    if not settings.model:
        raise ConfigError("llm.model is not set; the openai provider needs a model name")
    return OpenAIProvider(
        base_url=settings.base_url,
        model=settings.model,
        api_key=os.environ.get(settings.api_key_env),
        timeout=settings.timeout,
    )


@dataclass
class FakeProvider:
    """A canned model for tests: ``enqueue`` answers, read what it was asked in ``history``.

    An enqueued exception is raised instead of answered, to script failures.
    A plain completion is recorded as one message with role ``prompt``;
    ``models`` records the model each call asked for. With a ``responder``,
    calls that find the queue empty get its answer to the messages instead.
    """

    endpoint: str = "fake://model"
    model: str = "fake"
    style: Literal["chat", "completion"] = "chat"
    replies: list[str | Exception] = field(default_factory=list)
    history: list[tuple[list[Message], dict[str, Any]]] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    responder: Callable[[list[Message]], str | Exception] | None = None

    def enqueue(self, replies: Iterable[str | Exception]) -> None:
        """Queue answers (or errors) for the next calls, in order."""
        self.replies.extend(replies)

    def complete(
        self, messages: Sequence[Message], *, params: dict[str, Any], model: str | None = None
    ) -> Completion:
        """Pop the next canned answer; fail loudly when none is left."""
        self.history.append((list(messages), dict(params)))
        self.models.append(model or self.model)
        if self.replies:
            reply = self.replies.pop(0)
        elif self.responder is not None:
            reply = self.responder(list(messages))
        else:
            raise AssertionError("FakeProvider: no reply enqueued for this call")
        if isinstance(reply, Exception):
            raise reply
        prompt = sum(len(m["content"].split()) for m in messages)
        return Completion(reply, model or self.model, prompt, len(reply.split()))

    def complete_prompt(
        self, prompt: str, *, params: dict[str, Any], model: str | None = None
    ) -> Completion:
        """Like :meth:`complete`, for a plain prompt."""
        return self.complete([{"role": "prompt", "content": prompt}], params=params, model=model)

    async def acomplete(
        self, messages: Sequence[Message], *, params: dict[str, Any], model: str | None = None
    ) -> Completion:
        """:meth:`complete`, awaitable."""
        return self.complete(messages, params=params, model=model)

    async def acomplete_prompt(
        self, prompt: str, *, params: dict[str, Any], model: str | None = None
    ) -> Completion:
        """:meth:`complete_prompt`, awaitable."""
        return self.complete_prompt(prompt, params=params, model=model)


class Budget:
    """Calls, tokens and money one run may spend; shared by every client of the run.

    Answers from the cache count as calls and tokens (so a replayed run makes
    the same calls and stops at the same point) but cost no money. Money is
    counted only where prices are given (per million prompt and completion
    tokens). Thread-safe.
    """

    def __init__(
        self,
        max_calls: int | None = None,
        max_tokens: int | None = None,
        *,
        max_cost: float | None = None,
        price_prompt: float | None = None,
        price_completion: float | None = None,
    ) -> None:
        self.max_calls = max_calls
        self.max_tokens = max_tokens
        self.max_cost = max_cost
        self.price_prompt = price_prompt or 0.0
        self.price_completion = price_completion or 0.0
        self.calls = 0
        self.tokens = 0
        self.cost = 0.0
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> Budget:
        """The budget the ``[llm]`` settings give a run."""
        return cls(
            settings.max_calls,
            settings.max_tokens,
            max_cost=settings.max_cost,
            price_prompt=settings.price_prompt,
            price_completion=settings.price_completion,
        )

    def covers(self, calls: int, tokens: int) -> bool:
        """Whether ``calls`` more calls of ``tokens`` tokens in all fit in what is left.

        Calls sent together may run out only if they do not: which of them got
        the last call would be a race, and a replay from the cache could stop
        elsewhere than the run did.
        """
        price = max(self.price_prompt, self.price_completion) / 1e6
        with self._lock:
            return (
                (self.max_calls is None or self.calls + calls <= self.max_calls)
                and (self.max_tokens is None or self.tokens + tokens <= self.max_tokens)
                and (self.max_cost is None or self.cost + tokens * price <= self.max_cost)
            )

    def reserve(self, *, paid: bool = True) -> None:
        """Count one call about to be sent, or raise :class:`BudgetExhausted`.

        The call is counted before it is sent, so concurrent callers cannot
        all slip past the last free call. ``paid=False`` (a cache hit) is not
        stopped by the money limit.
        """
        with self._lock:
            if self.max_calls is not None and self.calls >= self.max_calls:
                raise BudgetExhausted(f"LLM budget spent: {self.calls} of {self.max_calls} calls")
            if self.max_tokens is not None and self.tokens >= self.max_tokens:
                raise BudgetExhausted(
                    f"LLM budget spent: {self.tokens} of {self.max_tokens} tokens"
                )
            if paid and self.max_cost is not None and self.cost >= self.max_cost:
                raise BudgetExhausted(
                    f"LLM budget spent: {self.cost:.4f} of {self.max_cost:.4f} (money)"
                )
            self.calls += 1

    def charge(self, prompt_tokens: int, completion_tokens: int = 0, *, paid: bool = True) -> None:
        """Add what a finished call used; ``paid=False`` (a cache hit) costs no money."""
        with self._lock:
            self.tokens += prompt_tokens + completion_tokens
            if paid:
                self.cost += (
                    prompt_tokens * self.price_prompt + completion_tokens * self.price_completion
                ) / 1e6


class OldestFirst:
    """At most ``limit`` holders at once; a free slot goes to the waiter with the lowest priority.

    The priority is when a waiter's task began: a batch run's tasks then finish
    one after another instead of all together, so while the oldest tasks hold
    the model, new ones run their tests (which need no slot) and are ready to
    ask when a slot frees. With first-come order the tasks of a run advance in
    step, finish together, and the model idles while their successors start.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._held = 0
        self._waiting: list[tuple[float, int]] = []
        self._turn = itertools.count()
        self._changed = threading.Condition()

    @contextlib.contextmanager
    def slot(self, priority: float) -> Iterator[None]:
        """Hold a slot for the block."""
        entry = (priority, next(self._turn))
        with self._changed:
            heapq.heappush(self._waiting, entry)
            try:
                while self._held >= self.limit or self._waiting[0] != entry:
                    self._changed.wait()
            except BaseException:  # interrupted while waiting: leave the queue to the others
                self._waiting.remove(entry)
                heapq.heapify(self._waiting)
                self._changed.notify_all()
                raise
            heapq.heappop(self._waiting)
            self._held += 1
            self._changed.notify_all()  # the next in line may fit too
        try:
            yield
        finally:
            with self._changed:
                self._held -= 1
                self._changed.notify_all()


# One limit per endpoint, shared by every client of this process, so two
# agents running side by side cannot together exceed the server's limit.
_SEMAPHORES: dict[str, OldestFirst] = {}
_SEMAPHORES_LOCK = threading.Lock()


def _endpoint_semaphore(endpoint: str, limit: int) -> OldestFirst:
    with _SEMAPHORES_LOCK:
        sem = _SEMAPHORES.get(endpoint)
        if sem is None:
            sem = _SEMAPHORES[endpoint] = OldestFirst(limit)
        return sem


def cache_key(
    endpoint: str, model: str, messages: Sequence[Message], params: dict[str, Any]
) -> str:
    """sha256 of the whole request: endpoint, model, messages and every parameter."""
    blob = json.dumps(
        {"endpoint": endpoint, "model": model, "messages": list(messages), "params": params},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(blob.encode()).hexdigest()


_FENCED = re.compile(r"```(?:json)?\s*\n?(.*?)```", re.DOTALL | re.IGNORECASE)


def extract_json(text: str) -> Any:
    """The JSON value in a model's answer: the whole text, a fenced block, or the first {...}.

    Raises ``ValueError`` when none parses.
    """
    candidates = [text.strip()]
    candidates += [m.group(1).strip() for m in _FENCED.finditer(text)]
    start = text.find("{")
    if start >= 0:
        # raw_decode stops at the end of the first complete object, so prose
        # after it (common in plain-text answers) does not matter.
        candidates.append(text[start:])
    # strict=False: raw newlines and tabs inside strings. llama.cpp's grammar for
    # json_object with a schema lets a small model write them (the 1.5B put a
    # fenced block in its "bug" sentence), and they are what the model meant.
    decoder = json.JSONDecoder(strict=False)
    for candidate in candidates:
        if not candidate:
            continue
        try:
            value, _end = decoder.raw_decode(candidate)
        except json.JSONDecodeError:
            continue
        return value
    raise ValueError("no JSON object found in the answer")


def _refuses_format(exc: LLMRequestError) -> bool:
    # llama.cpp's server and some proxies answer 400 (or 422) naming the field
    # they do not support; anything else is a real error and is raised.
    text = str(exc).lower()
    names_it = any(word in text for word in ("response_format", "json_schema", "json_object"))
    if exc.status in (400, 422):
        return names_it
    # llama-cpp-python's server answers a request it cannot validate with 500
    # ("1 validation error ... response_format ..."): not worth retrying.
    return exc.status == 500 and names_it and "validation error" in text


def _with_schema(messages: list[Message], schema: type[BaseModel]) -> list[Message]:
    """``messages`` told to answer in ``schema``'s JSON.

    The instruction joins the first system message rather than adding a
    second one: several chat templates (Gemma's, Mistral's) keep at most one
    system message, or fold it into the first user turn.
    """
    note = "Answer with one JSON object only, no prose, matching this JSON schema:\n" + json.dumps(
        schema.model_json_schema(), sort_keys=True
    )
    out = list(messages)
    for i, message in enumerate(out):
        if message["role"] == "system":
            out[i] = {**message, "content": message["content"] + "\n\n" + note}
            return out
    return [{"role": "system", "content": note}, *out]


@dataclass(frozen=True)
class _Send:
    """A request the driver sends: chat messages, or one ``prompt`` message for a completion."""

    kind: Literal["chat", "prompt"]
    messages: list[Message]
    model: str
    params: dict[str, Any]
    timeout: float | None = None
    """Seconds this request may take, when the run's deadline cuts the provider's own."""


def _with_timeout(request: _Send) -> dict[str, Any]:
    # The openai SDK takes a per-request timeout among the call's keywords.
    if request.timeout is None:
        return request.params
    return {**request.params, "timeout": request.timeout}


@dataclass(frozen=True)
class _Sleep:
    seconds: float


R = TypeVar("R")
# The client's logic is written once, as generators that yield what to do
# (send, sleep) and get back the answer or the error; a sync and an async
# driver carry it out. Retries, budget, cache and negotiation are thus the
# same code on both paths.
_Flow = Generator["_Send | _Sleep", Any, R]

_ASYNC_SEMAPHORES: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]
] = weakref.WeakKeyDictionary()


class LLMClient:
    """Calls a provider with budget, retries, cache, usage accounting and a concurrency limit.

    Every call has a sync and an async form (``complete`` / ``acomplete``, ...).
    ``sleep``, ``asleep`` and ``rng`` are injectable so tests neither wait nor
    depend on chance. ``store`` is optional: without it there is no cache and
    usage is only kept in :attr:`usage`. ``models`` maps an agent's name to
    the model it talks to (default: the provider's).
    """

    def __init__(
        self,
        provider: Provider,
        *,
        store: Store | None = None,
        run_id: str | None = None,
        budget: Budget | None = None,
        concurrency: int = 4,
        max_retries: int = 4,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        asleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
        read_cache: bool = True,
        models: Mapping[str, str] | None = None,
        shared_limit: ClusterLimit | None = None,
    ) -> None:
        self.provider = provider
        self.read_cache = read_cache
        """False (``--no-cache``): never answer from the cache, still fill it."""
        self.store = store
        self.run_id = run_id
        self.budget = budget or Budget()
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.asleep = asleep
        self.rng = rng or random.Random()
        self.models = dict(models or {})
        self.task_id: str | None = None
        """The task this client's calls are for (see :meth:`for_task`)."""
        self.usage = Usage()
        self.agent_usage: dict[str, Usage] = {}
        """:attr:`usage` per agent (``-`` for calls that name none)."""
        self.replies: dict[str, dict[str, int]] = {}
        """Per agent, structured answers that were ``well_formed`` at once, ``repaired``
        by the repair turn, or ``invalid`` after it; and fixer answers in the form
        asked that, every try, changed nothing or repeated a fix already run
        (``unchanged``: the model found no fix, which is not a malformed reply)."""
        self._usage_lock = threading.Lock()
        self._concurrency = concurrency
        self._semaphore = _endpoint_semaphore(provider.endpoint, concurrency)
        self.shared_limit = shared_limit
        """A limit shared with other processes (a Ray run's), held instead of this process's."""
        self.priority: float | None = None
        """When this client's task began: the limit serves the oldest task first (see
        :class:`OldestFirst`); None (calls for no task) waits as if it began now."""
        # Structured-output mode that worked per endpoint, remembered so a
        # server that refused json_schema once is not asked again.
        self._modes: dict[str, Mode] = {}
        self.deadline: float | None = None
        """When the run must end, on the ``time.monotonic()`` clock (see :meth:`until`)."""

    @property
    def concurrency(self) -> int:
        """Requests this client may have in flight at once (its endpoint's limit)."""
        return self._concurrency

    def for_task(self, task_id: str) -> LLMClient:
        """A client for one task of the run: same model, budget, cache and limits, its own usage.

        Its :attr:`usage` counts only this task's calls, and its usage rows
        carry the task's id, so a batch run reports calls and tokens per task.
        """
        child = copy.copy(self)
        child.task_id = task_id
        child.priority = time.time()  # a wall clock: comparable across a cluster's nodes
        child.usage = Usage()
        child.agent_usage = {}
        child.replies = {}
        child._usage_lock = threading.Lock()
        return child

    def until(self, deadline: float | None) -> LLMClient:
        """This client, its calls bounded by ``deadline`` (a ``time.monotonic()`` value).

        Each request's timeout is cut to the time left and no backoff sleeps
        past it; with less than a second left a call is not sent at all
        (:class:`BudgetExhausted`), so a run's wall-clock budget holds even
        while it waits for a slow model.
        """
        child = copy.copy(self)
        child.deadline = deadline
        return child

    def _cut(self, left: float) -> float:
        own = getattr(self.provider, "timeout", None)
        return left if own is None else min(left, float(own))

    def _time_left(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    @property
    def style(self) -> Literal["chat", "completion"]:
        """How the provider's model is best asked: ``chat`` or ``completion``."""
        return getattr(self.provider, "style", "chat")

    def model_for(self, agent: str | None) -> str:
        """The model ``agent`` talks to."""
        return (self.models.get(agent) if agent else None) or self.provider.model

    # -- public calls, sync and async -------------------------------------

    def complete(
        self,
        messages: Sequence[Message],
        *,
        agent: str | None = None,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        response_format: dict[str, Any] | None = None,
        use_cache: bool = True,
        seed: int | None = None,
    ) -> Completion:
        """One answer to ``messages``, from the cache if it was asked before.

        ``use_cache=False`` skips reading the cache but still writes the answer;
        ``seed`` makes a sample at a temperature above zero repeatable and its
        own cache entry.
        """
        request = self._request(
            "chat", messages, agent, temperature, max_tokens, response_format, seed=seed
        )
        return self._run(self._complete_flow(request, agent, use_cache))

    async def acomplete(
        self,
        messages: Sequence[Message],
        *,
        agent: str | None = None,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        response_format: dict[str, Any] | None = None,
        use_cache: bool = True,
        seed: int | None = None,
    ) -> Completion:
        """:meth:`complete`, without blocking the event loop."""
        request = self._request(
            "chat", messages, agent, temperature, max_tokens, response_format, seed=seed
        )
        return await self._arun(self._complete_flow(request, agent, use_cache))

    def complete_prompt(
        self,
        prompt: str,
        *,
        agent: str | None = None,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        stop: Sequence[str] = (),
        seed: int | None = None,
        use_cache: bool = True,
    ) -> Completion:
        """A base model's continuation of ``prompt`` (``/v1/completions``).

        ``seed`` makes a sample at a temperature above zero repeatable (where
        the server honours it) and gives each sample its own cache entry.
        """
        request = self._prompt_request(prompt, agent, temperature, max_tokens, stop, seed)
        return self._run(self._complete_flow(request, agent, use_cache))

    async def acomplete_prompt(
        self,
        prompt: str,
        *,
        agent: str | None = None,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        stop: Sequence[str] = (),
        seed: int | None = None,
        use_cache: bool = True,
    ) -> Completion:
        """:meth:`complete_prompt`, without blocking the event loop."""
        request = self._prompt_request(prompt, agent, temperature, max_tokens, stop, seed)
        return await self._arun(self._complete_flow(request, agent, use_cache))

    def structured(
        self,
        messages: Sequence[Message],
        schema: type[T],
        *,
        agent: str | None = None,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        use_cache: bool = True,
        seed: int | None = None,
    ) -> T:
        """An answer parsed into ``schema``, negotiating how the endpoint can be asked for JSON.

        An answer that does not validate is sent back once with the error;
        a second failure raises :class:`LLMOutputError`. ``seed`` makes a
        sample at a temperature above zero repeatable and its own cache entry.
        """
        flow = self._structured_flow(
            messages, schema, agent, temperature, max_tokens, use_cache, seed
        )
        return self._run(flow)

    async def astructured(
        self,
        messages: Sequence[Message],
        schema: type[T],
        *,
        agent: str | None = None,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        use_cache: bool = True,
        seed: int | None = None,
    ) -> T:
        """:meth:`structured`, without blocking the event loop."""
        flow = self._structured_flow(
            messages, schema, agent, temperature, max_tokens, use_cache, seed
        )
        return await self._arun(flow)

    # -- drivers -----------------------------------------------------------

    def _run(self, flow: _Flow[R]) -> R:
        try:
            action = next(flow)
            while True:
                if isinstance(action, _Sleep):
                    self.sleep(action.seconds)
                    action = flow.send(None)
                    continue
                try:
                    with self._slot():
                        outcome = self._send(action)
                except LLMRequestError as exc:
                    action = flow.throw(exc)
                else:
                    action = flow.send(outcome)
        except StopIteration as stop:
            return cast(R, stop.value)

    async def _arun(self, flow: _Flow[R]) -> R:
        try:
            action = next(flow)
            while True:
                if isinstance(action, _Sleep):
                    await self.asleep(action.seconds)
                    action = flow.send(None)
                    continue
                try:
                    async with self._async_slot():
                        outcome = await self._asend(action)
                except LLMRequestError as exc:
                    action = flow.throw(exc)
                else:
                    action = flow.send(outcome)
        except StopIteration as stop:
            return cast(R, stop.value)

    def _send(self, request: _Send) -> Completion:
        params = _with_timeout(request)
        if request.kind == "prompt":
            prompt = request.messages[0]["content"]
            return interrupts.wait_for(
                lambda: self.provider.complete_prompt(prompt, params=params, model=request.model)
            )
        # A worker thread waiting minutes on a model must not hold the run after Ctrl-C.
        return interrupts.wait_for(
            lambda: self.provider.complete(request.messages, params=params, model=request.model)
        )

    async def _asend(self, request: _Send) -> Completion:
        params = _with_timeout(request)
        if request.kind == "prompt":
            prompt = request.messages[0]["content"]
            return await self.provider.acomplete_prompt(prompt, params=params, model=request.model)
        return await self.provider.acomplete(request.messages, params=params, model=request.model)

    def _slot(self) -> contextlib.AbstractContextManager[Any]:
        priority = time.time() if self.priority is None else self.priority
        if self.shared_limit is None:
            return self._semaphore.slot(priority)
        return self.shared_limit.slot(priority)

    def _async_slot(self) -> contextlib.AbstractAsyncContextManager[Any]:
        if self.shared_limit is None:
            return self._async_semaphore()
        return self.shared_limit.aslot(time.time() if self.priority is None else self.priority)

    def _async_semaphore(self) -> asyncio.Semaphore:
        # asyncio primitives belong to one loop, so the per-endpoint limit is
        # kept per loop; sync and async callers each hold their own limit.
        per_loop = _ASYNC_SEMAPHORES.setdefault(asyncio.get_running_loop(), {})
        sem = per_loop.get(self.provider.endpoint)
        if sem is None:
            sem = per_loop[self.provider.endpoint] = asyncio.Semaphore(self._concurrency)
        return sem

    # -- the logic, once ---------------------------------------------------

    def _request(
        self,
        kind: Literal["chat", "prompt"],
        messages: Sequence[Message],
        agent: str | None,
        temperature: float,
        max_tokens: int | None,
        response_format: dict[str, Any] | None = None,
        stop: Sequence[str] = (),
        seed: int | None = None,
    ) -> _Send:
        params: dict[str, Any] = {"temperature": temperature}
        if seed is not None:
            params["seed"] = seed
        params["max_tokens"] = max_tokens or ANSWER_TOKENS
        if response_format is not None:
            params["response_format"] = response_format
        if stop:
            params["stop"] = list(stop)
        return _Send(kind, list(messages), self.model_for(agent), params)

    def _prompt_request(
        self,
        prompt: str,
        agent: str | None,
        temperature: float,
        max_tokens: int | None,
        stop: Sequence[str],
        seed: int | None,
    ) -> _Send:
        messages = [{"role": "prompt", "content": prompt}]
        return self._request(
            "prompt", messages, agent, temperature, max_tokens, stop=stop, seed=seed
        )

    def _complete_flow(
        self, request: _Send, agent: str | None, use_cache: bool
    ) -> _Flow[Completion]:
        key = cache_key(self.provider.endpoint, request.model, request.messages, request.params)
        if use_cache and self.read_cache and self.store is not None:
            hit = self.store.cache_get(key)
            if hit is not None:
                # A cached answer counts against the calls and tokens a run may
                # use (not its money): a repeated run then stops where the first
                # one stopped, and gives the same answers without a request.
                self.budget.reserve(paid=False)
                self.budget.charge(hit.prompt_tokens, hit.completion_tokens, paid=False)
                self._record(agent, hit.model, hit.prompt_tokens, hit.completion_tokens, 0.0, True)
                return Completion(
                    hit.response, hit.model, hit.prompt_tokens, hit.completion_tokens, cached=True
                )
        started = time.monotonic()
        attempt = 0
        while True:
            left = self._time_left()
            if left is not None and left < _MIN_CALL_SECONDS:
                raise BudgetExhausted(
                    f"the run's time budget ends in {max(left, 0.0):.1f} s: no model call"
                )
            self.budget.reserve()
            try:
                # The request's own timeout, cut to the run's deadline (not part
                # of the cache key: the answer does not depend on it).
                result: Completion = yield (
                    request
                    if left is None
                    else dataclasses.replace(request, timeout=self._cut(left))
                )
            except LLMRequestError as exc:
                if _refuses_format(exc):
                    raise  # the server cannot take this request; negotiation moves on
                if not exc.retryable or attempt >= self.max_retries:
                    if exc.retryable:
                        raise LLMRequestError(
                            f"{exc} (gave up after {attempt + 1} attempts)",
                            status=exc.status,
                            retryable=False,
                        ) from exc
                    raise
                delay = self._delay(attempt, exc.retry_after)
                left = self._time_left()
                if left is not None and left - delay < _MIN_CALL_SECONDS:
                    raise BudgetExhausted(
                        f"{exc}; the run's time budget leaves no room for another attempt"
                    ) from exc
                yield _Sleep(delay)
                attempt += 1
                continue
            break
        self.budget.charge(result.prompt_tokens, result.completion_tokens)
        seconds = time.monotonic() - started
        if self.store is not None:
            self.store.cache_put(
                key,
                CachedResponse(
                    result.text, result.model, result.prompt_tokens, result.completion_tokens
                ),
            )
        self._record(
            agent, result.model, result.prompt_tokens, result.completion_tokens, seconds, False
        )
        return result

    def _structured_flow(
        self,
        messages: Sequence[Message],
        schema: type[T],
        agent: str | None,
        temperature: float,
        max_tokens: int | None,
        use_cache: bool,
        seed: int | None = None,
    ) -> _Flow[T]:
        endpoint = self.provider.endpoint
        convo = list(messages)
        for attempt in range(2):
            answer = yield from self._negotiate_flow(
                convo, schema, agent, temperature, max_tokens, use_cache, seed
            )
            try:
                parsed = schema.model_validate(extract_json(answer))
            except (ValueError, ValidationError) as exc:
                if attempt == 1:
                    self.count_reply(agent, "invalid")
                    raise LLMOutputError(
                        f"{endpoint}: the answer does not match {schema.__name__} "
                        f"after a repair turn: {exc}"
                    ) from exc
                convo += [
                    {"role": "assistant", "content": answer},
                    {
                        "role": "user",
                        "content": (
                            f"That answer is not valid: {exc}\n"
                            "Reply again with only the corrected JSON object."
                        ),
                    },
                ]
            else:
                self.count_reply(agent, "repaired" if attempt else "well_formed")
                return parsed
        raise AssertionError("unreachable")  # pragma: no cover

    def count_reply(
        self,
        agent: str | None,
        outcome: Literal["well_formed", "repaired", "invalid", "unchanged"],
    ) -> None:
        """Count one answer of ``agent`` in :attr:`replies` (also for agents that parse text)."""
        with self._usage_lock:
            counts = self.replies.setdefault(agent or "-", {})
            counts[outcome] = counts.get(outcome, 0) + 1

    def _negotiate_flow(
        self,
        messages: list[Message],
        schema: type[BaseModel],
        agent: str | None,
        temperature: float,
        max_tokens: int | None,
        use_cache: bool,
        seed: int | None = None,
    ) -> _Flow[str]:
        endpoint = self.provider.endpoint
        start = _MODES.index(self._modes.get(endpoint, "json_schema"))
        for mode in _MODES[start:]:
            fmt: dict[str, Any] | None
            if mode == "json_schema":
                fmt = {
                    "type": "json_schema",
                    "json_schema": {
                        "name": schema.__name__,
                        "schema": schema.model_json_schema(),
                        # strict mode demands additionalProperties=false and
                        # every field required, which plain pydantic schemas lack.
                        "strict": False,
                    },
                }
                convo = messages
            elif mode == "json_object_schema":
                fmt = {"type": "json_object", "schema": schema.model_json_schema()}
                convo = _with_schema(messages, schema)
            else:
                fmt = {"type": "json_object"} if mode == "json_object" else None
                convo = _with_schema(messages, schema)
            request = self._request("chat", convo, agent, temperature, max_tokens, fmt, seed=seed)
            try:
                result = yield from self._complete_flow(request, agent, use_cache)
            except LLMRequestError as exc:
                if mode != "text" and _refuses_format(exc):
                    continue
                raise
            self._modes[endpoint] = mode
            return result.text
        raise AssertionError("unreachable")  # pragma: no cover - "text" never continues

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            # The server knows when it will take us again; guessing shorter
            # only earns another 429. A wait past max_backoff is capped: a
            # run that sleeps for hours has stopped, not waited.
            return min(retry_after, self.max_backoff)
        ceiling = min(self.max_backoff, self.backoff * 2.0**attempt)
        # "Equal jitter": at least half the ceiling, so retries do spread out
        # but never collapse to an immediate hammering.
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)

    def _record(
        self,
        agent: str | None,
        model: str,
        prompt_tokens: int,
        completion_tokens: int,
        seconds: float,
        cached: bool,
    ) -> None:
        if not cached:
            spent = Usage(
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                calls=1,
                seconds=seconds,
            )
            with self._usage_lock:
                self.usage = self.usage + spent
                name = agent or "-"
                self.agent_usage[name] = self.agent_usage.get(name, Usage()) + spent
        if self.store is not None:
            self.store.record_llm_usage(
                run_id=self.run_id,
                agent=agent,
                model=model,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                seconds=seconds,
                cached=cached,
                task_id=self.task_id,
            )


AGENTS = ("localizer", "fixer", "explainer", "reviewer")
"""The agents that may be given a model of their own (``llm.<agent>_model``)."""


def make_client(
    settings: LLMSettings,
    *,
    store: Store | None = None,
    run_id: str | None = None,
    budget: Budget | None = None,
    read_cache: bool = True,
    shared_limit: ClusterLimit | None = None,
) -> LLMClient:
    """The client the ``[llm]`` settings describe, with the run's budget."""
    models = {agent: m for agent in AGENTS if (m := getattr(settings, f"{agent}_model"))}
    return LLMClient(
        get_provider(settings),
        store=store,
        run_id=run_id,
        budget=budget or Budget.from_settings(settings),
        concurrency=settings.concurrency,
        read_cache=read_cache,
        models=models,
        shared_limit=shared_limit,
    )
