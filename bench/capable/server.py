"""A loopback stand-in for a capable model, on 127.0.0.1, speaking OpenAI Chat Completions.

No capable model (Qwen3-Coder-30B as coder, a flagship as reviewer) can run here, so this
server stands in for one: its replies are what such a model writes for the relay's
requests, decided by a ``Brain`` (bench/capable/brain.py) from each request the way a
model would. It speaks the documented wire format of ``POST /v1/chat/completions``:

- a plain request gets one ``chat.completion`` object (``choices[0].message.content``,
  ``finish_reason``, ``usage.prompt_tokens`` / ``completion_tokens``);
- ``"stream": true`` gets server-sent events: ``data: {chat.completion.chunk}`` lines, the
  first with ``delta.role``, one per token with ``delta.content``, the last with
  ``finish_reason``, then (with ``stream_options.include_usage``) a chunk with ``usage``
  and no choices, then ``data: [DONE]``;
- ``GET /v1/models`` lists both models with their ``context_length``.

It honours ``max_tokens`` (or ``max_completion_tokens``): a reply longer than the cap is
cut there with ``finish_reason: "length"``; and ``stop``: the reply ends before the first
stop sequence, with ``finish_reason: "stop"``. Tokens are counted the same way everywhere
(replies, caps, usage): the pieces of the GPT-2 pre-tokenizer (a word with its leading
space, a number, a run of punctuation, a run of whitespace), about 4 characters each in
code. Every request and reply is recorded (``CapableServer.exchanges``) for the figures.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.capable.brain import Answer, Brain, content, role_of

CODER, REVIEWER = "standin-coder", "standin-reviewer"
CONTEXT = {CODER: 32768, REVIEWER: 131072}
TOKEN = re.compile(r"'(?:s|t|re|ve|m|ll|d)| ?[^\W\d_]+| ?\d+| ?[^\s\w]+| ?_+|\s+(?!\S)|\s+")


def tokens(text: str) -> list[str]:
    """``text`` as the server counts it: consecutive pieces that join back to ``text``."""
    return TOKEN.findall(text)


def count(text: str) -> int:
    return len(tokens(text))


@dataclass(frozen=True)
class Exchange:
    """One request and the reply sent for it."""

    model: str
    role: str
    stage: str
    schema: str  # the response_format json_schema name ("" without one)
    max_tokens: int | None
    stream: bool
    key: str  # model + messages, hashed: the same key twice is a duplicate request
    prompt_tokens: int
    reply_tokens: int  # the whole reply the model meant to write
    sent_tokens: int  # what was sent: reply_tokens, or max_tokens when cut
    cut: bool
    unclear: str
    fix_round: bool
    paths: tuple[str, ...]
    verdict: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _key(body: Mapping[str, Any]) -> str:
    data = json.dumps([body.get("model"), body.get("messages")], sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def _cap(body: Mapping[str, Any]) -> int | None:
    for key in ("max_completion_tokens", "max_tokens"):
        value = body.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def _until_stop(text: str, stop: object) -> str:
    """``text`` up to the first of the ``stop`` sequences (which is not sent), as documented."""
    stops = [stop] if isinstance(stop, str) else stop if isinstance(stop, list) else []
    ends = [text.find(s) for s in stops if isinstance(s, str) and s and s in text]
    return text[: min(ends)] if ends else text


def _schema_name(body: Mapping[str, Any]) -> str:
    fmt = body.get("response_format")
    if not isinstance(fmt, Mapping):
        return ""
    inner = fmt.get("json_schema")
    name = inner.get("name") if isinstance(inner, Mapping) else fmt.get("type")
    return str(name or "")


class CapableServer:
    """The stand-in on 127.0.0.1: ``url`` is its ``/v1`` base; ``exchanges`` what it saw."""

    def __init__(self, brain: Brain) -> None:
        self.brain = brain
        self.exchanges: list[Exchange] = []
        self.transcript: list[tuple[dict[str, Any], str]] = []  # (request, whole reply)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def reply(self, body: Mapping[str, Any]) -> tuple[Answer, list[str], str]:
        """The answer to ``body``: (answer, the token pieces sent, finish_reason)."""
        answer = self.brain.answer(body)
        pieces, cap = tokens(_until_stop(answer.text, body.get("stop"))), _cap(body)
        cut = cap is not None and len(pieces) > cap
        sent = pieces[:cap] if cut else pieces
        prompt = sum(count(content(m)) + 4 for m in body.get("messages") or [])
        model = str(body.get("model", ""))
        record = Exchange(
            model, role_of(model), answer.stage, _schema_name(body), cap,
            bool(body.get("stream")), _key(body), prompt, len(pieces), len(sent), cut,
            answer.unclear, answer.fix_round, answer.paths, answer.verdict,
        )  # fmt: skip
        with self._lock:
            self.exchanges.append(record)
            self.transcript.append((dict(body), answer.text))
        return answer, sent, "length" if cut else "stop"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _completion(model: str, text: str, reason: str, usage: dict[str, int]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-standin",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "logprobs": None,
                "finish_reason": reason,
            }
        ],
        "usage": usage,
    }


def _chunk(model: str, delta: dict[str, str], reason: str | None = None) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": reason}
    return {
        "id": "chatcmpl-standin",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [choice],
    }


def _handler(server: CapableServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _json(self, status: int, payload: object) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            with suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)

        def _error(self, status: int, message: str) -> None:
            error = {"message": message, "type": "invalid_request_error", "code": None}
            self._json(status, {"error": error})

        def do_GET(self) -> None:
            if self.path.rstrip("/") != "/v1/models":
                return self._error(404, f"no route {self.path}")
            data = [
                {"id": m, "object": "model", "owned_by": "standin", "context_length": n}
                for m, n in CONTEXT.items()
            ]
            self._json(200, {"object": "list", "data": data})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                return self._error(400, "the body is not JSON")
            if self.path.rstrip("/") != "/v1/chat/completions":
                return self._error(404, f"no route {self.path}")
            if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
                return self._error(400, "'messages' is a required list")
            if body.get("model") not in CONTEXT:
                return self._error(404, f"The model `{body.get('model')}` does not exist.")
            _answer, sent, reason = server.reply(body)
            prompt = sum(count(content(m)) + 4 for m in body["messages"])
            usage = {
                "prompt_tokens": prompt,
                "completion_tokens": len(sent),
                "total_tokens": prompt + len(sent),
            }
            model = str(body["model"])
            if body.get("stream"):
                options = body.get("stream_options") or {}
                self._stream(model, sent, reason, usage if options.get("include_usage") else None)
            else:
                self._json(200, _completion(model, "".join(sent), reason, usage))

        def _stream(
            self, model: str, sent: list[str], reason: str, usage: dict[str, int] | None
        ) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            events = [_chunk(model, {"role": "assistant", "content": ""})]
            events += [_chunk(model, {"content": piece}) for piece in sent]
            events.append(_chunk(model, {}, reason))
            if usage is not None:
                events.append({**_chunk(model, {}), "choices": [], "usage": usage})
            lines = [f"data: {json.dumps(e)}\n\n" for e in events] + ["data: [DONE]\n\n"]
            with suppress(BrokenPipeError, ConnectionResetError):  # the client may stop reading
                for start in range(0, len(lines), 16):
                    self.wfile.write("".join(lines[start : start + 16]).encode())
                    self.wfile.flush()

    return Handler


@contextmanager
def serve(brain: Brain) -> Iterator[CapableServer]:
    server = CapableServer(brain)
    try:
        yield server
    finally:
        server.close()
