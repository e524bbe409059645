"""In-process llama.cpp (llama-cpp-python): the embedded backend for offline use.

``llamacpp:/path/model.gguf``. Each model is loaded once per process and shared;
llama.cpp contexts are not thread-safe, so calls on one model are serialized.
Structured requests use llama.cpp's grammar-constrained decoding, reached through
``response_format={"type": "json_object", "schema": ...}``.
"""

from __future__ import annotations

import atexit
import ctypes
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relay_git.backends.base import (
    BackendOptions,
    ChatRequest,
    ChatResult,
    Message,
    ModelSpec,
    OnToken,
    grammar_safe,
)
from relay_git.errors import BackendUnavailable, UsageError
from relay_git.localmodels import local_fix

LOCAL_FIX = local_fix()
DEFAULT_CTX = 4096
CTX_ENV = "RELAY_GIT_LLAMACPP_CTX"
THREADS = 2
SEED = 0


@dataclass
class _Loaded:
    """One loaded model and the lock that serializes calls on it."""

    llm: Any  # llama_cpp.Llama
    n_ctx: int
    lock: threading.Lock


_MODELS: dict[tuple[str, int], _Loaded] = {}
_MODELS_LOCK = threading.Lock()
_LOG_SINK: Any = None  # the ctypes callback must outlive every call llama.cpp makes to it


def requested_context(options: BackendOptions) -> int:
    """min(options.max_context, $RELAY_GIT_LLAMACPP_CTX or 4096); the model may cap it further."""
    raw = options.environ.get(CTX_ENV, "").strip()
    try:
        wanted = int(raw) if raw else DEFAULT_CTX
    except ValueError:
        raise UsageError(f"{CTX_ENV}={raw!r} is not a number", f"set {CTX_ENV}=4096") from None
    if wanted <= 0:
        raise UsageError(f"{CTX_ENV} must be positive, got {wanted}", f"set {CTX_ENV}=4096")
    return min(wanted, options.max_context)


def chat_format_for(metadata: Mapping[str, str]) -> str:
    """The model's own template when it ships one, else gemma for Gemma models, else chatml."""
    if metadata.get("tokenizer.chat_template"):
        return "chat_template.default"  # llama-cpp-python registers the GGUF template so
    if metadata.get("general.architecture", "").startswith("gemma"):
        return "gemma"
    return "chatml"


def fold_system(messages: tuple[Message, ...]) -> list[Message]:
    """Gemma has no system role (llama-cpp-python drops it): prepend it to the first user turn."""
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    rest = [dict(m) for m in messages if m["role"] != "system"]
    if not system:
        return rest
    for message in rest:
        if message["role"] == "user":
            message["content"] = f"{system}\n\n{message['content']}"
            return rest
    return [{"role": "user", "content": system}, *rest]


def _silence_llama_logs(llama_cpp: Any) -> None:
    """Keep llama.cpp's log lines off the user's terminal.

    llama-cpp-python's verbose=False still lets through messages such as
    "using full-size SWA cache" (its level table predates ggml's current one);
    load and decode failures still surface as Python exceptions.
    """
    global _LOG_SINK
    if _LOG_SINK is None:

        def drop(level: int, text: bytes, user_data: Any) -> None:
            return None

        _LOG_SINK = llama_cpp.llama_log_callback(drop)
        llama_cpp.llama_log_set(_LOG_SINK, ctypes.c_void_p(0))


def _construct(path: Path, n_ctx: int) -> Any:
    try:
        import llama_cpp
    except ImportError:
        raise BackendUnavailable("llama-cpp-python is not installed", LOCAL_FIX) from None
    _silence_llama_logs(llama_cpp)
    try:
        return llama_cpp.Llama(
            model_path=str(path),
            n_ctx=n_ctx,
            n_threads=THREADS,
            n_threads_batch=THREADS,
            seed=SEED,
            verbose=False,
        )
    except ValueError as err:  # llama-cpp-python: "Failed to load model from file"
        raise BackendUnavailable(f"llama.cpp could not load {path}: {err}", LOCAL_FIX) from None


def _load(path: Path, n_ctx: int) -> _Loaded:
    llm = _construct(path, n_ctx)
    trained = int(llm._model.n_ctx_train())
    if 0 < trained < n_ctx:
        llm.close()
        llm = _construct(path, trained)
    llm.chat_format = chat_format_for(llm.metadata)
    return _Loaded(llm=llm, n_ctx=int(llm.n_ctx()), lock=threading.Lock())


