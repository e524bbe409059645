"""An OpenAI-compatible chat stream (server-sent events), read as it arrives.

Each event is a ``data: {json}`` line holding a ``chat.completion.chunk``: the text so far
grows by ``choices[0].delta.content``; ``finish_reason`` comes with the last piece; with
``stream_options.include_usage`` a last chunk carries ``usage`` (and no choices); the stream
ends with ``data: [DONE]``. Reading it lets a reply that loops, or whose code block is
complete, be cut off while it streams (``ChatRequest.stop_when``) instead of at its cap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pydantic

from relay_git.models.base import OnToken

StopWhen = Callable[[str], str | None]


class _Delta(pydantic.BaseModel):
    content: str | None = None


class _Choice(pydantic.BaseModel):
    delta: _Delta = pydantic.Field(default_factory=_Delta)
    finish_reason: str | None = None


class Usage(pydantic.BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    prompt_tokens_details: dict[str, Any] | None = None  # OpenAI: {"cached_tokens": N}

    @property
    def cached(self) -> int:
        value = (self.prompt_tokens_details or {}).get("cached_tokens", 0)
        return value if isinstance(value, int) else 0


class _Chunk(pydantic.BaseModel):
    choices: list[_Choice] = pydantic.Field(default_factory=list)
    usage: Usage | None = None


class StreamError(ValueError):
    """A line of the stream that is not a chat completion chunk."""


@dataclass(frozen=True)
class Streamed:
    text: str
    pieces: int  # content pieces received (one token each on llama.cpp, vLLM and OpenAI)
    reason: str  # finish_reason, or why stop_when cut it off
    usage: Usage | None


def _chunk(data: str) -> _Chunk:
    try:
        return _Chunk.model_validate_json(data)
    except pydantic.ValidationError as err:
        raise StreamError(f"a stream event that is not a chat chunk: {data[:80]!r}") from err


def read(lines: Iterable[str], stop_when: StopWhen | None, on_token: OnToken | None) -> Streamed:
    """The reply a stream of SSE lines carries; stops reading when ``stop_when`` says so."""
    parts: list[str] = []
    reason, usage = "stop", None
    for line in lines:
        if not line.startswith("data:"):
            continue  # blank separators, ": keep-alive" comments, event names
        data = line[5:].strip()
        if data == "[DONE]":
            break
        chunk = _chunk(data)
        usage = chunk.usage or usage
        choice = chunk.choices[0] if chunk.choices else None
        if choice is None:
            continue
        reason = choice.finish_reason or reason
        if not choice.delta.content:
            continue
        parts.append(choice.delta.content)
        if on_token is not None:
            on_token(len(parts))
        why = stop_when("".join(parts)) if stop_when is not None else None
        if why is not None:
            return Streamed("".join(parts), len(parts), why, usage)
    return Streamed("".join(parts), len(parts), reason, usage)
