"""The OpenAI-compatible backend streaming a reply it may cut off (``ChatRequest.stop_when``).

No OpenAI-compatible server runs here, so tests/loopback.py streams what the documented wire
format holds: ``text/event-stream`` events ``data: {chat.completion.chunk}``, a last chunk
with ``usage`` and no choices (``stream_options.include_usage``), then ``data: [DONE]``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.loopback import Loopback, Reply

from relay_git.errors import BackendUnavailable
from relay_git.models import _http, stops
from relay_git.models.base import BackendOptions, ChatRequest, ModelSpec
from relay_git.models.openai import OpenAIBackend

CHAT = "/v1/chat/completions"
MESSAGES = ({"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"})
SSE = {"Content-Type": "text/event-stream"}


def event(data: dict[str, Any] | str) -> str:
    return f"data: {data if isinstance(data, str) else json.dumps(data)}\n\n"


def piece(text: str, finish: str | None = None) -> str:
    choice = {"index": 0, "delta": {"content": text}, "finish_reason": finish}
    return event({"object": "chat.completion.chunk", "choices": [choice]})


def usage(prompt: int, output: int) -> str:
    counts = {"prompt_tokens": prompt, "completion_tokens": output}
    return event({"object": "chat.completion.chunk", "choices": [], "usage": counts})


def plain(text: str) -> dict[str, Any]:
    message = {"role": "assistant", "content": text}
    return {
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 4},
    }


def backend(url: str) -> OpenAIBackend:
    environ = {"RELAY_GIT_OPENAI_BASE_URL": url + "/v1"}
    options = BackendOptions(environ=environ, timeout=5.0, max_context=4096)
    retry = _http.RetryPolicy(sleep=lambda _: None)
    return OpenAIBackend(ModelSpec("openai", "local"), options, retry)


def test_a_stream_is_read_whole_with_its_usage(server: Loopback) -> None:
    lines = [": keep-alive\n\n", piece("al"), piece("pha"), piece("bet", "length")]
    server.route("POST", CHAT, Reply(headers=SSE, lines=[*lines, usage(31, 3), event("[DONE]")]))
    seen: list[int] = []

    result = backend(server.url).chat(
        ChatRequest(MESSAGES, 3, stop_when=stops.for_json), on_token=seen.append
    )

    body = server.received(CHAT)[0].json()
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert (result.text, result.done_reason) == ("alphabet", "length")
    assert (result.prompt_tokens, result.output_tokens) == (31, 3)
    assert seen == [1, 2, 3]


def test_a_looping_reply_is_cut_off_while_it_streams(server: Loopback) -> None:
    loop = [piece('{"path": "1.0.0", "action": "write"}, ') for _ in range(60)]
    server.route("POST", CHAT, Reply(headers=SSE, lines=[piece("["), *loop, usage(40, 400)]))

    result = backend(server.url).chat(ChatRequest(MESSAGES, 400, stop_when=stops.for_json))

    assert result.done_reason == "repetition"
    assert result.text.count('"1.0.0"') == 3
    assert result.output_tokens < 10  # pieces read, not the cap


def test_a_finished_code_block_ends_the_reply(server: Loopback) -> None:
    parts = ["```python\n", "def double(x):\n", "    return x * 2\n", "```", "\nNow tests:"]
    server.route("POST", CHAT, Reply(headers=SSE, lines=[piece(p) for p in parts * 3]))

    result = backend(server.url).chat(ChatRequest(MESSAGES, 200, stop_when=stops.for_code_block))

    assert result.text == "".join(parts[:4])
    assert result.done_reason == "stop"


def test_without_stop_when_the_request_is_not_streamed(server: Loopback) -> None:
    server.route("POST", CHAT, plain("whole"))

    result = backend(server.url).chat(ChatRequest(MESSAGES, 20))

    assert "stream" not in server.received(CHAT)[0].json()
    assert result.text == "whole"


def test_a_server_that_refuses_to_stream_is_asked_plainly_and_not_again(server: Loopback) -> None:
    refusal = Reply(400, {"error": {"message": "streaming is not supported"}})
    server.route("POST", CHAT, refusal, Reply(body=plain("plain one")), Reply(body=plain("two")))
    model = backend(server.url)
    request = ChatRequest(MESSAGES, 20, stop_when=stops.for_code_block)

    first, second = model.chat(request), model.chat(request)

    streamed = [r.json().get("stream", False) for r in server.received(CHAT)]
    assert streamed == [True, False, False]
    assert (first.text, second.text) == ("plain one", "two")


def test_a_refusal_about_the_dialect_keeps_streaming(server: Loopback) -> None:
    """A 4xx naming max_completion_tokens is the dialect, not the stream: once adapted, the
    next reply streams again, in the new dialect."""
    refusal = Reply(400, {"error": {"message": "Use 'max_completion_tokens' instead."}})
    stream = Reply(headers=SSE, lines=[piece("ok"), event("[DONE]")])
    server.route("POST", CHAT, refusal, refusal, Reply(body=plain("adapted")), stream)
    model = backend(server.url)
    request = ChatRequest(MESSAGES, 20, stop_when=stops.for_json)

    first, second = model.chat(request), model.chat(request)

    bodies = [r.json() for r in server.received(CHAT)]
    assert [b.get("stream", False) for b in bodies] == [True, False, False, True]
    assert "max_completion_tokens" in bodies[-1] and "max_tokens" not in bodies[-1]
    assert (first.text, second.text) == ("adapted", "ok")


def test_a_stream_event_that_is_not_a_chunk_is_one_line_exit_3(server: Loopback) -> None:
    server.route("POST", CHAT, Reply(headers=SSE, lines=[piece("a"), event("<html>oops")]))

    with pytest.raises(BackendUnavailable) as caught:
        backend(server.url).chat(ChatRequest(MESSAGES, 20, stop_when=stops.for_json))

    assert caught.value.exit_code == 3
    assert "not a chat chunk" in caught.value.message and "\n" not in caught.value.message


def test_a_server_that_ignores_stream_answers_with_one_body(server: Loopback) -> None:
    server.route("POST", CHAT, plain("all at once"))

    result = backend(server.url).chat(ChatRequest(MESSAGES, 20, stop_when=stops.for_json))

    assert server.received(CHAT)[0].json()["stream"] is True
    assert (result.text, result.output_tokens) == ("all at once", 4)


def test_a_missing_model_is_reported_once_not_asked_again_plainly(server: Loopback) -> None:
    server.route("POST", CHAT, Reply(404, {"error": {"message": "model 'local' not found"}}))

    with pytest.raises(BackendUnavailable) as caught:
        backend(server.url).chat(ChatRequest(MESSAGES, 20, stop_when=stops.for_json))

    assert caught.value.exit_code == 3 and "not found" in caught.value.message
    assert len(server.received(CHAT)) == 1
