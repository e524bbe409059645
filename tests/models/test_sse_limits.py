"""A hostile OpenAI-compatible stream ends with a clear error, in bounded time and memory.

The outside review's SSE pathologies (issue 18, Low): a keep-alive stream that never ends,
a 300 MB line, an endless stream of empty chunks, more text than ``max_tokens`` allows,
and 40k pieces (quadratic before). No such server runs here, so a raw socket server on
127.0.0.1 writes the documented wire format (``text/event-stream``, ``data: {chunk}``
lines) byte for byte, as slowly or as much as each pathology needs, until the client
hangs up; for the plain cases tests/loopback.py is used as in test_openai_stream.py.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from relay_git.errors import BackendUnavailable
from relay_git.models import _http, sse, stops
from relay_git.models.base import BackendOptions, ChatRequest, ModelSpec
from relay_git.models.openai import OpenAIBackend

MESSAGES = ({"role": "user", "content": "hi"},)
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
Writer = Callable[[socket.socket], None]


def piece(text: str) -> bytes:
    choice = {"index": 0, "delta": {"content": text}, "finish_reason": None}
    return f"data: {json.dumps({'choices': [choice]})}\n\n".encode()


@contextmanager
def sse_server(write: Writer) -> Iterator[str]:
    """Answers GET /v1/models plainly and every POST with ``HEAD`` and then ``write``."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                try:
                    request = _request(conn)
                    if request.startswith(b"GET"):
                        body = json.dumps({"data": [{"id": "m"}]}).encode()
                        conn.sendall(_plain(body))
                    else:
                        conn.sendall(HEAD)
                        write(conn)
                except OSError:
                    pass  # the client hung up: what the limits are for

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        server.close()


def _request(conn: socket.socket) -> bytes:
    """The whole request (headers and body), so closing never resets unread data."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        body += conn.recv(65536)
    return head


def _plain(body: bytes) -> bytes:
    head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    return f"{head}Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body


def chat(url: str, max_tokens: int, timeout: float = 30.0) -> str:
    environ = {"RELAY_GIT_OPENAI_BASE_URL": url + "/v1"}
    options = BackendOptions(environ=environ, timeout=timeout, max_context=1 << 20)
    retry = _http.RetryPolicy(sleep=lambda _: None)
    backend = OpenAIBackend(ModelSpec("openai", "m"), options, retry)
    request = ChatRequest(MESSAGES, max_tokens=max_tokens, stop_when=stops.for_code_block)
    return backend.chat(request).text


def keep_alive(conn: socket.socket) -> None:
    for _ in range(2000):  # 100 s: far past any deadline the test allows
        conn.sendall(b": keep-alive\n\n")
        time.sleep(0.05)


def test_a_keep_alive_stream_that_never_ends_stops_at_its_deadline() -> None:
    with sse_server(keep_alive) as url, pytest.raises(BackendUnavailable) as caught:
        start = time.monotonic()
        chat(url, max_tokens=1, timeout=1.0)  # deadline: 1 s + 1 token at 2 tokens/s
    assert 1.4 < time.monotonic() - start < 6
    assert "still open after 1.5s" in str(caught.value)


def huge_line(conn: socket.socket) -> None:
    conn.sendall(b'data: {"choices": [{"delta": {"content": "')
    block = b"x" * (1 << 20)
    for _ in range(300):  # 300 MB, if the client kept reading
        conn.sendall(block)


def test_a_300_mb_line_is_refused_in_bounded_memory() -> None:
    tracemalloc.start()
    try:
        with sse_server(huge_line) as url, pytest.raises(BackendUnavailable) as caught:
            chat(url, max_tokens=64)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "a stream line of more than" in str(caught.value)
    assert peak < 32 << 20  # a few MB of buffers, not the 1.2 GB the review saw


def endless_empty_chunks(conn: socket.socket) -> None:
    empty = b'data: {"choices": [{"delta": {}, "finish_reason": null}]}\n\n'
    for _ in range(1_000_000):
        conn.sendall(empty * 64)


def test_an_endless_stream_of_empty_chunks_hits_the_size_cap() -> None:
    with sse_server(endless_empty_chunks) as url, pytest.raises(BackendUnavailable) as caught:
        chat(url, max_tokens=16)
    limit = sse.Limits.for_reply(16, 30.0).max_bytes
    assert f"a stream of more than {limit} bytes" in str(caught.value)


def too_much_text(conn: socket.socket) -> None:
    for _ in range(10_000):
        conn.sendall(piece(os.urandom(50).hex()))  # no repeats: stop_when sees no loop


def test_more_text_than_max_tokens_allows_is_refused() -> None:
    with sse_server(too_much_text) as url, pytest.raises(BackendUnavailable) as caught:
        chat(url, max_tokens=8)
    assert f"more than {8 * sse.CHARS_PER_TOKEN} characters" in str(caught.value)


PIECES = 40_000


def many_pieces(conn: socket.socket) -> None:
    events = [piece("```python\n")] + [piece(f"v{i} ") for i in range(PIECES)]
    conn.sendall(b"".join(events) + b"data: [DONE]\n\n")


def test_40k_pieces_are_read_in_linear_time() -> None:
    """The code block never closes, so stop_when is asked all the way (31 s of CPU before)."""
    with sse_server(many_pieces) as url:
        start = time.process_time()
        text = chat(url, max_tokens=PIECES + 10)
        spent = time.process_time() - start
    assert text == "```python\n" + "".join(f"v{i} " for i in range(PIECES))
    assert spent < 5, spent


@pytest.mark.parametrize(
    "chunks",
    [
        [b"data: a\r\n", b"\r\ndata: b\n\nda", b"ta: c"],
        [b"da", b"ta: a\n", b"\ndata: b", b"\n", b"\ndata: c\n"],
    ],
)
def test_lines_split_across_chunks(chunks: list[bytes]) -> None:
    got = [x for x in sse.lines(chunks, sse.Limits.for_reply(8, 5.0)) if x]
    assert got == ["data: a", "data: b", "data: c"]


def test_stop_when_still_cuts_a_short_reply_at_the_piece() -> None:
    """Below the first few kilobytes stop_when is asked at every piece, as before."""
    stream = [piece("```py\n"), piece("x = 1\n"), piece("```\n"), piece("after")]
    seen = sse.read(stream, stops.for_code_block, None, sse.Limits.for_reply(64, 5.0))
    assert seen.text == "```py\nx = 1\n```\n" and seen.reason == "stop" and seen.pieces == 3
