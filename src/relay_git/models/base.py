"""The one interface every model backend implements, and the registry of backends.

A model is named ``BACKEND:NAME``; a bare name means Ollama. :data:`BACKENDS` maps each
backend name to the factory that builds it (as simonw/llm registers its models), and
:func:`create` is the one way a model is chosen: ``BACKENDS[parse_spec(spec).backend]``.
The factories import their module on first use, so that ``relay-git --help`` and cached
reviews never pay for httpx, ollama or llama.cpp.
"""

from __future__ import annotations

import importlib
import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from relay_git.errors import UsageError

if TYPE_CHECKING:
    from relay_git.models.retry import RetryPolicy

DEFAULT_BACKEND = "ollama"
OPENAI_DEFAULT_URL = "https://api.openai.com/v1"
ANTHROPIC_DEFAULT_URL = "https://api.anthropic.com"


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
    if sep and head in BACKENDS:
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
    near = [b for b in BACKENDS if abs(len(b) - len(word)) <= 2]
    close = difflib.get_close_matches(word, near, n=1, cutoff=0.8)
    return close[0] if close else None


def _refuse_backend_typo(spec: str, head: str, rest: str) -> None:
    if not _WORD.fullmatch(head) or _PORT_PATH.match(rest):  # host:port/model is Ollama's
        return
    close = _close_backend(head)
    if close is None and _looks_like_tag(rest):
        return
    known = ", ".join(BACKENDS)
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
    ttft_seconds: float | None = None  # time to the first token: prefill (None: unknown)
    decode_seconds: float | None = None  # generating the rest (None: the backend cannot say)


OnToken = Callable[[int], None]  # called with the running count of output tokens


class Backend(Protocol):
    spec: ModelSpec
    local: bool  # text sent to it stays on this machine (is_local); else call.ask redacts

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


def openai_base_url(options: BackendOptions) -> str:
    """Where ``openai:`` models are served: config, then the environment, then OpenAI."""
    env = options.environ
    raw = (
        options.openai_base_url
        or env.get("RELAY_GIT_OPENAI_BASE_URL")
        or env.get("OPENAI_BASE_URL")
        or OPENAI_DEFAULT_URL
    )
    return raw.strip().rstrip("/")


def anthropic_base_url(options: BackendOptions) -> str:
    return (options.environ.get("ANTHROPIC_BASE_URL") or ANTHROPIC_DEFAULT_URL).strip().rstrip("/")


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` names this machine by its address: the one test of "local".

    True only for an IP literal in 127.0.0.0/8 or ``::1`` (also IPv4-mapped, brackets
    allowed) and for exactly ``localhost``, which is taken as loopback without resolving it
    (RFC 6761 reserves the name for loopback; resolvers and /etc/hosts map it there). No
    other name is ever resolved: ``127.evil.example.com`` and ``localhost.evil.com`` are
    remote, and so are the short and hex forms the C library would accept (``127.1``,
    ``0x7f.1``) — a false "remote" only costs redaction, a false "local" leaks secrets.
    """
    name = host.strip().lower().removeprefix("[").removesuffix("]")
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


_AUTHORITY_TRICKS = re.compile(r"[@\\\s]")  # user-info, backslashes, spaces: parsers differ


def is_loopback_url(url: str, *, bind_all: bool = False) -> bool:
    """Whether a server URL (or bare ``host:port``) is on this machine by address.

    A URL with user-info or a backslash in its authority is never local: parsers disagree on
    which host ``http://127.0.0.1@evil.com`` or ``http://evil.com\\@127.0.0.1`` names.
    ``bind_all`` also accepts 0.0.0.0 and ::, for OLLAMA_HOST, which Ollama's backend
    rewrites to 127.0.0.1 (``ollama serve`` takes the bind address from the same variable).
    """
    raw = url.strip()
    try:
        parts = urlsplit(raw if "://" in raw else f"http://{raw}")
        host = parts.hostname or ""
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        return False
    if parts.scheme not in {"http", "https"} or _AUTHORITY_TRICKS.search(parts.netloc):
        return False
    if bind_all and host in {"0.0.0.0", "::"}:
        return True
    return is_loopback_host(host)


def is_local(spec: ModelSpec, options: BackendOptions) -> bool:
    """Whether text sent to this model stays on this machine (secrets may go to it).

    The one definition, used by review, scaffold and every model call (call.ask redacts what
    goes to any other): llama.cpp runs in process; Ollama, OpenAI-compatible servers and
    Anthropic only while the URL they are reached at is a loopback address (is_loopback_url),
    so llama.cpp's server on 127.0.0.1 is local and a remote Ollama is as far as any API.
    """
    if spec.backend == "llamacpp":
        return True
    if spec.backend == "ollama":
        raw = (options.environ.get("OLLAMA_HOST") or "").strip()
        return not raw or is_loopback_url(raw, bind_all=True)
    if spec.backend == "openai":
        return is_loopback_url(openai_base_url(options))
    if spec.backend == "anthropic":
        return is_loopback_url(anthropic_base_url(options))
    return False


def estimate_tokens(text: str) -> int:
    """A conservative token estimate (~3 characters a token) for budget planning."""
    return len(text) // 3 + 1


def estimate_prompt(messages: tuple[Message, ...]) -> int:
    """The estimated prompt of a chat: each message's text and ~4 tokens of role markup."""
    return sum(estimate_tokens(m["content"]) + 4 for m in messages)


class Factory(Protocol):
    """Builds one model of a backend; ``retry`` is for the network backends' requests."""

    def __call__(
        self, spec: ModelSpec, options: BackendOptions, retry: RetryPolicy | None = None, /
    ) -> Backend: ...


@runtime_checkable
class Listable(Protocol):
    """A backend that can list the models it serves (the network ones), for ``models``."""

    def served(self) -> list[str]:
        """Model names as the server lists them; "…" last when the list is cut off."""
        ...


def _lazy(module: str) -> Factory:
    """The factory of a backend module, imported on first use."""

    def factory(
        spec: ModelSpec, options: BackendOptions, retry: RetryPolicy | None = None, /
    ) -> Backend:
        made: Backend = importlib.import_module(module).create(spec, options, retry)
        return made

    return factory


# The registry: backend name -> factory, in the order `relay-git models` lists them.
BACKENDS: dict[str, Factory] = {
    "ollama": _lazy("relay_git.models.ollama"),
    "openai": _lazy("relay_git.models.openai"),
    "anthropic": _lazy("relay_git.models.anthropic"),
    "llamacpp": _lazy("relay_git.models.llamacpp"),
}


def create(
    spec: str | ModelSpec, options: BackendOptions, retry: RetryPolicy | None = None
) -> Backend:
    """The model ``spec`` names (``BACKEND:NAME``), built by its backend's factory."""
    parsed = parse_spec(spec) if isinstance(spec, str) else spec
    return BACKENDS[parsed.backend](parsed, options, retry)


def context_for(prompt_tokens: int, max_tokens: int, limit: int, floor: int = 2048) -> int:
    """The context to request: prompt + output + slack, rounded up to 1024, within the limit."""
    need = prompt_tokens + max_tokens + 256
    rounded = max(floor, -(-need // 1024) * 1024)
    return min(rounded, limit)
