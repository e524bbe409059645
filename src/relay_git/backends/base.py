"""The one interface every model backend implements, and the registry of backends.

A model is named ``BACKEND:NAME``; a bare name means Ollama. Backend modules are
imported lazily so that ``relay-git --help`` and cached reviews never pay for
httpx, ollama or llama.cpp.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from relay_git.errors import UsageError

KNOWN_BACKENDS = {
    "ollama": "relay_git.backends.ollama",
    "openai": "relay_git.backends.openai",
    "anthropic": "relay_git.backends.anthropic",
    "llamacpp": "relay_git.backends.llamacpp",
}
DEFAULT_BACKEND = "ollama"
# Backends that never send text off this machine (secrets may go to them).
LOCAL_BACKENDS = frozenset({"ollama", "llamacpp"})


@dataclass(frozen=True)
class ModelSpec:
    backend: str
    name: str

    @property
    def full(self) -> str:
        return f"{self.backend}:{self.name}"

    def __str__(self) -> str:
        return self.full


def parse_spec(spec: str) -> ModelSpec:
    """``openai:gpt-4.1`` -> (openai, gpt-4.1); ``qwen3-coder:30b`` -> (ollama, qwen3-coder:30b)."""
    spec = spec.strip()
    if not spec:
        raise UsageError("empty model spec", "use BACKEND:NAME, e.g. ollama:qwen3-coder:30b")
    head, sep, rest = spec.partition(":")
    if sep and head in KNOWN_BACKENDS:
        if not rest:
            raise UsageError(f"model spec {spec!r} names no model", f"use {head}:NAME")
        return ModelSpec(head, rest)
    return ModelSpec(DEFAULT_BACKEND, spec)


Message = dict[str, str]  # {"role": "system"|"user"|"assistant", "content": "..."}


@dataclass(frozen=True)
class ChatRequest:
    messages: tuple[Message, ...]
    max_tokens: int
    schema: Mapping[str, Any] | None = None  # JSON schema for constrained decoding
    temperature: float = 0.0
    seed: int = 0


@dataclass(frozen=True)
class ChatResult:
    text: str
    prompt_tokens: int
    output_tokens: int
    seconds: float  # wall seconds of the call
    context: int  # context window size requested (num_ctx / n_ctx / model limit)
    done_reason: str = "stop"  # "stop" | "length" | backend-specific


OnToken = Callable[[int], None]  # called with the running count of output tokens


class Backend(Protocol):
    spec: ModelSpec

    def context_length(self) -> int:
        """The model's context window in tokens."""
        ...

    def count_tokens(self, text: str) -> int:
        """Token count of ``text`` (exact where the backend can, else a safe estimate)."""
        ...

    def chat(self, request: ChatRequest, on_token: OnToken | None = None) -> ChatResult:
        """One chat completion. Raises BackendUnavailable for server/model faults."""
        ...

    def check(self) -> None:
        """Reachability and model presence; raises BackendUnavailable with the fix."""
        ...


@dataclass(frozen=True)
class BackendOptions:
    """What a backend may need from configuration; environ is passed in, never read globally."""

    environ: Mapping[str, str] = field(default_factory=dict)
    openai_base_url: str | None = None
    timeout: float = 600.0
    max_context: int = 32768  # never ask for more than this, whatever the model supports


_GRAMMAR_UNSAFE = frozenset({"maxLength", "maxItems"})


def grammar_safe(schema: Any) -> Any:
    """The schema without length bounds, as sent to every backend for constrained decoding.

    llama.cpp's grammar builder (in-process and behind its server) rejects nested repetition
    bounds such as a list of strings with maxLength, and then crashes; pydantic still checks
    the bounds when the reply is validated.
    """
    if isinstance(schema, Mapping):
        return {k: grammar_safe(v) for k, v in schema.items() if k not in _GRAMMAR_UNSAFE}
    if isinstance(schema, list):
        return [grammar_safe(v) for v in schema]
    return schema


_LOOPBACK = frozenset({"", "localhost", "::1", "0.0.0.0", "::"})


def is_local(spec: ModelSpec, environ: Mapping[str, str]) -> bool:
    """Whether text sent to this model stays on this machine (secrets may go to it).

    llama.cpp runs in process; Ollama only while ``OLLAMA_HOST`` names this machine (a
    remote Ollama is as far away as any hosted API); every other backend is remote.
    """
    if spec.backend == "llamacpp":
        return True
    if spec.backend != "ollama":
        return False
    raw = (environ.get("OLLAMA_HOST") or "").strip()
    host = urlsplit(raw if "://" in raw else f"http://{raw}").hostname or ""
    return host in _LOOPBACK or host.startswith("127.")


def estimate_tokens(text: str) -> int:
    """A conservative token estimate (~3 characters a token) for budget planning."""
    return len(text) // 3 + 1


def create(spec: str | ModelSpec, options: BackendOptions) -> Backend:
    parsed = parse_spec(spec) if isinstance(spec, str) else spec
    module = importlib.import_module(KNOWN_BACKENDS[parsed.backend])
    factory: Callable[[ModelSpec, BackendOptions], Backend] = module.create
    return factory(parsed, options)


def context_for(prompt_tokens: int, max_tokens: int, limit: int, floor: int = 2048) -> int:
    """The context to request: prompt + output + slack, rounded up to 1024, within the limit."""
    need = prompt_tokens + max_tokens + 256
    rounded = max(floor, -(-need // 1024) * 1024)
    return min(rounded, limit)