@atexit.register
def _close_all() -> None:
    """Free every model before interpreter teardown, when llama.cpp's finalizers would fail
    noisily ("Exception ignored in Llama.__del__") because module globals are already gone."""
    with _MODELS_LOCK:
        for loaded in _MODELS.values():
            loaded.llm.close()
        _MODELS.clear()


def load(path: Path, n_ctx: int) -> _Loaded:
    """The process-wide instance of ``path`` at context ``n_ctx``, loading it the first time."""
    if not path.is_file():
        raise BackendUnavailable(f"model file {path} does not exist", LOCAL_FIX)
    key = (str(path.resolve()), n_ctx)
    with _MODELS_LOCK:
        loaded = _MODELS.get(key)
        if loaded is None:
            loaded = _MODELS[key] = _load(path, n_ctx)
        return loaded


@contextmanager
def _counting_samples(llm: Any, on_token: OnToken | None) -> Iterator[None]:
    """Report each sampled token to ``on_token`` while the reply is generated.

    Llama.generate() calls ``self.sample()`` once per output token, so an instance
    attribute wrapping it counts exactly and keeps the non-streaming reply (and its
    usage). A logits processor would too, but costs ~3x the generation time.
    The caller holds the model's lock, so no other call sees the wrapper.
    """
    if on_token is None:
        yield
        return
    original = llm.sample
    count = 0

    def sample(*args: Any, **kwargs: Any) -> Any:
        nonlocal count
        token = original(*args, **kwargs)
        count += 1
        on_token(count)
        return token

    llm.sample = sample
    try:
        yield
    finally:
        del llm.sample


class LlamaCppBackend:
    """A GGUF model run in this process by llama.cpp."""

    def __init__(self, spec: ModelSpec, options: BackendOptions) -> None:
        self.spec = spec
        self.local = True  # runs in this process
        self.path = Path(spec.name).expanduser()
        self.n_ctx = requested_context(options)

    @contextmanager
    def _model(self) -> Iterator[_Loaded]:
        loaded = load(self.path, self.n_ctx)
        with loaded.lock:
            yield loaded

    def context_length(self) -> int:
        return load(self.path, self.n_ctx).n_ctx

    def count_tokens(self, text: str) -> int:
        with self._model() as loaded:
            return len(loaded.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def check(self) -> None:
        load(self.path, self.n_ctx)

    def chat(self, request: ChatRequest, on_token: OnToken | None = None) -> ChatResult:
        with self._model() as loaded:
            messages: list[Message] | tuple[Message, ...] = request.messages
            if loaded.llm.chat_format == "gemma":
                messages = fold_system(request.messages)
            kwargs: dict[str, Any] = {
                "messages": list(messages),
                "max_tokens": request.max_tokens,
                "temperature": request.temperature,
                "seed": request.seed,
            }
            if request.schema is not None:
                kwargs["response_format"] = {
                    "type": "json_object",
                    "schema": grammar_safe(
                        request.schema
                    ),  # belt and braces: call.py already did it
                }
            started = time.monotonic()
            with _counting_samples(loaded.llm, on_token):
                reply = _complete(loaded.llm, kwargs, self.spec)
            seconds = time.monotonic() - started
        return _result(reply, seconds, loaded.n_ctx)


def _complete(llm: Any, kwargs: dict[str, Any], spec: ModelSpec) -> dict[str, Any]:
    try:
        reply: dict[str, Any] = llm.create_chat_completion(**kwargs)
    except ValueError as err:
        if "exceed context window" in str(err):
            raise UsageError(f"{spec}: {err}", "split the work or raise the context") from None
        raise BackendUnavailable(f"{spec}: llama.cpp failed: {err}", LOCAL_FIX) from None
    except RuntimeError as err:
        raise BackendUnavailable(f"{spec}: llama.cpp failed: {err}", LOCAL_FIX) from None
    return reply


def _result(reply: Mapping[str, Any], seconds: float, n_ctx: int) -> ChatResult:
    choice = reply["choices"][0]
    usage = reply.get("usage") or {}
    return ChatResult(
        text=choice["message"].get("content") or "",
        prompt_tokens=int(usage.get("prompt_tokens", 0)),
        output_tokens=int(usage.get("completion_tokens", 0)),
        seconds=seconds,
        context=n_ctx,
        done_reason=choice.get("finish_reason") or "stop",
    )


def create(spec: ModelSpec, options: BackendOptions) -> LlamaCppBackend:
    return LlamaCppBackend(spec, options)
