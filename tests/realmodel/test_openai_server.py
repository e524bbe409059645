"""The OpenAI-compatible dialect of a real llama.cpp server (llama-cpp-python's
``llama_cpp.server`` serving the real SmolLM2 GGUF on 127.0.0.1).

The first tests speak raw ``/v1/chat/completions`` with httpx to pin down what the
server accepts; the last drives relay-git's ``openai`` backend against it.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import jsonschema
import pytest

from relay_git.models.base import BackendOptions, ChatRequest, create

pytestmark = pytest.mark.realmodel

PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}
ASK_PERSON = [{"role": "user", "content": "Describe a person as JSON with a name and an age."}]


def _model_id(base_url: str) -> str:
    models = httpx.get(f"{base_url}/models", timeout=10).json()["data"]
    assert len(models) == 1
    return str(models[0]["id"])


def _chat(base_url: str, **body: Any) -> httpx.Response:
    payload = {"model": _model_id(base_url), "temperature": 0, "seed": 0, **body}
    return httpx.post(f"{base_url}/chat/completions", json=payload, timeout=120)


def test_models_lists_the_gguf_path(llama_server: str) -> None:
    assert _model_id(llama_server).endswith("SmolLM2-135M-Instruct.Q4_1.gguf")


def test_json_object_with_schema_constrains_the_reply(llama_server: str) -> None:
    response = _chat(
        llama_server,
        messages=ASK_PERSON,
        max_tokens=64,
        response_format={"type": "json_object", "schema": PERSON},
    )
    assert response.status_code == 200, response.text
    reply = response.json()
    choice = reply["choices"][0]
    assert choice["finish_reason"] == "stop"
    jsonschema.validate(json.loads(choice["message"]["content"]), PERSON)
    assert reply["usage"]["prompt_tokens"] > 0
    assert reply["usage"]["completion_tokens"] > 0
    assert "timings" not in reply  # unlike llama.cpp's own llama-server


def test_max_tokens_ends_with_length(llama_server: str) -> None:
    story = [{"role": "user", "content": "Write a long story about a cat."}]
    response = _chat(llama_server, messages=story, max_tokens=5)
    assert response.status_code == 200, response.text
    reply = response.json()
    assert reply["choices"][0]["finish_reason"] == "length"
    assert reply["usage"]["completion_tokens"] == 5


def test_openai_json_schema_type_is_rejected_with_http_500(llama_server: str) -> None:
    """The dialect fact the openai backend must handle: ``json_schema`` is a 500, not a 4xx."""
    response = _chat(
        llama_server,
        messages=ASK_PERSON,
        max_tokens=64,
        response_format={"type": "json_schema", "json_schema": {"name": "p", "schema": PERSON}},
    )
    assert response.status_code == 500
    assert "Input should be 'text' or 'json_object'" in response.text


def test_relay_git_openai_backend_against_the_real_server(llama_server: str) -> None:
    """relay_git.models.openai against the real server: it must cope with the server's
    500 for ``json_schema`` and fall back to ``json_object`` + schema."""
    options = BackendOptions(openai_base_url=llama_server, timeout=120)
    backend = create(f"openai:{_model_id(llama_server)}", options)
    backend.check()
    plain = backend.chat(
        ChatRequest(messages=({"role": "user", "content": "Say hello."},), max_tokens=16)
    )
    assert plain.text.strip()
    assert 0 < plain.output_tokens <= 16
    request = ChatRequest(messages=tuple(ASK_PERSON), max_tokens=64, schema=PERSON)
    result = backend.chat(request)
    jsonschema.validate(json.loads(result.text), PERSON)
    assert result.prompt_tokens > 0
    assert result.output_tokens > 0


def test_the_openai_backend_streams_and_stops_a_code_block_on_the_real_server(
    llama_server: str,
) -> None:
    """With ``stop_when`` the backend asks the real server for an SSE stream, reads it piece
    by piece, and hangs up the moment the rule says so (here: after the first piece)."""
    from relay_git.models import stops

    options = BackendOptions(openai_base_url=llama_server, timeout=120)
    backend = create(f"openai:{_model_id(llama_server)}", options)
    ask = ({"role": "user", "content": "Write a Python function double(x) in a code block."},)
    counted: list[int] = []
    whole = backend.chat(
        ChatRequest(ask, 200, stop_when=stops.for_code_block), on_token=counted.append
    )
    assert counted and counted == list(range(1, len(counted) + 1))  # streamed, piece by piece
    assert whole.output_tokens >= len(counted)
    assert whole.done_reason in ("stop", "length", "repetition")

    cut = backend.chat(ChatRequest(ask, 200, stop_when=lambda text: "enough" if text else None))
    assert cut.done_reason == "enough"
    assert cut.output_tokens == 1
