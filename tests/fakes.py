"""A deterministic fake backend: scripted replies with ``enqueue()``, every request in ``history``.

Used for pipeline logic only; adapters are tested against loopback servers and the
end-to-end runs use real llama.cpp models.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest

from relay_git.cli import main
from relay_git.errors import BackendUnavailable
from relay_git.models.base import (
    Backend,
    BackendOptions,
    ChatRequest,
    ChatResult,
    ModelSpec,
    OnToken,
    Structured,
    backend_type,
    estimate_tokens,
    parse_spec,
)

REVIEWER = "ollama:fake-reviewer"  # FakeBackend's own spec
Reply = str | dict[str, Any] | Callable[[ChatRequest], str] | Exception


class FakeBackend:
    def __init__(self, spec: str = REVIEWER, context: int = 8192) -> None:
        self.spec: ModelSpec = parse_spec(spec)
        # As its backend answers: openai:/anthropic: are remote; llamacpp: keeps bounds.
        self.local = backend_type(self.spec).is_local(BackendOptions())
        self.structured: Structured = backend_type(self.spec).structured
        self.context = context
        self.history: list[ChatRequest] = []
        self._queue: list[Reply] = []
        self._lock = threading.Lock()
        self.default: Reply | None = None  # answered when the queue is empty
        self.cut_at_cap = False  # like a server: a reply longer than max_tokens is cut

    def enqueue(self, *replies: Reply) -> FakeBackend:
        self._queue.extend(replies)
        return self

    def context_length(self) -> int:
        return self.context

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def check(self) -> None:
        return None

    def chat(self, request: ChatRequest, on_token: OnToken | None = None) -> ChatResult:
        with self._lock:
            self.history.append(request)
            if self._queue:
                reply = self._queue.pop(0)
            elif self.default is not None:
                reply = self.default
            else:
                raise AssertionError(f"{self.spec}: unexpected model call #{len(self.history)}")
        if isinstance(reply, Exception):
            raise reply
        if callable(reply):
            reply = reply(request)
        text = reply if isinstance(reply, str) else json.dumps(reply)
        prompt = sum(estimate_tokens(m["content"]) for m in request.messages)
        out = estimate_tokens(text)
        reason = "stop"
        if self.cut_at_cap and out > request.max_tokens:
            while estimate_tokens(text) > request.max_tokens:
                text = text[: len(text) * request.max_tokens // estimate_tokens(text) - 1]
            out, reason = estimate_tokens(text), "length"
        if on_token:
            on_token(out)
        return ChatResult(text, prompt, out, 0.01, self.context, reason)


def factory(*backends: FakeBackend) -> Callable[[str], Backend]:
    """A make_backend for App: the fake whose spec matches, else BackendUnavailable."""
    by_spec = {b.spec.full: b for b in backends}

    def make(spec: str) -> Backend:
        full = parse_spec(spec).full
        if full not in by_spec:
            raise BackendUnavailable(f"no fake backend for {full}")
        return by_spec[full]

    return make


def run_review(
    args: list[str], fake: FakeBackend, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """``relay-git review --reviewer REVIEWER ARGS`` in process with ``fake`` as the reviewer."""
    code = main(["review", "--reviewer", REVIEWER, *args], obj={"make_backend": factory(fake)})
    out, err = capsys.readouterr()
    return code, out, err


def review_reply(
    verdict: str = "approve", summary: str = "ok", findings: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {"verdict": verdict, "summary": summary, "findings": findings or []}
