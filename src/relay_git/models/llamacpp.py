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
from typing import TYPE_CHECKING, Any

from relay_git.errors import BackendUnavailable, Misconfigured, UsageError
from relay_git.models.base import (
    BackendOptions,
    ChatRequest,
    ChatResult,
    LlamaCpp,
    Message,
    ModelSpec,
    OnToken,
)
from relay_git.models.local import local_fix

if TYPE_CHECKING:
    from relay_git.models._http import RetryPolicy

LOCAL_FIX = local_fix()
CTX_ENV = LlamaCpp.CTX_ENV
SEED = 0


@dataclass
class _Loaded:
    """One loaded model and the lock that serializes calls on it."""

    llm: Any  # llama_cpp.Llama
    n_ctx: int
    lock: threading.Lock
    load_seconds: float = 0.0


_MODELS: dict[tuple[str, int], _Loaded] = {}
_MODELS_LOCK = threading.Lock()
_LOG_SINK: Any = None  # the ctypes callback must outlive every call llama.cpp makes to it


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


def _construct(path: Path, n_ctx: int, threads: int) -> Any:
    try:
        import llama_cpp
    except ImportError:
        raise BackendUnavailable("llama-cpp-python is not installed", LOCAL_FIX) from None
    _silence_llama_logs(llama_cpp)
    try:
        return llama_cpp.Llama(
            model_path=str(path),
            n_ctx=n_ctx,
            n_threads=threads,
            n_threads_batch=threads,
            seed=SEED,
            verbose=False,
        )
    except ValueError as err:  # llama-cpp-python: "Failed to load model from file"
        raise BackendUnavailable(f"llama.cpp could not load {path}: {err}", LOCAL_FIX) from None


def _load(path: Path, n_ctx: int, threads: int) -> _Loaded:
    started = time.monotonic()
    llm = _construct(path, n_ctx, threads)
    trained = int(llm._model.n_ctx_train())
    if 0 < trained < n_ctx:
        llm.close()
        llm = _construct(path, trained, threads)
    llm.chat_format = chat_format_for(llm.metadata)
    return _Loaded(llm, int(llm.n_ctx()), threading.Lock(), time.monotonic() - started)


@atexit.register
def _close_all() -> None:
    """Free every model before interpreter teardown, when llama.cpp's finalizers would fail
    noisily ("Exception ignored in Llama.__del__") because module globals are already gone."""
    with _MODELS_LOCK:
        for loaded in _MODELS.values():
            loaded.llm.close()
        _MODELS.clear()


def load(path: Path, n_ctx: int, threads: int = LlamaCpp.DEFAULT_THREADS) -> _Loaded:
    """The process-wide instance of ``path`` at context ``n_ctx``, loading it the first time
    (with ``threads``, which a later caller cannot change)."""
    if not path.is_file():
        raise Misconfigured(f"model file {path} does not exist", LOCAL_FIX)
    key = (str(path.resolve()), n_ctx)
    with _MODELS_LOCK:
        loaded = _MODELS.get(key)
        if loaded is None:
            loaded = _MODELS[key] = _load(path, n_ctx, threads)
        return loaded


class LlamaCppBackend(LlamaCpp):
    """A GGUF model run in this process by llama.cpp."""

    def __init__(self, spec: ModelSpec, options: BackendOptions) -> None:
        self.spec = spec
        self.local = self.is_local(options)  # runs in this process
        self.path = Path(spec.name).expanduser()
        self.n_ctx = self.context_limit(options)
        self.n_threads = self.threads(options)

    @contextmanager
    def _model(self) -> Iterator[_Loaded]:
        loaded = load(self.path, self.n_ctx, self.n_threads)
        with loaded.lock:
            yield loaded

    def context_length(self) -> int:
        return load(self.path, self.n_ctx, self.n_threads).n_ctx

    def count_tokens(self, text: str) -> int:
        with self._model() as loaded:
            return len(loaded.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def check(self) -> None:
        load(self.path, self.n_ctx, self.n_threads)

    def load_seconds(self) -> float:
        """Seconds this process spent loading the model (reported apart from generation)."""
        return load(self.path, self.n_ctx, self.n_threads).load_seconds

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
                "stream": True,
            }
            if request.schema is not None:
                kwargs["response_format"] = {"type": "json_object", "schema": request.schema}
            before = _cached_prefix_state(loaded.llm)
            perf = _perf_reset(loaded.llm)
            started = time.monotonic()
            reply = _stream(loaded.llm, kwargs, self.spec, request, on_token)
            ended = time.monotonic()
            first = reply.first if reply.first is not None else ended
            decode = _engine_decode(perf) if reply.tokens else None
            prompt = max(0, int(loaded.llm.n_tokens) - reply.tokens)
            cached = _common_prefix(before, loaded.llm, prompt)
        return ChatResult(
            text=reply.text,
            prompt_tokens=prompt,
            output_tokens=reply.tokens,
            seconds=ended - started,
            context=loaded.n_ctx,
            done_reason=reply.reason,
            cached_tokens=cached,
            ttft_seconds=first - started,  # prefill and the first token
            decode_seconds=ended - first if decode is None else decode,
        )


