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
  (``json_schema`` → ``json_object`` → plain text with the JSON extracted).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, cast

from pydantic import BaseModel, ValidationError

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

    from duckfix.store import Store

__all__ = [
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

Mode = Literal["json_schema", "json_object", "text"]
_MODES: tuple[Mode, ...] = ("json_schema", "json_object", "text")
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

    ``endpoint`` names the server (its base URL) for the cache key, the
    concurrency limit and the structured-output negotiation. A provider raises
    :class:`LLMRequestError` (``retryable=True`` for 429 / 5xx / timeouts /
    dropped connections) and never retries on its own: the client does.
    """

    endpoint: str
    model: str

    def complete(
        self, messages: Sequence[Message], *, params: dict[str, Any]
    ) -> Completion:  # pragma: no cover - protocol
        """Send one chat request; ``params`` are extra request fields (temperature, ...)."""
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
    try:
        factory = PROVIDERS[settings.provider]
    except KeyError:
        known = ", ".join(sorted(PROVIDERS))
        raise ConfigError(
            f"llm.provider {settings.provider!r} is unknown; known: {known}"
        ) from None
    return factory(settings)


class NoneProvider:
    """No model at all: every call raises, so agents take their offline path."""

    endpoint = "none"
    model = "none"

    def complete(self, messages: Sequence[Message], *, params: dict[str, Any]) -> Completion:
        """Always raises :class:`LLMUnavailableError`."""
        raise LLMUnavailableError(
            "no model configured (llm.provider = 'none'); set llm.provider = 'openai', "
            "llm.base_url and llm.model to use one"
        )


@register_provider("none")
def _none_provider(settings: LLMSettings) -> Provider:
    return NoneProvider()


class OpenAIProvider:
    """Any OpenAI-compatible chat endpoint, through the ``openai`` package.

    An explicit httpx client is always passed: it sets the timeout and the
    connection pool, and recent ``openai`` versions otherwise send through
    their own transport, which tests could not intercept below the SDK.
    """

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None,
        timeout: float = 120.0,
        http_client: httpx.Client | None = None,
    ) -> None:
        import httpx
        import openai

        self.endpoint = base_url.rstrip("/")
        self.model = model
        self._http = http_client or httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=8),
        )
        # Local servers (llama.cpp, Ollama, vLLM) take any key; "EMPTY" is
        # their convention, and a real endpoint answers 401, reported below.
        self._client = openai.OpenAI(
            api_key=api_key or "EMPTY",
            base_url=self.endpoint,
            max_retries=0,  # we retry ourselves, with the budget in view
            timeout=timeout,
            # The SDK's annotation names its own transport's client class; a
            # plain httpx client is accepted at run time.
            http_client=cast(Any, self._http),
        )

    def complete(self, messages: Sequence[Message], *, params: dict[str, Any]) -> Completion:
        """One chat completion; SDK errors become :class:`LLMRequestError`."""
        import openai

        try:
            resp = self._client.chat.completions.create(
                model=self.model, messages=cast(Any, list(messages)), **params
            )
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
        if not resp.choices:
            raise LLMRequestError(f"{self.endpoint}: the answer has no choices", retryable=True)
        usage = resp.usage
        return Completion(
            text=resp.choices[0].message.content or "",
            model=resp.model or self.model,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()


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
    return seconds if seconds >= 0 else None


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
    """

    endpoint: str = "fake://model"
    model: str = "fake"
    replies: list[str | Exception] = field(default_factory=list)
    history: list[tuple[list[Message], dict[str, Any]]] = field(default_factory=list)

    def enqueue(self, replies: Iterable[str | Exception]) -> None:
        """Queue answers (or errors) for the next calls, in order."""
        self.replies.extend(replies)

    def complete(self, messages: Sequence[Message], *, params: dict[str, Any]) -> Completion:
        """Pop the next canned answer; fail loudly when none is left."""
        self.history.append((list(messages), dict(params)))
        if not self.replies:
            raise AssertionError("FakeProvider: no reply enqueued for this call")
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        prompt = sum(len(m["content"].split()) for m in messages)
        return Completion(reply, self.model, prompt, len(reply.split()))


class Budget:
    """Calls and tokens one run may spend; shared by every client of the run, thread-safe."""

    def __init__(self, max_calls: int | None = None, max_tokens: int | None = None) -> None:
        self.max_calls = max_calls
        self.max_tokens = max_tokens
        self.calls = 0
        self.tokens = 0
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> Budget:
        """The budget the ``[llm]`` settings give a run."""
        return cls(settings.max_calls, settings.max_tokens)

    def reserve(self) -> None:
        """Count one call about to be sent, or raise :class:`BudgetExhausted`.

        The call is counted before it is sent, so concurrent callers cannot
        all slip past the last free call.
        """
        with self._lock:
            if self.max_calls is not None and self.calls >= self.max_calls:
                raise BudgetExhausted(f"LLM budget spent: {self.calls} of {self.max_calls} calls")
            if self.max_tokens is not None and self.tokens >= self.max_tokens:
                raise BudgetExhausted(
                    f"LLM budget spent: {self.tokens} of {self.max_tokens} tokens"
                )
            self.calls += 1

    def charge(self, tokens: int) -> None:
        """Add the tokens a finished call used."""
        with self._lock:
            self.tokens += tokens


# One semaphore per endpoint, shared by every client of this process, so two
# agents running side by side cannot together exceed the server's limit.
_SEMAPHORES: dict[str, threading.BoundedSemaphore] = {}
_SEMAPHORES_LOCK = threading.Lock()


def _endpoint_semaphore(endpoint: str, limit: int) -> threading.BoundedSemaphore:
    with _SEMAPHORES_LOCK:
        sem = _SEMAPHORES.get(endpoint)
        if sem is None:
            sem = _SEMAPHORES[endpoint] = threading.BoundedSemaphore(limit)
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
    decoder = json.JSONDecoder()
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
    if exc.status not in (400, 422):
        return False
    text = str(exc).lower()
    return any(word in text for word in ("response_format", "json_schema", "json_object"))


def _schema_prompt(schema: type[BaseModel]) -> Message:
    return {
        "role": "system",
        "content": (
            "Answer with one JSON object only, no prose, matching this JSON schema:\n"
            + json.dumps(schema.model_json_schema(), sort_keys=True)
        ),
    }


class LLMClient:
    """Calls a provider with budget, retries, cache, usage accounting and a concurrency limit.

    ``sleep`` and ``rng`` are injectable so tests neither wait nor depend on
    chance. ``store`` is optional: without it there is no cache and usage is
    only kept in :attr:`usage`.
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
        rng: random.Random | None = None,
        read_cache: bool = True,
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
        self.rng = rng or random.Random()
        self.usage = Usage()
        self._usage_lock = threading.Lock()
        self._semaphore = _endpoint_semaphore(provider.endpoint, concurrency)
        # Structured-output mode that worked per endpoint, remembered so a
        # server that refused json_schema once is not asked again.
        self._modes: dict[str, Mode] = {}

    def complete(
        self,
        messages: Sequence[Message],
        *,
        agent: str | None = None,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        response_format: dict[str, Any] | None = None,
        use_cache: bool = True,
    ) -> Completion:
        """One answer to ``messages``, from the cache if it was asked before.

        ``use_cache=False`` skips reading the cache but still writes the answer.
        """
        params: dict[str, Any] = {"temperature": temperature}
        if max_tokens is not None:
            params["max_tokens"] = max_tokens
        if response_format is not None:
            params["response_format"] = response_format
        key = cache_key(self.provider.endpoint, self.provider.model, messages, params)
        if use_cache and self.read_cache and self.store is not None:
            hit = self.store.cache_get(key)
            if hit is not None:
                self._record(agent, hit.model, hit.prompt_tokens, hit.completion_tokens, 0.0, True)
                return Completion(
                    hit.response, hit.model, hit.prompt_tokens, hit.completion_tokens, cached=True
                )
        started = time.monotonic()
        result = self._send_with_retries(messages, params)
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

    def structured(
        self,
        messages: Sequence[Message],
        schema: type[T],
        *,
        agent: str | None = None,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        use_cache: bool = True,
    ) -> T:
        """An answer parsed into ``schema``, negotiating how the endpoint can be asked for JSON.

        An answer that does not validate is sent back once with the error;
        a second failure raises :class:`LLMOutputError`.
        """
        endpoint = self.provider.endpoint
        convo = list(messages)
        for attempt in range(2):
            answer = self._ask_structured(convo, schema, agent, temperature, max_tokens, use_cache)
            try:
                return schema.model_validate(extract_json(answer))
            except (ValueError, ValidationError) as exc:
                if attempt == 1:
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
        raise AssertionError("unreachable")  # pragma: no cover

    def _ask_structured(
        self,
        messages: list[Message],
        schema: type[BaseModel],
        agent: str | None,
        temperature: float,
        max_tokens: int | None,
        use_cache: bool,
    ) -> str:
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
            else:
                fmt = {"type": "json_object"} if mode == "json_object" else None
                convo = [_schema_prompt(schema), *messages]
            try:
                result = self.complete(
                    convo,
                    agent=agent,
                    temperature=temperature,
                    max_tokens=max_tokens,
                    response_format=fmt,
                    use_cache=use_cache,
                )
            except LLMRequestError as exc:
                if mode != "text" and _refuses_format(exc):
                    continue
                raise
            self._modes[endpoint] = mode
            return result.text
        raise AssertionError("unreachable")  # pragma: no cover - "text" never continues

    def _send_with_retries(self, messages: Sequence[Message], params: dict[str, Any]) -> Completion:
        attempt = 0
        while True:
            self.budget.reserve()
            try:
                with self._semaphore:
                    result = self.provider.complete(messages, params=params)
            except LLMRequestError as exc:
                if not exc.retryable or attempt >= self.max_retries:
                    if exc.retryable:
                        raise LLMRequestError(
                            f"{exc} (gave up after {attempt + 1} attempts)",
                            status=exc.status,
                            retryable=False,
                        ) from exc
                    raise
                self.sleep(self._delay(attempt, exc.retry_after))
                attempt += 1
                continue
            self.budget.charge(result.prompt_tokens + result.completion_tokens)
            return result

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            # The server knows when it will take us again; guessing shorter
            # only earns another 429.
            return retry_after
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
            with self._usage_lock:
                self.usage = self.usage + Usage(
                    prompt_tokens=prompt_tokens,
                    completion_tokens=completion_tokens,
                    calls=1,
                    seconds=seconds,
                )
        if self.store is not None:
            self.store.record_llm_usage(
                run_id=self.run_id,
                agent=agent,
                model=model,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                seconds=seconds,
                cached=cached,
            )


def make_client(
    settings: LLMSettings,
    *,
    store: Store | None = None,
    run_id: str | None = None,
    budget: Budget | None = None,
    read_cache: bool = True,
) -> LLMClient:
    """The client the ``[llm]`` settings describe, with the run's budget."""
    return LLMClient(
        get_provider(settings),
        store=store,
        run_id=run_id,
        budget=budget or Budget.from_settings(settings),
        concurrency=settings.concurrency,
        read_cache=read_cache,
    )
