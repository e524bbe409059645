"""The one interface every model backend implements, and the registry of backends.

A model is named ``BACKEND:NAME``; a bare name means Ollama. Backend modules are
imported lazily so that ``relay-git --help`` and cached reviews never pay for
httpx, ollama or llama.cpp.
"""

from __future__ import annotations

import importlib
import re
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
    """``openai:gpt-4.1`` -> (openai, gpt-4.1); ``qwen3-coder:30b`` -> (ollama, qwen3-coder:30b).

    A bare name means Ollama, and Ollama names have a colon too, so a prefix that is not a
    backend is read as a typo (UsageError, exit 2) rather than a model when the part before
    the first colon is a plain word of letters, like every backend name, and either

    - it is close to a backend name (``antropic`` -> anthropic, ``olama`` -> ollama), or
    - what follows is not an Ollama tag: it has a further colon (``nope:qwen3:30b``), or it
      has no digit and is not a common variant word (``nope:x``; but ``mistral:7b``,
      ``llava:latest``, ``phi3:mini`` and ``qwen3-coder:30b`` are Ollama models).

    Close means difflib similarity of at least 0.8 and a length within two letters, so
    ``codellama`` and ``tinyllama`` are not typos of ``ollama``; a port and a path after the
    colon (``localhost:5000/team/model:tag``) name a registry, and are always Ollama's.

    An Ollama model the rule misreads is always reachable as ``ollama:NAME``.
    """
    spec = spec.strip()
    if not spec:
        raise UsageError("empty model spec", "use BACKEND:NAME, e.g. ollama:qwen3-coder:30b")
    head, sep, rest = spec.partition(":")
    if sep and head in KNOWN_BACKENDS:
        if not rest:
            raise UsageError(f"model spec {spec!r} names no model", f"use {head}:NAME")
        return ModelSpec(head, rest)
    if sep:
        _refuse_backend_typo(spec, head, rest)
    return ModelSpec(DEFAULT_BACKEND, spec)


_WORD = re.compile(r"[A-Za-z]+")
_PORT_PATH = re.compile(r"\d+/")  # a registry's port: localhost:5000/team/model:tag
# Ollama tags without a digit that are common in its library (sizes and versions have digits).
_TAG_WORDS = frozenset(
    {"latest", "instruct", "chat", "text", "code", "python", "base", "mini", "small"}
    | {"medium", "large", "lite", "vision", "uncensored", "embed"}
)


def _looks_like_tag(tag: str) -> bool:
    if ":" in tag:
        return False
    return any(c.isdigit() for c in tag) or tag.lower().split("-")[0] in _TAG_WORDS


def _close_backend(head: str) -> str | None:
    """A backend ``head`` is a typo of: similar, and within two letters of its length."""
    import difflib  # only a spec with an unknown prefix gets here

    word = head.lower()
    near = [b for b in KNOWN_BACKENDS if abs(len(b) - len(word)) <= 2]
    close = difflib.get_close_matches(word, near, n=1, cutoff=0.8)
    return close[0] if close else None


def _refuse_backend_typo(spec: str, head: str, rest: str) -> None:
    if not _WORD.fullmatch(head) or _PORT_PATH.match(rest):  # host:port/model is Ollama's
        return
    close = _close_backend(head)
    if close is None and _looks_like_tag(rest):
        return
    known = ", ".join(KNOWN_BACKENDS)
    hint = f"did you mean {close}:{rest}?" if close else f"known backends: {known}."
    raise UsageError(
        f"unknown backend {head!r} in model spec {spec!r}",
        f"{hint} For an Ollama model of that name write ollama:{spec}",
    )


Message = dict[str, str]  # {"role": "system"|"user"|"assistant", "content": "..."}


@dataclass(frozen=True)
class ChatRequest:
    messages: tuple[Message, ...]
    max_tokens: int
    schema: Mapping[str, Any] | None = None  # JSON schema for constrained decoding
    temperature: float = 0.0
    seed: int = 0
    # Streamed text so far -> a reason to stop now ("stop", "repetition"), or None to go on.
    # Backends that stream honour it; the others are bounded by max_tokens alone.
    stop_when: Callable[[str], str | None] | None = None


@dataclass(frozen=True)
class ChatResult:
    text: str
    prompt_tokens: int
    output_tokens: int
    seconds: float  # wall seconds of the call
    context: int  # context window size requested (num_ctx / n_ctx / model limit)
    done_reason: str = "stop"  # "stop" | "length" | "repetition" | backend-specific
    cached_tokens: int = 0  # prompt tokens served from the engine's prefix cache, if reported


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
