"""The one interface every model backend implements, and the registry of backends.

A model is named ``BACKEND:NAME``; a bare name means Ollama. As pre-commit's
``all_languages.py`` maps a language to the module that answers every question about it,
:data:`BACKENDS` maps each backend name to its :class:`BackendType`, which answers for its
backend: whether text sent to it stays on this machine (``is_local``), what its
constrained decoding keeps of a schema (``structured``), the most context it asks for
(``context_limit``), and how one of its models is built (``create``). Nothing outside
``models/`` asks for a backend by name. A type imports its backend's module (and its
client) only in ``create``, so that ``relay-git --help`` and cached reviews never pay for
httpx, ollama or llama.cpp.
"""

from __future__ import annotations

import enum
import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from relay_git.errors import UsageError
from relay_git.models.loopback import is_loopback_url

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


class Structured(enum.StrEnum):
    """What a backend's constrained decoding keeps of a reply's JSON schema."""

    GRAMMAR = "grammar"  # all of it, length bounds too (in-process llama.cpp's grammar)
    SCHEMA = "schema"  # the schema without length bounds (grammar_safe): the servers
    NONE = "none"  # nothing: no schema is sent, the reply is only validated after

    def keep(self, schema: dict[str, Any]) -> dict[str, object] | None:
        """``schema`` as this kind of constrained decoding takes it (None: not sent)."""
        if self is Structured.GRAMMAR:
            return schema
        if self is Structured.SCHEMA:
            kept: dict[str, object] = grammar_safe(schema)
            return kept
        return None


class Backend(Protocol):
    """One model of a backend, built by its type's ``create`` (and answering as it does)."""

    spec: ModelSpec

    @property
    def local(self) -> bool:
        """Text sent to it stays on this machine (its type's is_local); else call.ask redacts."""
        ...

    @property
    def structured(self) -> Structured:
        """What its constrained decoding keeps of a schema (its type's)."""
        ...

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
    """The schema without length bounds: what a server's constrained decoding is sent
    (:attr:`Structured.SCHEMA`); in-process llama.cpp's grammar keeps them (``GRAMMAR``).

    llama.cpp's grammar builder behind a server (its own, or Ollama's) rejected nested
    repetition bounds such as a list of strings with maxLength, and then crashed; pydantic
    still checks the bounds when the reply is validated.
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


def estimate_tokens(text: str) -> int:
    """A conservative token estimate (~3 characters a token) for budget planning."""
    return len(text) // 3 + 1


def estimate_prompt(messages: tuple[Message, ...]) -> int:
    """The estimated prompt of a chat: each message's text and ~4 tokens of role markup."""
    return sum(estimate_tokens(m["content"]) + 4 for m in messages)


@runtime_checkable
class Listable(Protocol):
    """A backend that can list the models it serves (the network ones), for ``models``."""

    def served(self) -> list[str]:
        """Model names as the server lists them; "…" last when the list is cut off."""
        ...


class BackendType:
    """What a backend answers about itself without building a model; one subclass each."""

    name: ClassVar[str]
    module: ClassVar[str]  # where its model class and ``create`` live, imported on first use
    structured: ClassVar[Structured] = Structured.SCHEMA

    @classmethod
    def is_local(cls, options: BackendOptions) -> bool:
        """Whether text sent to it stays on this machine (secrets may go to it): by where
        it sends, a loopback address only (is_loopback_url); call.ask redacts the rest."""
        return False

    @classmethod
    def context_limit(cls, options: BackendOptions) -> int:
        """The most context it asks a model for; a model's own limit may be lower."""
        return options.max_context

    @classmethod
    def create(
        cls, spec: ModelSpec, options: BackendOptions, retry: RetryPolicy | None = None
    ) -> Backend:
        """One model; ``retry`` is for the network backends' requests."""
        made: Backend = importlib.import_module(cls.module).create(spec, options, retry)
        return made


