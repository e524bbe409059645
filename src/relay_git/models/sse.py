"""An OpenAI-compatible chat stream (server-sent events), read as it arrives.

Each event is a ``data: {json}`` line holding a ``chat.completion.chunk``: the text so far
grows by ``choices[0].delta.content``; ``finish_reason`` comes with the last piece; with
``stream_options.include_usage`` a last chunk carries ``usage`` (and no choices); the stream
ends with ``data: [DONE]``. Reading it lets a reply that loops, or whose code block is
complete, be cut off while it streams (``ChatRequest.stop_when``) instead of at its cap.

The stream is untrusted input: it is read as bytes and split into lines here, so a line,
the whole stream and the reply's text are each capped in proportion to ``max_tokens``, and
a stream that stays open (keep-alive comments forever) ends at a deadline (``Limits``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
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
    """A line of the stream that is not a chat completion chunk, or a stream past its limits."""


# A token is rarely more than a dozen characters; a server that sends more than this per
# token asked for, or lines and streams far larger than such a reply, is refused.
CHARS_PER_TOKEN = 64
BYTES_PER_TOKEN = 4096  # one chunk event per token: JSON, ids, usage, padding
SLACK_BYTES = 1 << 20
MIN_TOKENS_PER_SECOND = 2.0  # the slowest generation a stream's deadline allows for


@dataclass(frozen=True)
class Limits:
    """How much a stream may send, and until when (``time.monotonic``)."""

    max_chars: int
    max_line: int
    max_bytes: int
    seconds: float
    deadline: float

    @classmethod
    def for_reply(cls, max_tokens: int, timeout: float) -> Limits:
        """Limits for a reply of ``max_tokens``: sizes in proportion, and a deadline of
        ``timeout`` plus ``max_tokens`` at ``MIN_TOKENS_PER_SECOND``."""
        chars = max(max_tokens, 1) * CHARS_PER_TOKEN
        seconds = timeout + max_tokens / MIN_TOKENS_PER_SECOND
        return cls(
            max_chars=chars,
            max_line=chars * 6 + (64 << 10),  # the whole reply in one event, \u-escaped
            max_bytes=max(max_tokens, 1) * BYTES_PER_TOKEN + SLACK_BYTES,
            seconds=seconds,
            deadline=time.monotonic() + seconds,
        )


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


def lines(chunks: Iterable[bytes], limits: Limits) -> Iterator[str]:
    """The lines of a byte stream, each and all within ``limits``, in linear time."""
    buf = bytearray()
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limits.max_bytes:
            raise StreamError(f"a stream of more than {limits.max_bytes} bytes")
        if time.monotonic() > limits.deadline:
            raise StreamError(f"a stream still open after {limits.seconds:g}s, its deadline")
        start = len(buf)
        buf += chunk
        begin, end = 0, buf.find(b"\n", start)
        while end >= 0:
            yield buf[begin:end].rstrip(b"\r").decode("utf-8", "replace")
            begin, end = end + 1, buf.find(b"\n", end + 1)
        del buf[:begin]
        if len(buf) > limits.max_line:
            raise StreamError(f"a stream line of more than {limits.max_line} bytes")
    if buf:
        yield buf.decode("utf-8", "replace")


class _Text:
    """The reply so far, joined only when ``stop_when`` is asked: at every piece while it is
    short, then each time it has grown by a sixteenth, so the checks cost linear time."""

    EVERY_PIECE = 8192

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.checked = 0

    def add(self, piece: str) -> None:
        self.parts.append(piece)
        self.length += len(piece)

    def due(self) -> bool:
        return self.length < self.EVERY_PIECE or self.length - self.checked >= self.length // 16

    def join(self) -> str:
        self.checked = self.length
        text = "".join(self.parts)
        self.parts = [text]
        return text


def read(
    chunks: Iterable[bytes],
    stop_when: StopWhen | None,
    on_token: OnToken | None,
    limits: Limits,
) -> Streamed:
    """The reply a stream of SSE bytes carries; stops reading when ``stop_when`` says so.

    Raises ``StreamError`` for an event that is not a chunk, or a stream past ``limits``.
    """
    text, pieces = _Text(), 0
    reason, usage = "stop", None
    for line in lines(chunks, limits):
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
        text.add(choice.delta.content)
        pieces += 1
        if text.length > limits.max_chars:
            raise StreamError(f"more than {limits.max_chars} characters for the tokens asked")
        if on_token is not None:
            on_token(pieces)
        why = stop_when(text.join()) if stop_when is not None and text.due() else None
        if why is not None:
            return Streamed(text.join(), pieces, why, usage)
    return Streamed(text.join(), pieces, reason, usage)
