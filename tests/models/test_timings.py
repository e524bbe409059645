"""Each backend times prefill (time to first token) and decode apart, or says it cannot.

No Ollama daemon, OpenAI-compatible server or api.anthropic.com runs here: tests/loopback.py
answers on 127.0.0.1 with the documented wire formats — Ollama's /api/chat with
``prompt_eval_duration`` and ``eval_duration`` in nanoseconds (one object, or NDJSON when
streaming), OpenAI's ``chat.completion`` (llama.cpp's server adds ``timings`` with
``prompt_ms``/``predicted_ms``) and its ``text/event-stream`` chunks, Anthropic's Messages
event stream. The in-process llama.cpp loop is timed in the real-model tests (tests/realmodel).
"""

from __future__ import annotations

import json

import pytest
from tests.loopback import Loopback, Reply
from tests.models.test_ollama_backend import REQUEST, SHOW, chat_reply, chunk
from tests.models.test_ollama_backend import backend as ollama_backend
from tests.models.test_openai_stream import CHAT, MESSAGES, SSE, piece, plain, usage
from tests.models.test_openai_stream import backend as openai_backend

from relay_git.models import stops
from relay_git.models.base import ChatRequest
from relay_git.models.call import ask
from relay_git.models.ledger import Ledger


def test_ollama_plain_reply_takes_its_own_durations(server: Loopback) -> None:
    server.route("POST", "/api/show", SHOW)
    reply = chat_reply("ok") | {"prompt_eval_duration": 250_000_000, "eval_duration": 2_000_000_000}
    server.route("POST", "/api/chat", reply)
    result = ollama_backend(server.url).chat(REQUEST)
    assert (result.ttft_seconds, result.decode_seconds) == (0.25, 2.0)


def test_ollama_stream_takes_the_durations_of_its_last_chunk(server: Loopback) -> None:
    server.route("POST", "/api/show", SHOW)
    last = chat_reply("") | {"prompt_eval_duration": 500_000_000, "eval_duration": 3_000_000_000}
    server.route("POST", "/api/chat", Reply(lines=[chunk("a"), chunk("b"), last]))
    result = ollama_backend(server.url).chat(REQUEST, on_token=lambda _n: None)
    assert (result.ttft_seconds, result.decode_seconds) == (0.5, 3.0)


def test_ollama_stream_cut_off_early_is_timed_as_it_streamed(server: Loopback) -> None:
    """A stream relay-git hangs up on has no final chunk: the first piece's arrival splits it."""
    server.route("POST", "/api/show", SHOW)
    loop = [chunk("[")] + [chunk('"x", ')] * 60
    server.route("POST", "/api/chat", Reply(lines=loop, delay=0.2))
    request = ChatRequest(REQUEST.messages, 400, stop_when=stops.for_json)
    result = ollama_backend(server.url).chat(request)
    assert result.done_reason == "repetition"
    assert result.ttft_seconds is not None and result.ttft_seconds >= 0.2
    assert result.decode_seconds is not None
    assert result.ttft_seconds + result.decode_seconds == pytest.approx(result.seconds, abs=0.01)


def test_openai_stream_time_to_first_content_chunk(server: Loopback) -> None:
    lines = [piece("a"), piece("b"), piece("c", "stop"), usage(31, 3)]
    server.route("POST", CHAT, Reply(headers=SSE, lines=lines, delay=0.2))
    result = openai_backend(server.url).chat(ChatRequest(MESSAGES, 20, stop_when=stops.for_json))
    assert result.ttft_seconds is not None and result.ttft_seconds >= 0.2
    assert result.decode_seconds is not None and result.decode_seconds < 0.2
    assert result.ttft_seconds + result.decode_seconds == pytest.approx(result.seconds, abs=0.01)


def test_openai_plain_reply_uses_llama_cpp_server_timings(server: Loopback) -> None:
    timings = {"prompt_n": 9, "prompt_ms": 120.0, "predicted_n": 4, "predicted_ms": 800.0}
    server.route("POST", CHAT, plain("whole") | {"timings": timings})
    result = openai_backend(server.url).chat(ChatRequest(MESSAGES, 20))
    assert (result.ttft_seconds, result.decode_seconds) == (0.12, 0.8)


