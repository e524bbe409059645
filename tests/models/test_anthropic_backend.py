"""The Anthropic backend against a loopback server speaking the Messages API.

api.anthropic.com cannot be reached from tests, so tests/loopback.py answers POST
/v1/messages with the documented message object (text and tool_use content blocks,
stop_reason, usage) and errors shaped ``{"type": "error", "error": {...}}``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.loopback import Loopback, Reply, Sleeps, closed_port

from relay_git.errors import BackendUnavailable
from relay_git.models import _http
from relay_git.models.anthropic import AnthropicBackend, done_reason
from relay_git.models.base import BackendOptions, ChatRequest, ModelSpec, create

KEY = "sk-ant-test-abcdef0123456789"
MODEL = "claude-sonnet-4-5"
SCHEMA = {
    "type": "object",
    "properties": {"verdict": {"type": "string", "enum": ["approve", "fix", "reject"]}},
    "required": ["verdict"],
}
REQUEST = ChatRequest(
    messages=(
        {"role": "system", "content": "You review diffs."},
        {"role": "system", "content": "Be terse."},
        {"role": "user", "content": "diff --git a/x b/x"},
    ),
    max_tokens=512,
    temperature=0.0,
)


def message(
    content: list[dict[str, Any]], stop: str = "end_turn", usage: tuple[int, int] = (120, 30)
) -> dict[str, Any]:
    return {
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": usage[0], "output_tokens": usage[1]},
    }


def error(kind: str, text: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": text}}


def backend(
    url: str, *, sleeps: Sleeps | None = None, max_context: int = 32768
) -> AnthropicBackend:
    environ = {"ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": KEY}
    options = BackendOptions(environ=environ, timeout=5.0, max_context=max_context)
    retry = _http.RetryPolicy(sleep=sleeps if sleeps is not None else Sleeps())
    return AnthropicBackend(ModelSpec("anthropic", MODEL), options, retry)


def test_plain_chat_wire_format(server: Loopback) -> None:
    server.route("POST", "/v1/messages", message([{"type": "text", "text": "Looks good."}]))
    seen: list[int] = []

    result = backend(server.url).chat(REQUEST, on_token=seen.append)

    [sent] = server.received("/v1/messages")
    assert sent.headers["x-api-key"] == KEY
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert sent.json() == {
        "model": MODEL,
        "max_tokens": 512,
        "system": [
            {
                "type": "text",
                "text": "You review diffs.\n\nBe terse.",
                "cache_control": {"type": "ephemeral"},
            }
        ],
        "messages": [{"role": "user", "content": "diff --git a/x b/x"}],
        "temperature": 0.0,
    }
    assert (result.text, result.prompt_tokens, result.output_tokens) == ("Looks good.", 120, 30)
    assert result.done_reason == "stop"
    assert result.context == 32768
    assert seen == [30]


def test_schema_forces_the_reply_tool_and_returns_its_input(server: Loopback) -> None:
    content = [
        {
            "type": "tool_use",
            "id": "toolu_01A09q90qw90lq917835lq9",
            "name": "reply",
            "input": {"verdict": "fix"},
        }
    ]
    server.route("POST", "/v1/messages", message(content, stop="tool_use"))

    result = backend(server.url).chat(ChatRequest(REQUEST.messages, 256, schema=SCHEMA))

    body = server.received("/v1/messages")[0].json()
    assert body["tools"] == [
        {
            "name": "reply",
            "description": "Give the reply as a JSON object matching this schema.",
            "input_schema": SCHEMA,
        }
    ]
    assert body["tool_choice"] == {"type": "tool", "name": "reply"}
    assert json.loads(result.text) == {"verdict": "fix"}
    assert result.done_reason == "stop"


def test_max_tokens_stop_is_length(server: Loopback) -> None:
    server.route(
        "POST", "/v1/messages", message([{"type": "text", "text": "The diff"}], stop="max_tokens")
    )

    assert backend(server.url).chat(REQUEST).done_reason == "length"


@pytest.mark.parametrize(
    ("stop", "expected"),
    [
        ("end_turn", "stop"),
        ("tool_use", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("refusal", "refusal"),
        (None, "stop"),
    ],
)
def test_done_reason_table(stop: str | None, expected: str) -> None:
    assert done_reason(stop) == expected


def test_missing_key_names_the_variable() -> None:
    model = AnthropicBackend(ModelSpec("anthropic", MODEL), BackendOptions(environ={}))

    with pytest.raises(BackendUnavailable, match="ANTHROPIC_API_KEY") as caught:
        model.chat(REQUEST)
    assert caught.value.exit_code == 3


def test_401_never_shows_the_key(server: Loopback) -> None:
    server.route(
        "POST",
        "/v1/messages",
        Reply(401, error("authentication_error", f"invalid x-api-key {KEY}")),
    )
    sleeps = Sleeps()
    model = backend(server.url, sleeps=sleeps)

    with pytest.raises(BackendUnavailable) as caught:
        model.chat(REQUEST)

    assert "HTTP 401" in caught.value.message and "invalid x-api-key" in caught.value.message
    assert KEY not in str(caught.value)
    assert KEY not in repr(model)
    assert caught.value.fix == "check ANTHROPIC_API_KEY"
    assert sleeps == []


def test_overloaded_529_is_retried(server: Loopback) -> None:
    overloaded = Reply(529, error("overloaded_error", "Overloaded"))
    limited = Reply(429, error("rate_limit_error", "slow down"), {"retry-after": "5"})
    server.route(
        "POST", "/v1/messages", overloaded, limited, message([{"type": "text", "text": "ok"}])
    )
    sleeps = Sleeps()

    assert backend(server.url, sleeps=sleeps).chat(REQUEST).text == "ok"
    assert sleeps == [1.0, 5.0]


def test_400_is_reported_not_retried(server: Loopback) -> None:
    server.route(
        "POST",
        "/v1/messages",
        Reply(400, error("invalid_request_error", "max_tokens: must be at most 64000")),
    )
    sleeps = Sleeps()

    with pytest.raises(BackendUnavailable, match=r"HTTP 400 .*max_tokens: must be at most 64000"):
        backend(server.url, sleeps=sleeps).chat(REQUEST)
    assert sleeps == []
    assert len(server.received("/v1/messages")) == 1


def test_check_finds_the_model_and_reports_a_missing_one(server: Loopback) -> None:
    server.route(
        "GET",
        f"/v1/models/{MODEL}",
        {
            "type": "model",
            "id": "claude-sonnet-4-5-20250929",
            "display_name": "Claude Sonnet 4.5",
            "created_at": "2025-09-29T00:00:00Z",
        },
    )
    backend(server.url).check()

    missing = AnthropicBackend(
        ModelSpec("anthropic", "claude-nope"),
        BackendOptions(environ={"ANTHROPIC_BASE_URL": server.url, "ANTHROPIC_API_KEY": KEY}),
    )
    server.route(
        "GET", "/v1/models/claude-nope", Reply(404, error("not_found_error", "model: claude-nope"))
    )
    with pytest.raises(BackendUnavailable, match="no model claude-nope"):
        missing.check()


@pytest.mark.parametrize(("max_context", "expected"), [(32768, 32768), (1_000_000, 200_000)])
def test_context_length_is_capped(max_context: int, expected: int) -> None:
    options = BackendOptions(environ={"ANTHROPIC_API_KEY": KEY}, max_context=max_context)
    assert AnthropicBackend(ModelSpec("anthropic", MODEL), options).context_length() == expected


@pytest.mark.parametrize("call", ["chat", "check"])
def test_connection_refused(call: str) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    model = backend(url)

    with pytest.raises(BackendUnavailable) as caught:
        if call == "chat":
            model.chat(REQUEST)
        else:
            model.check()

    assert caught.value.exit_code == 3
    assert url in caught.value.message
    assert "ANTHROPIC_BASE_URL" in (caught.value.fix or "")


def test_registry_creates_anthropic_backend(server: Loopback) -> None:
    server.route("POST", "/v1/messages", message([{"type": "text", "text": "hi"}]))
    options = BackendOptions(environ={"ANTHROPIC_BASE_URL": server.url, "ANTHROPIC_API_KEY": KEY})

    assert create(f"anthropic:{MODEL}", options).chat(REQUEST).text == "hi"


def test_prompt_caching_counts_cache_reads_and_writes(server: Loopback) -> None:
    """The system prompt (the prefix every stage shares) is a cache breakpoint; the Messages
    API counts cache reads and writes apart from input_tokens, and all are prompt tokens."""
    reply = message([{"type": "text", "text": "ok"}])
    reply["usage"] = {
        "input_tokens": 20,
        "output_tokens": 3,
        "cache_read_input_tokens": 1500,
        "cache_creation_input_tokens": 0,
    }
    server.route("POST", "/v1/messages", reply)
    result = backend(server.url).chat(REQUEST)
    [sent] = server.received("/v1/messages")
    assert sent.json()["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert (result.prompt_tokens, result.cached_tokens) == (1520, 1500)
