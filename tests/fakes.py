"""A fake model that answers each agent from its own script, for agent and graph tests."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import httpx

from duckfix.errors import LLMUnavailableError
from duckfix.llm import FakeProvider, LLMClient, Message

# The first words of each agent's system prompt (agents/prompts/*.txt).
_OPENINGS = {
    "You repair bugs": "fixer",
    "You locate bugs": "localizer",
    "You review patches": "reviewer",
    "You explain bugs": "explainer",
    "You help build a dataset": "injector",
}


def agent_of(messages: list[Message]) -> str:
    """Which agent sent these messages, read off its system prompt."""
    for message in messages:
        if message["role"] == "prompt":
            return "fixer"  # only the fixer sends plain completion prompts
        if message["role"] == "system":
            for opening, agent in _OPENINGS.items():
                if message["content"].startswith(opening):
                    return agent
    raise AssertionError(f"no agent's prompt in {messages!r}")


@dataclass
class AgentModel:
    """Per-agent queues of answers; an agent with none left gets 'no model', so it works offline.

    ``asked[agent]`` holds the messages each agent sent, in order.
    """

    replies: dict[str, list[str | Exception]] = field(default_factory=dict)
    asked: dict[str, list[list[Message]]] = field(default_factory=lambda: defaultdict(list))

    def __call__(self, messages: list[Message]) -> str | Exception:
        agent = agent_of(messages)
        self.asked[agent].append(messages)
        queue = self.replies.get(agent)
        if queue:
            return queue.pop(0)
        return LLMUnavailableError(f"the fake model has no answer left for the {agent}")

    def user(self, agent: str, index: int = 0) -> str:
        """The user message of the agent's ``index``-th request (or the prompt of a completion)."""
        messages = self.asked[agent][index]
        return next(m["content"] for m in messages if m["role"] in ("user", "prompt"))


def agent_model(
    *, style: str = "chat", **replies: list[str | Exception]
) -> tuple[AgentModel, LLMClient]:
    """A client whose fake model answers each agent from ``replies[agent]``."""
    script = AgentModel({k: list(v) for k, v in replies.items()})
    provider = FakeProvider(
        responder=script, style="completion" if style == "completion" else "chat"
    )
    return script, LLMClient(provider, sleep=lambda _: None)


def chat_reply(
    content: str, prompt: int = 10, completion: int = 5, model: str = "m"
) -> httpx.Response:
    """An OpenAI-style chat completion answering ``content``, as a server sends it."""
    return httpx.Response(
        200,
        json={
            "id": "c1",
            "object": "chat.completion",
            "created": 1,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": content},
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        },
    )


def text_reply(text: str, prompt: int = 7, completion: int = 4, model: str = "m") -> httpx.Response:
    """An OpenAI-style plain completion (``/v1/completions``) of ``text``."""
    return httpx.Response(
        200,
        json={
            "id": "t1",
            "object": "text_completion",
            "created": 1,
            "model": model,
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None, "text": text}],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        },
    )


class Sleeps(list[float]):
    """An injectable ``sleep`` that records the seconds it was asked to wait."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
