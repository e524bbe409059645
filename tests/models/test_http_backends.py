"""The HTTP backends' failures, word for word: the base they share in _http.py must say what
each one said on its own (the fix, the host, the masked key), against a loopback server
that answers with the status and body of each case (the real APIs cannot be reached here).
"""

from __future__ import annotations

import pytest
from tests.loopback import Body, Loopback, Reply, closed_port

from relay_git.errors import BackendUnavailable
from relay_git.models import _http, anthropic, openai
from relay_git.models.base import BackendOptions, ChatRequest, ModelSpec

KEY = "sk-test-0123456789abcdef"
REQUEST = ChatRequest(messages=({"role": "user", "content": "hi"},), max_tokens=8)
CHAT = {"openai": "/v1/chat/completions", "anthropic": "/v1/messages"}
KEY_SAID = {"error": {"message": f"bad key {KEY}"}}

# (backend, status, body) -> (message, fix); HOST stands for http://127.0.0.1:PORT.
CASES = [
    (
        "openai",
        401,
        KEY_SAID,
        "HOST refused the request (HTTP 401: bad key ***)",
        "check OPENAI_API_KEY",
    ),
    (
        "openai",
        404,
        {"error": "nope"},
        "HOST has no model m1 or no /v1/chat/completions (HTTP 404: nope)",
        "check the model name and RELAY_GIT_OPENAI_BASE_URL (usually ends in /v1)",
    ),
    (
        "openai",
        503,
        "busy",
        "HOST answered HTTP 503 for openai:m1: busy",
        "check the server log, or retry later",
    ),
    (
        "openai",
        200,
        {"choices": []},
        'HOST sent a reply that is not an OpenAI chat completion (1 problems): {"choices": []}',
        "check that the base URL points at an OpenAI-compatible /v1 endpoint",
    ),
    (
        "anthropic",
        403,
        KEY_SAID,
        "HOST refused the request (HTTP 403: bad key ***)",
        "check ANTHROPIC_API_KEY",
    ),
    (
        "anthropic",
        404,
        {"error": "nope"},
        "HOST has no model m1 (HTTP 404: nope)",
        "check the model name, e.g. anthropic:claude-sonnet-4-5",
    ),
    (
        "anthropic",
        529,
        "overloaded",
        "HOST answered HTTP 529 for anthropic:m1: overloaded",
        "retry later; see status.anthropic.com",
    ),
    (
        "anthropic",
        200,
        {"content": "x"},
        'HOST sent a reply that is not an Anthropic message (1 problems): {"content": "x"}',
        "check ANTHROPIC_BASE_URL",
    ),
]


def make(kind: str, url: str) -> openai.OpenAIBackend | anthropic.AnthropicBackend:
    """An HTTP backend at ``url``, with its key set and one attempt per request."""
    environ = {
        "RELAY_GIT_OPENAI_BASE_URL": url + "/v1",
        "OPENAI_API_KEY": KEY,
        "ANTHROPIC_BASE_URL": url,
        "ANTHROPIC_API_KEY": KEY,
    }
    options = BackendOptions(environ=environ, timeout=5.0)
    retry = _http.RetryPolicy(attempts=1)
    spec = ModelSpec(kind, "m1")
    if kind == "openai":
        return openai.create(spec, options, retry)
    return anthropic.create(spec, options, retry)


@pytest.mark.parametrize(("kind", "status", "body", "message", "fix"), CASES)
def test_failures_keep_their_words(
    server: Loopback, kind: str, status: int, body: Body, message: str, fix: str
) -> None:
    server.route("GET", "/v1/models", {"data": [{"id": "m1"}]})
    server.route("POST", CHAT[kind], Reply(status, body))
    with pytest.raises(BackendUnavailable) as caught:
        make(kind, server.url).chat(REQUEST)
    assert caught.value.message == message.replace("HOST", server.url)
    assert caught.value.fix == fix
    assert KEY not in str(caught.value)


@pytest.mark.parametrize(
    ("kind", "what", "fix"),
    [
        ("openai", "the OpenAI-compatible server", openai.START_FIX),
        (
            "anthropic",
            "the Anthropic API",
            "check the network, or ANTHROPIC_BASE_URL if you set it",
        ),
    ],
)
def test_unreachable_names_the_server_and_the_fix(kind: str, what: str, fix: str) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(BackendUnavailable) as caught:
        make(kind, url).check()
    assert caught.value.message == f"cannot reach {what} at {url}"
    assert caught.value.fix == fix


def test_repr_names_the_class_and_url() -> None:
    backend = make("anthropic", "http://127.0.0.1:9")
    assert repr(backend) == "AnthropicBackend('anthropic:m1', base_url='http://127.0.0.1:9')"