def test_openai_plain_reply_without_timings_leaves_decode_unknown(server: Loopback) -> None:
    server.route("POST", CHAT, plain("whole"))
    result = openai_backend(server.url).chat(ChatRequest(MESSAGES, 20))
    assert result.seconds > 0
    assert (result.ttft_seconds, result.decode_seconds) == (None, None)


def test_the_ledger_entry_carries_the_split(server: Loopback) -> None:
    timings = {"prompt_ms": 120.0, "predicted_ms": 800.0}
    server.route("POST", CHAT, plain("whole") | {"timings": timings})
    ledger = Ledger()
    ask(openai_backend(server.url), list(MESSAGES), stage="review", role="r", ledger=ledger,
        max_tokens=20)  # fmt: skip
    [entry] = ledger.entries
    assert (entry.ttft_seconds, entry.decode_seconds) == (0.12, 0.8)
    assert entry.to_dict()["ttft_seconds"] == 0.12 and entry.to_dict()["decode_seconds"] == 0.8


def anthropic_events(kind: str, deltas: list[str]) -> list[str]:
    """A Messages stream as documented: message_start (usage), a block, its deltas,
    message_delta (stop_reason, output usage), message_stop; with a ping between."""

    def event(name: str, data: dict[str, object]) -> str:
        return f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n"

    usage = {"input_tokens": 120, "output_tokens": 1, "cache_read_input_tokens": 20}
    block = {"type": "text", "text": ""} if kind == "text" else {
        "type": "tool_use", "id": "toolu_01", "name": "reply", "input": {}}  # fmt: skip
    delta = "text_delta" if kind == "text" else "input_json_delta"
    field = "text" if kind == "text" else "partial_json"
    return [
        event("message_start", {"message": {"id": "msg_1", "type": "message", "role":
              "assistant", "content": [], "model": "claude-sonnet-4-5", "usage": usage}}),
        event("content_block_start", {"index": 0, "content_block": block}),
        event("ping", {}),
        *[event("content_block_delta", {"index": 0, "delta": {"type": delta, field: d}})
          for d in deltas],
        event("content_block_stop", {"index": 0}),
        event("message_delta", {"delta": {"stop_reason": "tool_use" if kind != "text" else
              "end_turn", "stop_sequence": None}, "usage": {"output_tokens": 7}}),
        event("message_stop", {}),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "deltas", "text"),
    [
        ("text", ["Looks", " good."], "Looks good."),
        ("tool", ['{"verdict"', ': "approve"}'], '{"verdict": "approve"}'),
    ],
)
def test_anthropic_stream_is_timed_to_its_first_delta(
    server: Loopback, kind: str, deltas: list[str], text: str
) -> None:
    from tests.models.test_anthropic_backend import REQUEST as ANTHROPIC_REQUEST
    from tests.models.test_anthropic_backend import SCHEMA
    from tests.models.test_anthropic_backend import backend as anthropic_backend

    events = anthropic_events(kind, deltas)
    server.route("POST", "/v1/messages", Reply(headers=SSE, lines=events, delay=0.2))
    schema = SCHEMA if kind == "tool" else None
    request = ChatRequest(ANTHROPIC_REQUEST.messages, 512, schema, stop_when=stops.for_json)
    result = anthropic_backend(server.url).chat(request)
    assert server.received("/v1/messages")[0].json()["stream"] is True
    assert (result.text, result.prompt_tokens, result.output_tokens) == (text, 140, 7)
    assert result.cached_tokens == 20 and result.done_reason == "stop"
    assert result.ttft_seconds is not None and result.ttft_seconds >= 0.2
    assert result.decode_seconds is not None
    assert result.ttft_seconds + result.decode_seconds == pytest.approx(result.seconds, abs=0.01)


def test_anthropic_plain_reply_leaves_decode_unknown(server: Loopback) -> None:
    from tests.models.test_anthropic_backend import REQUEST as ANTHROPIC_REQUEST
    from tests.models.test_anthropic_backend import backend as anthropic_backend
    from tests.models.test_anthropic_backend import message

    server.route("POST", "/v1/messages", message([{"type": "text", "text": "ok"}]))
    result = anthropic_backend(server.url).chat(ANTHROPIC_REQUEST)
    assert (result.ttft_seconds, result.decode_seconds) == (None, None)