@dataclass(frozen=True)
class _Streamed:
    text: str
    tokens: int
    reason: str
    first: float | None = None  # when the first token came out of the generation loop


def _stream(
    llm: Any,
    kwargs: dict[str, Any],
    spec: ModelSpec,
    request: ChatRequest,
    on_token: OnToken | None,
) -> _Streamed:
    """Generate token by token; stop early when ``request.stop_when`` says so."""
    parts: list[str] = []
    tokens = 0
    reason = "stop"
    first: float | None = None
    chunks = _complete(llm, kwargs, spec)
    try:
        for chunk in _guarded(chunks, spec):
            choice = chunk["choices"][0]
            piece = (choice.get("delta") or {}).get("content") or ""
            if piece:
                tokens += 1
                first = first or time.monotonic()
                parts.append(piece)
                if on_token is not None:
                    on_token(tokens)
            if choice.get("finish_reason"):
                reason = str(choice["finish_reason"])
            if piece and request.stop_when is not None:
                why = request.stop_when("".join(parts))
                if why is not None:
                    reason = why
                    break
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return _Streamed("".join(parts), tokens, reason, first)


def _guarded(chunks: Iterator[dict[str, Any]], spec: ModelSpec) -> Iterator[dict[str, Any]]:
    try:
        yield from chunks
    except ValueError as err:
        raise _failure(err, spec) from None
    except RuntimeError as err:
        raise BackendUnavailable(f"{spec}: llama.cpp failed: {err}", LOCAL_FIX) from None


def _failure(err: ValueError, spec: ModelSpec) -> Exception:
    if "exceed context window" in str(err):
        return UsageError(f"{spec}: {err}", "split the work or raise the context")
    return BackendUnavailable(f"{spec}: llama.cpp failed: {err}", LOCAL_FIX)


def _perf_reset(llm: Any) -> Any:
    """The llama.cpp context of ``llm`` with its performance counters zeroed, or None.

    Its ``t_eval_ms`` then counts the forward passes of this call's output tokens: how fast
    the model writes. The loop's wall time after the first token adds sampling, and sampling
    under a grammar (every structured reply) costs llama-cpp-python about twice the model's
    own time on a large vocabulary (Gemma's 262k), which says nothing of the model's speed.
    """
    try:
        import llama_cpp

        ctx = llm._ctx.ctx
        llama_cpp.llama_perf_context_reset(ctx)
    except (ImportError, AttributeError, TypeError, ctypes.ArgumentError):
        return None
    return ctx


def _engine_decode(ctx: Any) -> float | None:
    """Seconds llama.cpp spent decoding output tokens since :func:`_perf_reset`."""
    if ctx is None:
        return None
    import llama_cpp

    data = llama_cpp.llama_perf_context(ctx)
    return float(data.t_eval_ms) / 1000 if data.n_eval > 0 else None


def _cached_prefix_state(llm: Any) -> list[int]:
    """The tokens in the model's context before a call: llama-cpp-python reuses their
    longest common prefix with the next prompt instead of evaluating it again."""
    return [int(t) for t in llm.input_ids[: int(llm.n_tokens)]]


def _common_prefix(before: list[int], llm: Any, prompt_tokens: int) -> int:
    now = llm.input_ids[:prompt_tokens]
    same = 0
    for old, new in zip(before, now, strict=False):
        if old != int(new):
            break
        same += 1
    return same


def _complete(llm: Any, kwargs: dict[str, Any], spec: ModelSpec) -> Iterator[dict[str, Any]]:
    try:
        chunks: Iterator[dict[str, Any]] = llm.create_chat_completion(**kwargs)
    except ValueError as err:
        raise _failure(err, spec) from None
    except RuntimeError as err:
        raise BackendUnavailable(f"{spec}: llama.cpp failed: {err}", LOCAL_FIX) from None
    return chunks


def create(
    spec: ModelSpec, options: BackendOptions, retry: RetryPolicy | None = None
) -> LlamaCppBackend:
    """What ``LlamaCpp.create`` builds; ``retry`` is unused: a model in this process is never
    retried."""
    return LlamaCppBackend(spec, options)
