"""The Ollama backend against a loopback server speaking Ollama's native API.

No Ollama daemon runs here, so tests/loopback.py plays it, replying with the documented
shapes of /api/chat (one JSON object, or NDJSON when streaming, with a possible
``{"error": ...}`` line mid-stream), /api/show (model_info + parameters) and /api/tags.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.loopback import Loopback, Reply, Sleeps, closed_port

from relay_git.errors import BackendUnavailable
from relay_git.models import _http, stops
from relay_git.models.base import BackendOptions, ChatRequest, ModelSpec, context_for
from relay_git.models.ollama import OllamaBackend, normalize_host, parse_context

MODEL = "qwen3:4b"
SHOW = {
    "modelfile": "FROM /models/blob",
    "parameters": 'stop                           "<|im_end|>"',
    "template": "{{ .Prompt }}",
    "details": {"format": "gguf", "family": "qwen3", "parameter_size": "4.0B"},
    "model_info": {"general.architecture": "qwen3", "qwen3.context_length": 40960},
    "capabilities": ["completion", "tools"],
    "modified_at": "2025-05-04T17:37:44.706015396-07:00",
}


def chat_reply(content: str, done_reason: str = "stop", **counts: int) -> dict[str, Any]:
    return {
        "model": MODEL,
        "created_at": "2025-05-04T17:40:00.000000Z",
        "message": {"role": "assistant", "content": content},
        "done_reason": done_reason,
        "done": True,
        "total_duration": 5_000_000,
        "load_duration": 1_000,
        "prompt_eval_count": counts.get("prompt", 26),
        "prompt_eval_duration": 1_000_000,
        "eval_count": counts.get("output", 5),
        "eval_duration": 4_000_000,
    }


def chunk(content: str) -> dict[str, Any]:
    return {
        "model": MODEL,
        "created_at": "2025-05-04T17:40:00.000000Z",
        "message": {"role": "assistant", "content": content},
        "done": False,
    }


def backend(
    host: str, *, max_context: int = 32768, timeout: float = 5.0, sleeps: Sleeps | None = None
) -> OllamaBackend:
    options = BackendOptions(
        environ={"OLLAMA_HOST": host}, timeout=timeout, max_context=max_context
    )
    retry = _http.RetryPolicy(sleep=sleeps if sleeps is not None else Sleeps())
    return OllamaBackend(ModelSpec("ollama", MODEL), options, retry)


REQUEST = ChatRequest(
    messages=({"role": "system", "content": "be brief"}, {"role": "user", "content": "hi " * 300}),
    max_tokens=200,
    temperature=0.2,
    seed=7,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, "http://127.0.0.1:11434"),
        ("", "http://127.0.0.1:11434"),
        ("0.0.0.0:11434", "http://127.0.0.1:11434"),
        ("0.0.0.0", "http://127.0.0.1:11434"),
        ("localhost", "http://localhost:11434"),
        ("gpu-box:9999", "http://gpu-box:9999"),
        ("http://h:8080", "http://h:8080"),
        ("https://ollama.example.com/", "https://ollama.example.com"),
        ("[::1]:5000", "http://[::1]:5000"),
        ("example.com/proxy", "http://example.com:11434/proxy"),
    ],
)
def test_normalize_host(raw: str | None, expected: str) -> None:
    assert normalize_host(raw) == expected


@pytest.mark.parametrize(
    ("info", "parameters", "expected"),
    [
        ({"llama.context_length": 131072}, None, 131072),
        ({"qwen3.context_length": 40960}, "num_ctx                        8192\nstop x", 8192),
        ({"general.architecture": "x"}, "temperature 0.1", None),
        (None, None, None),
    ],
)
def test_parse_context(
    info: dict[str, Any] | None, parameters: str | None, expected: int | None
) -> None:
    assert parse_context(info, parameters) == expected


def test_chat_sends_sized_num_ctx_and_reads_usage(server: Loopback) -> None:
    server.route("POST", "/api/show", SHOW)
    server.route("POST", "/api/chat", chat_reply("hello there", prompt=321, output=9))
    model = backend(server.url)

    result = model.chat(REQUEST)

    [sent] = server.received("/api/chat")
    body = sent.json()
    prompt = sum(len(m["content"]) // 3 + 1 + 4 for m in REQUEST.messages)
    assert body["model"] == MODEL
    assert body["stream"] is False
    assert body["messages"] == [dict(m) for m in REQUEST.messages]
    assert body["options"] == {
        "num_ctx": context_for(prompt, 200, 32768),
        "num_predict": 200,
        "temperature": 0.2,
        "seed": 7,
    }
    assert body["options"]["num_ctx"] == 2048
    assert "format" not in body
    assert (result.text, result.prompt_tokens, result.output_tokens) == ("hello there", 321, 9)
    assert result.context == 2048
    assert result.done_reason == "stop"
    assert result.seconds >= 0


def test_chat_sends_schema_as_format(server: Loopback) -> None:
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    server.route("POST", "/api/show", SHOW)
    server.route("POST", "/api/chat", chat_reply('{"ok": true}'))

    result = backend(server.url).chat(ChatRequest(REQUEST.messages, 50, schema=schema))

    [sent] = server.received("/api/chat")
    assert sent.json()["format"] == schema
    assert result.text == '{"ok": true}'


def test_num_ctx_grows_with_prompt_and_is_capped_by_the_model(server: Loopback) -> None:
    show = {**SHOW, "model_info": {"qwen3.context_length": 6000}}
    server.route("POST", "/api/show", show)
    server.route("POST", "/api/chat", chat_reply("x"))
    model = backend(server.url)
    long = ChatRequest(({"role": "user", "content": "word " * 3000},), max_tokens=1500)

    model.chat(long)
    model.chat(REQUEST)

    first, second = (r.json()["options"]["num_ctx"] for r in server.received("/api/chat"))
    assert first == 6000  # 5000+1500+256 rounds to 7168, capped at the model's 6000
    assert second == 2048
    assert len(server.received("/api/show")) == 1  # learned once per instance


@pytest.mark.parametrize(
    ("info", "parameters", "max_context", "expected"),
    [
        ({"qwen3.context_length": 40960}, "", 32768, 32768),
        ({"qwen3.context_length": 40960}, "", 65536, 40960),
        ({"qwen3.context_length": 40960}, "num_ctx                        8192", 32768, 8192),
        ({"general.architecture": "qwen3"}, "", 16384, 16384),
    ],
)
def test_context_length_from_api_show(
    server: Loopback, info: dict[str, Any], parameters: str, max_context: int, expected: int
) -> None:
    server.route("POST", "/api/show", {**SHOW, "model_info": info, "parameters": parameters})

    assert backend(server.url, max_context=max_context).context_length() == expected
    [sent] = server.received("/api/show")
    assert sent.json()["model"] == MODEL


def test_streaming_counts_tokens_and_passes_length(server: Loopback) -> None:
    final = {**chat_reply("", done_reason="length", prompt=40, output=3)}
    server.route("POST", "/api/show", SHOW)
    server.route("POST", "/api/chat", Reply(lines=[chunk("al"), chunk("pha"), chunk("bet"), final]))
    seen: list[int] = []

    result = backend(server.url).chat(REQUEST, on_token=seen.append)

    assert server.received("/api/chat")[0].json()["stream"] is True
    assert seen == [1, 2, 3]
    assert result.text == "alphabet"
    assert result.done_reason == "length"
    assert (result.prompt_tokens, result.output_tokens) == (40, 3)


def test_mid_stream_error_line_is_backend_unavailable(server: Loopback) -> None:
    lines = [chunk("par"), {"error": "llama runner process has terminated: signal: killed"}]
    server.route("POST", "/api/show", SHOW)
    server.route("POST", "/api/chat", Reply(lines=lines))

    with pytest.raises(BackendUnavailable) as caught:
        backend(server.url).chat(REQUEST, on_token=lambda _: None)

    assert caught.value.exit_code == 3
    assert "llama runner process has terminated" in caught.value.message
    assert str(ModelSpec("ollama", MODEL)) in caught.value.message


@pytest.mark.parametrize("stream", [False, True])
def test_missing_model_says_ollama_pull(server: Loopback, stream: bool) -> None:
    server.route("POST", "/api/show", SHOW)
    server.route("POST", "/api/chat", Reply(404, {"error": f"model '{MODEL}' not found"}))

    with pytest.raises(BackendUnavailable) as caught:
        backend(server.url).chat(REQUEST, on_token=(lambda _: None) if stream else None)

    assert caught.value.fix == f"`ollama pull {MODEL}`"
    assert "not found" in caught.value.message
    assert len(server.received("/api/chat")) == 1  # a 404 is not retried


def test_missing_model_in_api_show(server: Loopback) -> None:
    server.route("POST", "/api/show", Reply(404, {"error": f"model '{MODEL}' not found"}))

    with pytest.raises(BackendUnavailable, match="not found") as caught:
        backend(server.url).context_length()
    assert caught.value.fix == f"`ollama pull {MODEL}`"


@pytest.mark.parametrize("call", ["chat", "check", "context_length"])
def test_connection_refused_names_host_and_fix(call: str) -> None:
    host = f"127.0.0.1:{closed_port()}"
    model = backend(host)

    with pytest.raises(BackendUnavailable) as caught:
        if call == "chat":
            model.chat(REQUEST)
        else:
            getattr(model, call)()

    assert caught.value.exit_code == 3
    assert f"http://{host}" in caught.value.message
    assert caught.value.fix == "start it with `ollama serve`, or set OLLAMA_HOST"


def test_connection_refused_while_streaming() -> None:
    model_down = backend(f"127.0.0.1:{closed_port()}")
    model_down._context = 4096  # skip /api/show: the refusal must come from the streamed chat

    with pytest.raises(BackendUnavailable, match="cannot reach Ollama"):
        model_down.chat(REQUEST, on_token=lambda _: None)


def test_timeout_names_model_and_limit(server: Loopback) -> None:
    server.route("POST", "/api/show", SHOW)
    server.route("POST", "/api/chat", Reply(200, chat_reply("late"), delay=1.0))

    with pytest.raises(BackendUnavailable) as caught:
        backend(server.url, timeout=0.2).chat(REQUEST)

    assert f"ollama:{MODEL}" in caught.value.message
    assert "0.2s" in caught.value.message
    assert "RELAY_GIT_TIMEOUT" in (caught.value.fix or "")


def test_retries_503_honouring_retry_after(server: Loopback) -> None:
    busy = Reply(503, {"error": "server busy"}, {"Retry-After": "2"})
    server.route("POST", "/api/show", SHOW)
    server.route("POST", "/api/chat", busy, Reply(500, {"error": "oops"}), chat_reply("ok"))
    sleeps = Sleeps()

    result = backend(server.url, sleeps=sleeps).chat(REQUEST)

    assert result.text == "ok"
    assert sleeps == [2.0, 2.0]  # Retry-After, then the second backoff step (1s * 2)
    assert len(server.received("/api/chat")) == 3


def test_retries_are_bounded_and_report_status(server: Loopback) -> None:
    server.route("POST", "/api/show", SHOW)
    server.route("POST", "/api/chat", Reply(502, {"error": "bad gateway upstream"}))
    sleeps = Sleeps()

    with pytest.raises(BackendUnavailable) as caught:
        backend(server.url, sleeps=sleeps).chat(REQUEST)

    assert "HTTP 502" in caught.value.message
    assert "bad gateway upstream" in caught.value.message
    assert sleeps == [1.0, 2.0, 4.0]
    assert len(server.received("/api/chat")) == 4


def test_bad_request_is_not_retried(server: Loopback) -> None:
    server.route("POST", "/api/show", SHOW)
    server.route("POST", "/api/chat", Reply(400, {"error": "invalid format schema"}))
    sleeps = Sleeps()

    with pytest.raises(BackendUnavailable, match="HTTP 400: invalid format schema"):
        backend(server.url, sleeps=sleeps).chat(REQUEST)
    assert sleeps == []
    assert len(server.received("/api/chat")) == 1


TAGS = {
    "models": [
        {
            "name": name,
            "model": name,
            "modified_at": "2025-05-04T17:37:44.706015396-07:00",
            "size": 2_600_000_000,
            "digest": "a" * 64,
            "details": {"format": "gguf", "family": "qwen3", "parameter_size": "4B"},
        }
        for name in ("qwen3:4b", "llama3.2:latest")
    ]
}


@pytest.mark.parametrize("name", ["qwen3:4b", "llama3.2", "llama3.2:latest"])
def test_check_accepts_listed_models(server: Loopback, name: str) -> None:
    server.route("GET", "/api/tags", TAGS)
    options = BackendOptions(environ={"OLLAMA_HOST": server.url})

    OllamaBackend(ModelSpec("ollama", name), options).check()

    assert [r.path for r in server.requests] == ["/api/tags"]


def test_check_rejects_unlisted_model(server: Loopback) -> None:
    server.route("GET", "/api/tags", TAGS)
    options = BackendOptions(environ={"OLLAMA_HOST": server.url})

    with pytest.raises(BackendUnavailable) as caught:
        OllamaBackend(ModelSpec("ollama", "qwen3-coder:30b"), options).check()
    assert caught.value.fix == "`ollama pull qwen3-coder:30b`"


def test_registry_creates_ollama_backend(server: Loopback) -> None:
    from relay_git.models.base import create

    model = create("qwen3:4b", BackendOptions(environ={"OLLAMA_HOST": server.url}))

    assert isinstance(model, OllamaBackend)
    assert model.host == server.url
    assert server.url in repr(model)


def test_a_looping_stream_is_stopped_while_it_streams(server: Loopback) -> None:
    """The loopback server streams NDJSON chunks as Ollama does; stop_when hangs up early."""
    loop = [chunk('{"path": "1.0.0", "action": "write"}, ') for _ in range(40)]
    final = chat_reply("", done_reason="length", prompt=40, output=400)
    server.route("POST", "/api/show", SHOW)
    server.route("POST", "/api/chat", Reply(lines=[chunk("["), *loop, final]))
    request = ChatRequest(REQUEST.messages, 400, stop_when=stops.for_json)

    result = backend(server.url).chat(request)

    assert result.done_reason == "repetition"
    assert result.output_tokens < 10  # stopped at the third repeat, not at the cap
    assert result.text.count('"1.0.0"') == 3
