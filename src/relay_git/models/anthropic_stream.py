"""An Anthropic Messages stream (server-sent events), read as it arrives.

The documented events: ``message_start`` (the message with its ``usage``: input and cache
tokens), ``content_block_start`` (a ``text`` or ``tool_use`` block), ``content_block_delta``
(``text_delta`` with ``text``, or ``input_json_delta`` with ``partial_json``),
``content_block_stop``, ``message_delta`` (``stop_reason`` and the output ``usage``),
``message_stop``; ``ping`` may come at any time and ``error`` ends the stream. Reading it
times the first token apart from the rest, and lets ``stop_when`` cut a reply off.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

StopWhen = Callable[[str], str | None]


class StreamError(ValueError):
    """An event that is not a Messages stream event, or an ``error`` event."""


@dataclass(frozen=True)
class Streamed:
    text: str  # the text blocks joined, or the forced tool's input JSON when structured
    pieces: int
    stop_reason: str | None
    usage: dict[str, Any]  # message_start's usage, updated by message_delta's
    first: float | None  # monotonic time of the first piece


def _event(data: str) -> dict[str, Any]:
    try:
        event = json.loads(data)
    except json.JSONDecodeError as err:
        raise StreamError(f"a stream event that is not JSON: {data[:80]!r}") from err
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        raise StreamError(f"a stream event without a type: {data[:80]!r}")
    if event["type"] == "error":
        error = event.get("error") or {}
        raise StreamError(str(error.get("message", "error")) if isinstance(error, dict) else "")
    return event


def _piece(event: dict[str, Any], structured: bool) -> str:
    delta = event.get("delta") or {}
    if structured and delta.get("type") == "input_json_delta":
        return str(delta.get("partial_json") or "")
    if not structured and delta.get("type") == "text_delta":
        return str(delta.get("text") or "")
    return ""


def read(
    lines: Iterable[str],
    structured: bool,
    stop_when: StopWhen | None,
    on_token: Callable[[int], None] | None,
) -> Streamed:
    """The reply the stream carries; stops reading when ``stop_when`` says so."""
    parts: list[str] = []
    usage: dict[str, Any] = {}
    reason: str | None = None
    first: float | None = None
    for line in lines:
        if not line.startswith("data:"):
            continue  # "event: …" names, blank separators
        event = _event(line[5:].strip())
        kind = event["type"]
        if kind == "message_start":
            usage.update((event.get("message") or {}).get("usage") or {})
        elif kind == "message_delta":
            usage.update(event.get("usage") or {})
            reason = (event.get("delta") or {}).get("stop_reason") or reason
        elif kind == "message_stop":
            break
        piece = _piece(event, structured) if kind == "content_block_delta" else ""
        if not piece:
            continue
        first = first or time.monotonic()
        parts.append(piece)
        if on_token is not None:
            on_token(len(parts))
        why = stop_when("".join(parts)) if stop_when is not None else None
        if why is not None:
            return Streamed("".join(parts), len(parts), why, usage, first)
    return Streamed("".join(parts), len(parts), reason, usage, first)