class Ollama(BackendType):
    name = "ollama"
    module = "relay_git.models.ollama"

    @classmethod
    def is_local(cls, options: BackendOptions) -> bool:
        """OLLAMA_HOST on this machine; unset is 127.0.0.1, a bind-all address dials it."""
        raw = (options.environ.get("OLLAMA_HOST") or "").strip()
        return not raw or is_loopback_url(raw, bind_all=True)


class OpenAI(BackendType):
    name = "openai"
    module = "relay_git.models.openai"

    @classmethod
    def is_local(cls, options: BackendOptions) -> bool:
        """An OpenAI-compatible server on loopback (llama.cpp's server on 127.0.0.1)."""
        return is_loopback_url(openai_base_url(options))


class Anthropic(BackendType):
    name = "anthropic"
    module = "relay_git.models.anthropic"
    CONTEXT: ClassVar[int] = 200_000

    @classmethod
    def is_local(cls, options: BackendOptions) -> bool:
        return is_loopback_url(anthropic_base_url(options))

    @classmethod
    def context_limit(cls, options: BackendOptions) -> int:
        return min(cls.CONTEXT, options.max_context)


class LlamaCpp(BackendType):
    name = "llamacpp"
    module = "relay_git.models.llamacpp"
    structured = Structured.GRAMMAR  # its converter keeps maxItems/maxLength bounds
    CTX_ENV: ClassVar[str] = "RELAY_GIT_LLAMACPP_CTX"
    DEFAULT_CTX: ClassVar[int] = 4096
    THREADS_ENV: ClassVar[str] = "RELAY_GIT_LLAMACPP_THREADS"
    DEFAULT_THREADS: ClassVar[int] = 2

    @classmethod
    def is_local(cls, options: BackendOptions) -> bool:
        return True  # runs in this process

    @classmethod
    def context_limit(cls, options: BackendOptions) -> int:
        """min(options.max_context, $RELAY_GIT_LLAMACPP_CTX or 4096); the model may cap it."""
        return min(_positive(options, cls.CTX_ENV, cls.DEFAULT_CTX), options.max_context)

    @classmethod
    def threads(cls, options: BackendOptions) -> int:
        """$RELAY_GIT_LLAMACPP_THREADS or 2: llama.cpp's threads. On a busy machine one
        thread can be faster than two fighting another process for the cores."""
        return _positive(options, cls.THREADS_ENV, cls.DEFAULT_THREADS)


def _positive(options: BackendOptions, name: str, default: int) -> int:
    """The positive whole number environment variable ``name`` holds, else ``default``."""
    raw = options.environ.get(name, "").strip()
    fix = f"set {name}={default}"
    try:
        wanted = int(raw) if raw else default
    except ValueError:
        raise UsageError(f"{name}={raw!r} is not a number", fix) from None
    if wanted <= 0:
        raise UsageError(f"{name} must be positive, got {wanted}", fix)
    return wanted


# The registry: backend name -> its type, in the order `relay-git models` lists them.
BACKENDS: dict[str, type[BackendType]] = {t.name: t for t in (Ollama, OpenAI, Anthropic, LlamaCpp)}


def backend_type(spec: ModelSpec) -> type[BackendType]:
    """The type that answers for ``spec``'s backend."""
    return BACKENDS[spec.backend]


def create(
    spec: str | ModelSpec, options: BackendOptions, retry: RetryPolicy | None = None
) -> Backend:
    """The model ``spec`` names (``BACKEND:NAME``), built by its backend's type."""
    parsed = parse_spec(spec) if isinstance(spec, str) else spec
    return backend_type(parsed).create(parsed, options, retry)


def context_for(prompt_tokens: int, max_tokens: int, limit: int, floor: int = 2048) -> int:
    """The context to request: prompt + output + slack, rounded up to 1024, within the limit."""
    need = prompt_tokens + max_tokens + 256
    rounded = max(floor, -(-need // 1024) * 1024)
    return min(rounded, limit)
