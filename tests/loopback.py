"""A scripted HTTP server on 127.0.0.1 for adapter tests, recording every request.

Usage::

    from tests.loopback import Reply, serve

    with serve() as server:
        server.route("POST", "/api/chat", {"message": {...}, "done": True})
        server.route("GET", "/v1/models", Reply(429, {"error": "slow"}, {"Retry-After": "1"}),
                     Reply(200, {"data": []}))
        ...  # point the code under test at server.url
        [request] = server.received("/api/chat")
        assert request.json()["options"]["num_ctx"] == 4096

- ``route(method, path, *replies)`` queues replies for that route; each request takes the
  next one and the last one repeats. A plain dict/list is shorthand for a 200 JSON reply.
- ``Reply(status, body, headers)``: a dict/list body is sent as JSON, str/bytes as is.
- ``Reply(..., lines=[...])`` streams the body with chunked transfer encoding, one chunk
  per line; dict lines become NDJSON, str/bytes lines are sent verbatim (use this for SSE).
- ``Reply(..., delay=s)`` sleeps before answering (for client timeouts).
- Unrouted requests get ``404 {"error": "no route for METHOD PATH"}``.
- ``server.requests`` / ``server.received(path)`` hold :class:`Recorded` requests.
- ``closed_port()`` returns a port nothing listens on, for connection-refused tests.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

Body = bytes | str | Mapping[str, Any] | Sequence[Any]


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Body = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    lines: Sequence[Body] | None = None  # streamed, one chunk each
    delay: float = 0.0


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str  # without the query string
    query: str
    headers: Mapping[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def _encode(body: Body) -> tuple[bytes, str]:
    if isinstance(body, bytes):
        return body, "application/octet-stream"
    if isinstance(body, str):
        return body.encode(), "text/plain; charset=utf-8"
    return json.dumps(body).encode(), "application/json"


class Loopback:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._routes: dict[tuple[str, str], list[Reply]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    def route(self, method: str, path: str, *replies: Reply | Body) -> None:
        """Script ``method path``: replies are served in order, the last one repeats."""
        if not replies:
            raise ValueError("route needs at least one reply")
        queued = [r if isinstance(r, Reply) else Reply(200, r) for r in replies]
        with self._lock:
            self._routes[(method.upper(), path)] = queued

    def received(self, path: str | None = None) -> list[Recorded]:
        """Requests so far, optionally only those for ``path``."""
        with self._lock:
            return [r for r in self.requests if path is None or r.path == path]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _next(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
            queue = self._routes.get((request.method, request.path))
            if not queue:
                return Reply(404, {"error": f"no route for {request.method} {request.path}"})
            return queue.pop(0) if len(queue) > 1 else queue[0]


def _handler_for(server: Loopback) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in separate writes: without this, Nagle's algorithm
            # and delayed ACKs add ~40 ms to every reply.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = server._next(Recorded(self.command, parts.path, parts.query, headers, body))
            if reply.delay:
                time.sleep(reply.delay)
            try:
                if reply.lines is None:
                    self._send_whole(reply)
                else:
                    self._send_lines(reply)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (e.g. its timeout)

        def _start(self, reply: Reply, content_type: str) -> None:
            self.send_response(reply.status)
            if not any(key.lower() == "content-type" for key in reply.headers):
                self.send_header("Content-Type", content_type)
            self.send_header("Connection", "close")
            for key, value in reply.headers.items():
                self.send_header(key, value)

        def _send_whole(self, reply: Reply) -> None:
            data, content_type = _encode(reply.body)
            self._start(reply, content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _send_lines(self, reply: Reply) -> None:
            self._start(reply, "application/x-ndjson")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for line in reply.lines or ():
                data = line if isinstance(line, bytes | str) else json.dumps(line) + "\n"
                raw = data.encode() if isinstance(data, str) else data
                self.wfile.write(f"{len(raw):x}\r\n".encode() + raw + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")

        do_GET = do_POST = do_PUT = do_DELETE = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serve() -> Iterator[Loopback]:
    """A running :class:`Loopback` for the duration of the block."""
    server = Loopback()
    try:
        yield server
    finally:
        server.close()


def closed_port() -> int:
    """A 127.0.0.1 port that was free a moment ago: connecting to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class Sleeps(list[float]):
    """A ``RetryPolicy.sleep`` that records each wait instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
