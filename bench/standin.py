"""A local stand-in for the Ollama server, on 127.0.0.1, for the hook tests and
bench/hook_latency.py (here, not in tests/, so the benchmark needs nothing from the tests).

The real server cannot run here, so this speaks the slice of Ollama's documented native
API the reviewer uses: ``POST /api/show`` (``model_info["<arch>.context_length"]``),
``POST /api/chat`` (one JSON object when ``stream`` is false, NDJSON chunks otherwise)
and ``GET /api/tags``; a model other than its own is answered as Ollama answers a model
that was never pulled (HTTP 404, ``model "x" not found, try pulling it first``). It
answers every chat with the next scripted review reply and
records each request, so a test can prove that a cached review made no model call.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL = "standin-reviewer"
SPEC = f"ollama:{MODEL}"


def reply(
    verdict: str = "approve",
    summary: str = "Looks fine.",
    findings: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {"verdict": verdict, "summary": summary, "findings": findings or []}


def error_at(path: str, line: int, message: str = "subtracts instead of adding") -> dict[str, Any]:
    finding = {
        "path": path,
        "line": line,
        "severity": "error",
        "category": "bug",
        "message": message,
    }
    return reply("fix", "A bug.", [finding])


@dataclass
class StandIn:
    url: str = ""
    replies: list[dict[str, Any]] = field(default_factory=list)
    chats: list[dict[str, Any]] = field(default_factory=list)  # every /api/chat body
    delay: float = 0.0  # seconds before answering a chat (for time-budget tests)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_reply(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.chats.append(body)
            return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


def _chat_body(content: str) -> dict[str, Any]:
    return {
        "model": MODEL,
        "created_at": "2026-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": content},
        "done": True,
        "done_reason": "stop",
        "prompt_eval_count": 100,
        "eval_count": 20,
    }


def _handler(state: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, payload: Any, ndjson: bool = False) -> None:
            data = json.dumps(payload).encode() + (b"\n" if ndjson else b"")
            self.send_response(200)
            self.send_header(
                "Content-Type", "application/x-ndjson" if ndjson else "application/json"
            )
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            # the client may have left at its time budget: that is the point of that test
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)

        def _missing(self, model: str) -> None:
            """404 with Ollama's own error object (/api/chat's wording)."""
            data = json.dumps({"error": f'model "{model}" not found, try pulling it first'})
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data.encode())

        def do_GET(self) -> None:
            self._send({"models": [{"name": MODEL, "model": MODEL, "size": 1, "digest": "0"}]})

        def do_POST(self) -> None:
            body = json.loads(
                self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}"
            )
            model = str(body.get("model", MODEL)).removesuffix(":latest")
            if self.path in ("/api/show", "/api/chat") and model != MODEL:
                self._missing(model)  # Ollama's answer for a model that was never pulled
            elif self.path == "/api/show":
                info = {"general.architecture": "llama", "llama.context_length": 16384}
                self._send({"model_info": info, "parameters": "", "modelfile": "", "template": ""})
            elif self.path == "/api/chat":
                content = json.dumps(state.next_reply(body))
                time.sleep(state.delay)
                self._send(_chat_body(content), ndjson=bool(body.get("stream")))
            else:
                self.send_error(404)

    return Handler


@contextmanager
def serve(*replies: dict[str, Any]) -> Iterator[StandIn]:
    state = StandIn(replies=list(replies) or [reply()])
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    """A port nothing listens on: connections to it are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
