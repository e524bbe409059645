"""The OpenAI-compatible backend against a loopback server speaking /v1/chat/completions.

Neither api.openai.com nor a llama.cpp server runs here, so tests/loopback.py answers with
the documented chat.completion object, OpenAI's ``{"error": {...}}`` bodies, and the
FastAPI 422 that llama-cpp-python's server gives a ``json_schema`` response_format.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.loopback import Loopback, Reply, Sleeps, closed_port

from relay_git.errors import BackendUnavailable
from relay_git.models import _http
from relay_git.models.base import BackendOptions, ChatRequest, ModelSpec, create, openai_base_url
from relay_git.models.openai import OpenAIBackend, context_from_entry

KEY = "sk-test-0123456789abcdef"
SCHEMA = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
REQUEST = ChatRequest(
    messages=({"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}),
    max_tokens=64,
    temperature=0.0,
    seed=3,
)
CHAT = "/v1/chat/completions"


def completion(
    content: str | None, finish: str = "stop", usage: dict[str, int] | None = None
) -> dict[str, Any]:
    reply: dict[str, Any] = {
        "id": "chatcmpl-123",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-4.1",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "logprobs": None,
                "finish_reason": finish,
            }
        ],
    }
    if usage is not None:
        reply["usage"] = {**usage, "total_tokens": sum(usage.values())}
    return reply


def backend(
    url: str, *, key: str | None = KEY, sleeps: Sleeps | None = None, max_context: int = 32768
) -> OpenAIBackend:
    environ = {"RELAY_GIT_OPENAI_BASE_URL": url + "/v1"}
    if key:
        environ["OPENAI_API_KEY"] = key
    options = BackendOptions(environ=environ, timeout=5.0, max_context=max_context)
    retry = _http.RetryPolicy(sleep=sleeps if sleeps is not None else Sleeps())
    return OpenAIBackend(ModelSpec("openai", "gpt-4.1"), options, retry)


@pytest.mark.parametrize(
    ("flag", "environ", "expected"),
    [
        (None, {}, "https://api.openai.com/v1"),
        (None, {"OPENAI_BASE_URL": "http://a/v1/"}, "http://a/v1"),
        (
            None,
            {"OPENAI_BASE_URL": "http://a/v1", "RELAY_GIT_OPENAI_BASE_URL": "http://b/v1"},
            "http://b/v1",
        ),
        ("http://c:8080/v1", {"RELAY_GIT_OPENAI_BASE_URL": "http://b/v1"}, "http://c:8080/v1"),
    ],
)
def test_base_url_precedence(flag: str | None, environ: dict[str, str], expected: str) -> None:
    assert openai_base_url(BackendOptions(environ=environ, openai_base_url=flag)) == expected


def test_chat_request_and_usage(server: Loopback) -> None:
    server.route(
        "GET",
        "/v1/models",
        {"object": "list", "data": [{"id": "gpt-4.1", "object": "model", "max_model_len": 16384}]},
    )
    server.route(
        "POST", CHAT, completion("Hello!", usage={"prompt_tokens": 19, "completion_tokens": 4})
    )
    seen: list[int] = []

    result = backend(server.url).chat(REQUEST, on_token=seen.append)

    [sent] = server.received(CHAT)
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.json() == {
        "model": "gpt-4.1",
        "messages": [dict(m) for m in REQUEST.messages],
        "max_tokens": 64,
        "temperature": 0.0,
        "seed": 3,
    }
    assert (result.text, result.prompt_tokens, result.output_tokens) == ("Hello!", 19, 4)
    assert result.context == 16384
    assert result.done_reason == "stop"
    assert seen == [4]


def test_schema_goes_as_json_schema_response_format(server: Loopback) -> None:
    server.route(
        "POST", CHAT, completion('{"ok": true}', usage={"prompt_tokens": 5, "completion_tokens": 5})
    )

    backend(server.url).chat(ChatRequest(REQUEST.messages, 32, schema=SCHEMA))

    [sent] = server.received(CHAT)
    assert sent.json()["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "reply", "schema": SCHEMA, "strict": False},
    }


LLAMA_CPP_422 = {
    "detail": [
        {
            "type": "literal_error",
            "loc": ["body", "response_format", "type"],
            "msg": "Input should be 'text' or 'json_object'",
            "input": "json_schema",
            "ctx": {"expected": "'text' or 'json_object'"},
        }
    ]
}


@pytest.mark.parametrize("status", [400, 422, 500])  # llama_cpp.server answers 500
def test_json_schema_rejecting_dialect_falls_back_once_and_remembers(
    server: Loopback, status: int
) -> None:
    llama_reply = completion('{"ok": false}', usage={"prompt_tokens": 30, "completion_tokens": 6})
    llama_reply["model"] = "/models/qwen2.5-0.5b-instruct-q4_k_m.gguf"
    server.route("POST", CHAT, Reply(status, LLAMA_CPP_422), llama_reply)
    model = backend(server.url, key=None)
    structured = ChatRequest(REQUEST.messages, 32, schema=SCHEMA)

    first = model.chat(structured)
    model.chat(structured)

    formats = [r.json()["response_format"] for r in server.received(CHAT)]
    assert formats[0]["type"] == "json_schema"
    assert formats[1:] == [{"type": "json_object", "schema": SCHEMA}] * 2
    assert first.text == '{"ok": false}'
    assert "authorization" not in server.received(CHAT)[0].headers


def test_plain_500_while_probing_is_retried_not_taken_for_a_dialect(server: Loopback) -> None:
    ok = completion("{}", usage={"prompt_tokens": 3, "completion_tokens": 1})
    server.route("POST", CHAT, Reply(500, {"error": {"message": "out of memory"}}), ok)

    backend(server.url).chat(ChatRequest(REQUEST.messages, 32, schema=SCHEMA))

    formats = [r.json()["response_format"]["type"] for r in server.received(CHAT)]
    assert formats == ["json_schema", "json_schema"]


def test_dialect_fallback_that_also_fails_reports_the_error(server: Loopback) -> None:
    server.route("POST", CHAT, Reply(400, {"error": {"message": "messages: bad role 'tool'"}}))

    with pytest.raises(BackendUnavailable, match=r"HTTP 400 .*bad role"):
        backend(server.url).chat(ChatRequest(REQUEST.messages, 32, schema=SCHEMA))
    assert len(server.received(CHAT)) == 2


def test_max_completion_tokens_dialect(server: Loopback) -> None:
    refusal = {
        "error": {
            "message": "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead.",
            "type": "invalid_request_error",
            "param": "max_tokens",
            "code": "unsupported_parameter",
        }
    }
    server.route(
        "POST",
        CHAT,
        Reply(400, refusal),
        completion("ok", usage={"prompt_tokens": 1, "completion_tokens": 1}),
    )

    backend(server.url).chat(REQUEST)

    first, second = (r.json() for r in server.received(CHAT))
    assert first["max_tokens"] == 64 and "max_completion_tokens" not in first
    assert second["max_completion_tokens"] == 64 and "max_tokens" not in second


def test_finish_reason_length_and_missing_usage_and_timings(server: Loopback) -> None:
    reply = completion("truncat", finish="length")
    reply["timings"] = {"prompt_n": 12, "predicted_n": 3, "predicted_per_second": 80.0}
    server.route("POST", CHAT, reply)

    result = backend(server.url).chat(REQUEST)

    assert result.done_reason == "length"
    assert result.text == "truncat"
    assert result.output_tokens == len("truncat") // 3 + 1  # estimated without usage
    assert result.prompt_tokens > 0


def test_401_is_not_retried_and_never_shows_the_key(server: Loopback) -> None:
    body = {
        "error": {
            "message": f"Incorrect API key provided: {KEY}.",
            "type": "invalid_request_error",
            "code": "invalid_api_key",
        }
    }
    server.route("POST", CHAT, Reply(401, body))
    sleeps = Sleeps()
    model = backend(server.url, sleeps=sleeps)

    with pytest.raises(BackendUnavailable) as caught:
        model.chat(REQUEST)

    assert caught.value.exit_code == 3
    assert caught.value.fix == "check OPENAI_API_KEY"
    assert "HTTP 401" in caught.value.message
    assert KEY not in str(caught.value)
    assert KEY not in repr(model)
    assert sleeps == []
    assert len(server.received(CHAT)) == 1


def test_500_is_retried_with_backoff_then_reported(server: Loopback) -> None:
    server.route("POST", CHAT, Reply(500, {"error": {"message": "CUDA out of memory"}}))
    sleeps = Sleeps()

    with pytest.raises(BackendUnavailable, match=r"HTTP 500 .*CUDA out of memory"):
        backend(server.url, sleeps=sleeps).chat(REQUEST)
    assert sleeps == [1.0, 2.0, 4.0]
    assert len(server.received(CHAT)) == 4


def test_429_honours_retry_after(server: Loopback) -> None:
    limited = Reply(429, {"error": {"message": "Rate limit reached"}}, {"Retry-After": "3"})
    server.route(
        "POST", CHAT, limited, completion("ok", usage={"prompt_tokens": 1, "completion_tokens": 1})
    )
    sleeps = Sleeps()

    assert backend(server.url, sleeps=sleeps).chat(REQUEST).text == "ok"
    assert sleeps == [3.0]


def test_429_asking_for_too_long_a_wait_gives_up_at_once(server: Loopback) -> None:
    limited = Reply(429, {"error": {"message": "Rate limit reached"}}, {"Retry-After": "3600"})
    server.route("POST", CHAT, limited)
    sleeps = Sleeps()

    with pytest.raises(BackendUnavailable, match="HTTP 429"):
        backend(server.url, sleeps=sleeps).chat(REQUEST)
    assert sleeps == []


def test_missing_key_for_api_openai_com_names_the_variable() -> None:
    model = OpenAIBackend(ModelSpec("openai", "gpt-4.1"), BackendOptions(environ={}))

    with pytest.raises(BackendUnavailable, match="OPENAI_API_KEY") as caught:
        model.chat(REQUEST)
    assert caught.value.exit_code == 3


def test_registry_creates_openai_backend_without_key_for_local_servers(server: Loopback) -> None:
    server.route("POST", CHAT, completion("ok"))
    options = BackendOptions(openai_base_url=server.url + "/v1")

    model = create("openai:local-model", options)

    assert model.chat(REQUEST).text == "ok"
    assert "authorization" not in server.received(CHAT)[0].headers


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"id": "m", "max_model_len": 8192}, 8192),
        ({"id": "m", "context_length": 4096}, 4096),
        ({"id": "m", "meta": {"n_ctx_train": 131072, "n_vocab": 151936}}, 131072),
        ({"id": "m", "object": "model", "owned_by": "me"}, None),
    ],
)
def test_context_from_entry(entry: dict[str, Any], expected: int | None) -> None:
    assert context_from_entry(entry) == expected


@pytest.mark.parametrize(
    ("models", "max_context", "expected"),
    [
        (Reply(200, {"data": [{"id": "gpt-4.1", "max_model_len": 8192}]}), 32768, 8192),
        (
            Reply(200, {"data": [{"id": "/m/x.gguf", "meta": {"n_ctx_train": 131072}}]}),
            32768,
            32768,
        ),
        (Reply(200, {"data": [{"id": "gpt-4.1", "object": "model"}]}), 16384, 16384),
        (Reply(404, {"error": "not found"}), 8192, 8192),
    ],
)
def test_context_length_from_models(
    server: Loopback, models: Reply, max_context: int, expected: int
) -> None:
    server.route("GET", "/v1/models", models)
    model = backend(server.url, max_context=max_context)

    assert model.context_length() == expected
    assert model.context_length() == expected
    assert len(server.received("/v1/models")) == 1


@pytest.mark.parametrize(
    "ids", [["gpt-4.1", "gpt-4o"], ["/models/qwen2.5-0.5b-instruct-q4_k_m.gguf"]]
)
def test_check_accepts_listed_or_single_model(server: Loopback, ids: list[str]) -> None:
    server.route(
        "GET", "/v1/models", {"object": "list", "data": [{"id": i, "object": "model"} for i in ids]}
    )
    backend(server.url).check()


def test_check_rejects_unlisted_model(server: Loopback) -> None:
    server.route("GET", "/v1/models", {"object": "list", "data": [{"id": "a"}, {"id": "b"}]})

    with pytest.raises(BackendUnavailable, match="not served") as caught:
        backend(server.url).check()
    assert caught.value.fix == "use one of: a, b"


@pytest.mark.parametrize("call", ["chat", "check", "context_length"])
def test_connection_refused(call: str) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    model = backend(url)

    with pytest.raises(BackendUnavailable) as caught:
        if call == "chat":
            model.chat(REQUEST)
        else:
            getattr(model, call)()

    assert caught.value.exit_code == 3
    assert url in caught.value.message
    assert "RELAY_GIT_OPENAI_BASE_URL" in (caught.value.fix or "")


def test_timeout_names_model_and_limit(server: Loopback) -> None:
    server.route("POST", CHAT, Reply(200, completion("late"), delay=1.0))
    options = BackendOptions(environ={"RELAY_GIT_OPENAI_BASE_URL": server.url + "/v1"}, timeout=0.2)
    model = OpenAIBackend(ModelSpec("openai", "gpt-4.1"), options)
    model._context = 4096

    with pytest.raises(BackendUnavailable) as caught:
        model.chat(REQUEST)
    assert "openai:gpt-4.1" in caught.value.message and "0.2s" in caught.value.message
    assert "RELAY_GIT_TIMEOUT" in (caught.value.fix or "")


def test_context_from_llama_server_props(server: Loopback) -> None:
    """llama.cpp's llama-server: /v1/models has no context, /props has n_ctx."""
    server.route("GET", "/v1/models", {"object": "list", "data": [{"id": "m.gguf"}]})
    server.route("GET", "/props", {"default_generation_settings": {"n_ctx": 4096}})

    assert backend(server.url).context_length() == 4096


def test_cached_prompt_tokens_reach_the_result(server: Loopback) -> None:
    """OpenAI's automatic prefix caching reports usage.prompt_tokens_details.cached_tokens."""
    server.route("GET", "/v1/models", {"object": "list", "data": [{"id": "gpt-4.1"}]})
    reply = completion("ok", usage={"prompt_tokens": 2048, "completion_tokens": 2})
    reply["usage"]["prompt_tokens_details"] = {"cached_tokens": 1920, "audio_tokens": 0}
    server.route("POST", CHAT, reply)
    result = backend(server.url).chat(REQUEST)
    assert (result.prompt_tokens, result.cached_tokens) == (2048, 1920)
