"""A 127.0.0.1 OpenAI-compatible model server for whole ``relay-git scaffold`` subprocesses.

It answers ``POST /v1/chat/completions`` by the stage the request is for -- recognised from
the JSON schema in ``response_format`` (plan, plan-review, plan-correction, verdict,
review), or, for a request without one (the relay's code and test drafts, answered as
fenced blocks), from its system prompt (code, test-drafts) -- with the documented
chat-completion shape, and ``GET /v1/models``. A stage can be *held*: its request waits
until released, and :meth:`wait_for` tells the test it arrived, so a test knows exactly
which stage boundary the relay process is standing on when it signals it.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = dict[str, Any] | str  # a JSON reply, or text as the model wrote it (a fenced block)
Replies = Mapping[str, Callable[[], Reply]]


def stage_of(body: Mapping[str, Any]) -> str:
    """plan, plan-review, plan-correction, verdict, review (findings), code or test-drafts."""
    fmt = body.get("response_format")
    if not fmt:
        system = next((m["content"] for m in body.get("messages", []) if m["role"] == "system"), "")
        return "test-drafts" if "pytest tests" in system else "code"
    schema = fmt.get("schema") or (fmt.get("json_schema") or {}).get("schema") or {}
    props = schema.get("properties", {})
    if "files" in props:
        return "plan"
    if "findings" in props:
        return "review"
    if "comments" in props:
        return "plan-correction"
    verdicts = props.get("verdict", {}).get("enum", ())
    return "plan-review" if "revise" in verdicts else "verdict"


class RelayServer:
    def __init__(self, replies: Replies) -> None:
        self.replies = replies
        self.seen: list[str] = []  # stages, in the order requests arrived
        self.bodies: list[dict[str, Any]] = []
        self._held: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._arrival = threading.Condition(self._lock)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    def hold(self, stage: str) -> None:
        with self._lock:
            self._held[stage] = threading.Event()

    def release(self) -> None:
        with self._lock:
            for event in self._held.values():
                event.set()

    def wait_for(self, stage: str, times: int = 1, timeout: float = 30) -> bool:
        """Wait until ``stage`` has been asked for ``times`` times in all."""
        with self._arrival:
            return self._arrival.wait_for(lambda: self.seen.count(stage) >= times, timeout)

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        stage = stage_of(body)
        with self._lock:
            self.seen.append(stage)
            self.bodies.append(body)
            self._arrival.notify_all()
            gate = self._held.get(stage)
        if gate is not None:
            gate.wait(60)
        reply = self.replies[stage]()
        content = reply if isinstance(reply, str) else json.dumps(reply)
        return {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30},
        }

    def close(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _handler(server: RelayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _send(self, payload: object) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the relay process was killed meanwhile

        def do_GET(self) -> None:
            self._send({"object": "list", "data": [{"id": "small"}, {"id": "large"}]})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._send(server.answer(json.loads(self.rfile.read(length))))

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def relay_server(replies: Replies) -> Iterator[RelayServer]:
    server = RelayServer(replies)
    try:
        yield server
    finally:
        server.close()
