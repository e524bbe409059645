"""Backend faults end in one line with the fix and exit 3 (issue 7, point 3).

No model server runs here: tests/loopback.py plays Ollama (``/api/show``, ``/api/chat``),
an OpenAI-compatible server (``/v1/models``, ``/v1/chat/completions``) and Anthropic
(``/v1/messages``) with their documented reply shapes, and injects the faults. Faults
that need a broken HTTP exchange (a body cut short, a chunked stream that never ends)
come from :func:`raw_server`, a socket that writes scripted bytes and hangs up.
Every run goes through ``main(["review", ...])`` with the real backend factory.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.fakes import review_reply
from tests.loopback import Loopback, Reply, closed_port, serve

from relay_git.cli import main
from relay_git.errors import BackendUnavailable
from relay_git.models import _http, ollama
from relay_git.models.base import BackendOptions, ChatRequest, create, parse_spec

KEY = "sk-ant-hardening-0123456789abcdefghij"
OPENAI_KEY = "sk-hardening-openai-0123456789abcdef"
REPLY = review_reply()
SHOW = {"model_info": {"general.architecture": "x", "x.context_length": 8192}, "parameters": ""}


def ollama_ok() -> dict[str, Any]:
    return {
        "model": "m",
        "created_at": "2026-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": json.dumps(REPLY)},
        "done": True,
        "done_reason": "stop",
        "prompt_eval_count": 10,
        "eval_count": 5,
    }


def openai_ok() -> dict[str, Any]:
    return {
        "id": "c1",
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": json.dumps(REPLY)},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def anthropic_ok() -> dict[str, Any]:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "content": [{"type": "tool_use", "id": "t1", "name": "reply", "input": REPLY}],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 10, "output_tokens": 5},
    }


@dataclass(frozen=True)
class Kind:
    """One backend as the review command meets it: its routes and how it is pointed."""

    spec: str
    paths: tuple[tuple[str, str], ...]  # (method, path) the review requests, in order
    ok: tuple[Any, ...]  # a good reply for each path
    env: Callable[[str], dict[str, str]]


KINDS = {
    "ollama": Kind(
        "ollama:m",
        (("POST", "/api/show"), ("POST", "/api/chat")),
        (SHOW, ollama_ok()),
        lambda url: {"OLLAMA_HOST": url},
    ),
    "openai": Kind(
        "openai:m",
        (("GET", "/v1/models"), ("POST", "/v1/chat/completions")),
        ({"object": "list", "data": [{"id": "m"}]}, openai_ok()),
        lambda url: {"RELAY_GIT_OPENAI_BASE_URL": url + "/v1", "OPENAI_API_KEY": OPENAI_KEY},
    ),
    "anthropic": Kind(
        "anthropic:m",
        (("POST", "/v1/messages"),),
        (anthropic_ok(),),
        lambda url: {"ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": KEY},
    ),
}


def review(
    kind: Kind,
    url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *extra: str,
) -> tuple[int, str]:
    for name, value in kind.env(url).items():
        monkeypatch.setenv(name, value)
    code = main(["review", "--reviewer", kind.spec, "--no-cache", *extra])
    return code, capsys.readouterr().err


def error_line(err: str) -> str:
    """The single ``relay-git: error:`` line, with its fix in parentheses, no traceback."""
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.startswith("relay-git: error:")]
    assert len(lines) == 1, err
    assert lines[0].endswith(")") and " (" in lines[0], lines[0]
    return lines[0]


def everywhere(server: Loopback, kind: Kind, *replies: Reply) -> None:
    for method, path in kind.paths:
        server.route(method, path, *replies)


# -- status faults, every backend ----------------------------------------------------------

STATUS_FAULTS = {
    "404-model-missing": (
        Reply(404, {"error": {"message": "model 'm' not found"}, "type": "error"}),
        1,
        "m",
    ),
    "429-retry-after-0": (Reply(429, {"error": "slow down"}, {"Retry-After": "0"}), 4, "429"),
    "500-retry-after-0": (Reply(500, {"error": "boom"}, {"Retry-After": "0"}), 4, "500"),
    "503-retry-after-0": (Reply(503, {"error": "loading"}, {"Retry-After": "0"}), 4, "503"),
    "503-retry-after-1h": (Reply(503, {"error": "down"}, {"Retry-After": "3600"}), 1, "503"),
    "200-not-json": (Reply(200, "<html>captive portal</html>"), 1, ""),
    "200-error-body": (Reply(200, {"error": {"message": "model crashed"}}), 1, "model crashed"),
}


@pytest.mark.parametrize("fault", list(STATUS_FAULTS))
@pytest.mark.parametrize("name", list(KINDS))
def test_status_fault_exits_3_with_bounded_retries(
    staged: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    fault: str,
) -> None:
    reply, attempts, shown = STATUS_FAULTS[fault]
    kind = KINDS[name]
    with serve() as server:
        everywhere(server, kind, reply)
        code, err = review(kind, server.url, monkeypatch, capsys)
        requests = server.received()
    assert code == 3
    line = error_line(err)
    if not (name == "ollama" and fault == "200-error-body"):  # the ollama client drops the body
        assert shown in line
    # retried up to 4 times on the first path that failed, never endlessly
    first_fault = [r for r in requests if r.path == requests[0].path]
    assert len(first_fault) == attempts or (fault.startswith("404") and len(first_fault) <= 2)
    assert len(requests) <= 2 * attempts
    assert KEY not in err and OPENAI_KEY not in err


@pytest.mark.parametrize("name", list(KINDS))
def test_transient_fault_then_success_exits_0(
    staged: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    kind = KINDS[name]
    with serve() as server:
        for (method, path), ok in zip(kind.paths, kind.ok, strict=True):
            server.route(method, path, Reply(503, {"error": "x"}, {"Retry-After": "0"}), ok)
        code, err = review(kind, server.url, monkeypatch, capsys)
    assert code == 0, err


@pytest.mark.slow  # waits out a real timeout per backend
@pytest.mark.parametrize("name", list(KINDS))
def test_reply_slower_than_the_timeout(
    staged: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """A model still loading: the first request takes longer than RELAY_GIT_TIMEOUT."""
    kind = KINDS[name]
    monkeypatch.setenv("RELAY_GIT_TIMEOUT", "0.3")
    with serve() as server:
        for (method, path), ok in zip(kind.paths, kind.ok, strict=True):
            server.route(method, path, Reply(200, ok, delay=1.5))
        code, err = review(kind, server.url, monkeypatch, capsys)
        count = len(server.received())
    assert code == 3
    line = error_line(err)
    assert "0.3s" in line and "RELAY_GIT_TIMEOUT" in line
    assert count == 1  # a timeout is not retried: the user's budget is already spent


@pytest.mark.parametrize(
    "host", ["closed-port", "http://nohost.invalid:11434"], ids=["refused", "dns"]
)
@pytest.mark.parametrize("name", list(KINDS))
def test_unreachable_server(
    staged: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    host: str,
) -> None:
    url = f"http://127.0.0.1:{closed_port()}" if host == "closed-port" else host
    code, err = review(KINDS[name], url, monkeypatch, capsys)
    assert code == 3
    line = error_line(err)
    assert "cannot reach" in line
    assert url.split("//")[1] in line  # names where it looked


def test_hook_mode_fails_open_but_strict_exits_3(
    staged: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    kind = KINDS["ollama"]
    code, err = review(kind, url, monkeypatch, capsys, "--hook")
    assert code == 0 and "review not done" in err
    code, err = review(kind, url, monkeypatch, capsys, "--hook", "--strict")
    assert code == 3


# -- broken HTTP exchanges -------------------------------------------------------------------


@contextmanager
def raw_server(answers: dict[str, bytes]) -> Iterator[str]:
    """Answer each request path with scripted raw bytes, then hang up (404 when unscripted)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.settimeout(0.05)
    stop = threading.Event()

    def serve_one(conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            path = data.split(b" ", 2)[1].decode().split("?")[0]
            conn.sendall(answers.get(path, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"))

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            threading.Thread(target=serve_one, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        sock.close()


def whole(body: bytes, length: int | None = None) -> bytes:
    size = len(body) if length is None else length
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n"
    return head.encode() + b"Connection: close\r\n\r\n" + body


def chunked(*lines: bytes, finished: bool) -> bytes:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
    head += b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    body = b"".join(f"{len(x):x}\r\n".encode() + x + b"\r\n" for x in lines)
    return head + body + (b"0\r\n\r\n" if finished else b"")


def good(kind: str) -> dict[str, bytes]:
    k = KINDS[kind]
    return {
        path: whole(json.dumps(ok).encode()) for (_, path), ok in zip(k.paths, k.ok, strict=True)
    }


BROKEN = {
    # Content-Length promises more than arrives before the server hangs up
    "body-cut-short": lambda kind, path, ok: whole(json.dumps(ok).encode()[:40], 4000),
    # JSON cut mid-value, with an honest Content-Length
    "json-cut-short": lambda kind, path, ok: whole(json.dumps(ok).encode()[:40]),
    # a streamed (chunked) reply where the server stops before the last chunk
    "stream-stops": lambda kind, path, ok: chunked(json.dumps(ok).encode()[:30], finished=False),
    # an NDJSON stream to a non-streaming request, ending in an error line
    "error-mid-stream": lambda kind, path, ok: chunked(
        b'{"model":"m","message":{"role":"assistant","content":"{\\"ver"},"done":false}\n',
        b'{"error":"llama runner process has terminated: signal: killed"}\n',
        finished=True,
    ),
    # the server hangs up without a word
    "empty-reply": lambda kind, path, ok: b"",
}


@pytest.mark.parametrize("fault", list(BROKEN))
@pytest.mark.parametrize("name", list(KINDS))
def test_broken_exchange_exits_3(
    staged: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    fault: str,
) -> None:
    kind = KINDS[name]
    answers = good(name)
    _, path = kind.paths[-1]  # the chat call breaks; discovery calls succeed
    answers[path] = BROKEN[fault](name, path, kind.ok[-1])
    with raw_server(answers) as url:
        code, err = review(kind, url, monkeypatch, capsys)
    assert code == 3, err
    error_line(err)


def test_error_line_mid_stream_names_the_server_message(
    staged: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = good("ollama")
    answers["/api/chat"] = BROKEN["error-mid-stream"]("ollama", "/api/chat", None)
    with raw_server(answers) as url:
        code, err = review(KINDS["ollama"], url, monkeypatch, capsys)
    assert code == 3
    assert "llama runner process has terminated" in error_line(err)


# -- streaming adapters (the scaffold stages stream; review does not) -----------------------

STREAM_FAULTS = {
    "stream-stops": chunked(
        b'{"model":"m","message":{"role":"assistant","content":"par"},"done":false}\n',
        finished=False,
    ),
    "no-done-line": chunked(
        b'{"model":"m","message":{"role":"assistant","content":"par"},"done":false}\n',
        finished=True,
    ),
    "error-mid-stream": BROKEN["error-mid-stream"]("ollama", "/api/chat", None),
    "garbage-line": chunked(b'{"model":"m","message":{"role":"assis\n', finished=True),
}


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
@pytest.mark.parametrize("fault", list(STREAM_FAULTS))
def test_ollama_chat_faults_are_backend_unavailable(fault: str, stream: bool) -> None:
    answers = {"/api/show": whole(json.dumps(SHOW).encode()), "/api/chat": STREAM_FAULTS[fault]}
    request = ChatRequest(messages=({"role": "user", "content": "hi"},), max_tokens=10)
    with raw_server(answers) as url:
        options = BackendOptions(environ={"OLLAMA_HOST": url}, timeout=5)
        backend = ollama.create(parse_spec("ollama:m"), options, _http.RetryPolicy(sleep=no_sleep))
        with pytest.raises(BackendUnavailable) as info:
            backend.chat(request, (lambda _n: None) if stream else None)
    assert "\n" not in str(info.value) and info.value.fix


def no_sleep(_seconds: float) -> None:
    return None


@pytest.mark.parametrize("name", list(KINDS))
def test_backoff_without_retry_after_doubles_and_is_bounded(name: str) -> None:
    kind = KINDS[name]
    sleeps: list[float] = []
    with serve() as server:
        everywhere(server, kind, Reply(500, {"error": "boom"}))
        options = BackendOptions(environ=kind.env(server.url), timeout=5)
        backend = create(kind.spec, options, _http.RetryPolicy(sleep=sleeps.append))
        request = ChatRequest(messages=({"role": "user", "content": "hi"},), max_tokens=10)
        with pytest.raises(BackendUnavailable):
            backend.chat(request)
    assert sleeps == [1.0, 2.0, 4.0]
