"""Ollama through the official ``ollama`` client and its native ``/api/chat``.

Every chat sets ``num_ctx`` explicitly, sized to the request: Ollama otherwise
runs with a small default context and silently drops the start of a long prompt.
The model's own limit comes from ``/api/show`` (``model_info["<arch>.context_length"]``,
overridden by a ``num_ctx`` baked into the Modelfile's parameters).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import httpx
import ollama
import pydantic

from relay_git.errors import BackendUnavailable, Misconfigured
from relay_git.models import _http
from relay_git.models.base import (
    BackendOptions,
    ChatRequest,
    ChatResult,
    ModelSpec,
    Ollama,
    OnToken,
    context_for,
    estimate_prompt,
    estimate_tokens,
)
from relay_git.models.stops import StopWhen
from relay_git.util.text import one_line

T = TypeVar("T")

DEFAULT_HOST = "http://127.0.0.1:11434"
DEFAULT_PORT = 11434
SERVE_FIX = "start it with `ollama serve`, or set OLLAMA_HOST"
NOT_OLLAMA_FIX = (
    "point OLLAMA_HOST at an Ollama server (default http://127.0.0.1:11434), "
    "or name an OpenAI-compatible server's model openai:NAME"
)
# Ollama's own 404 for a missing model: {"error": "model 'x' not found"} (/api/show) or
# "model \"x\" not found, try pulling it first" (/api/chat). Any other 404 — Go's
# "404 page not found", an empty body, an HTML page — means the path is not served,
# i.e. the server is not Ollama.
_MODEL_MISSING = re.compile(r"\bmodel\b.*\bnot found\b", re.IGNORECASE | re.DOTALL)
# Bind-all addresses are valid for `ollama serve` but mean "this machine" to a client.
_BIND_ALL = {"0.0.0.0", "[::]", "::"}


def normalize_host(raw: str | None) -> str:
    """``OLLAMA_HOST`` in any of its usual forms -> ``scheme://host:port``."""
    value = (raw or "").strip().rstrip("/")
    if not value:
        return DEFAULT_HOST
    scheme, sep, rest = value.partition("://")
    if not sep:
        scheme, rest = "http", value
    hostport, slash, path = rest.partition("/")
    host, port = hostport, ""
    if hostport.startswith("["):
        end = hostport.find("]")
        host, port = hostport[: end + 1], hostport[end + 2 :]
    elif hostport.count(":") == 1:
        host, _, port = hostport.partition(":")
    if host in _BIND_ALL or not host:
        host = "127.0.0.1"
    if not port and not sep:
        port = str(DEFAULT_PORT)
    netloc = f"{host}:{port}" if port else host
    return f"{scheme}://{netloc}{slash}{path}"


def parse_context(info: Mapping[str, Any] | None, parameters: str | None) -> int | None:
    """Context length from ``/api/show``: a Modelfile ``num_ctx`` wins over model_info."""
    for line in (parameters or "").splitlines():
        key, _, value = line.strip().partition(" ")
        if key == "num_ctx" and value.strip().isdigit():
            return int(value.strip())
    for key, value in (info or {}).items():
        if key.endswith(".context_length") and isinstance(value, int) and value > 0:
            return value
    return None


NS = 1e9


def timings(
    final: ollama.ChatResponse, start: float, first: float | None, end: float
) -> tuple[float | None, float | None]:
    """(time to first token, decode seconds): Ollama's own ``prompt_eval_duration`` and
    ``eval_duration`` (ns) when the reply has them, else as measured on the stream (first
    piece), else unknown: a plain reply without them cannot be split."""
    if final.eval_duration is not None:
        prefill = final.prompt_eval_duration
        return (prefill or 0) / NS, final.eval_duration / NS
    if first is not None:
        return first - start, end - first
    return None, None


class OllamaBackend(Ollama):
    """One Ollama model; the HTTP client and learned context are per instance."""

    def __init__(
        self,
        spec: ModelSpec,
        options: BackendOptions,
        retry: _http.RetryPolicy | None = None,
    ) -> None:
        self.spec = spec
        self.host = normalize_host(options.environ.get("OLLAMA_HOST"))
        self.local = self.is_local(options)
        self._where = _http.host_of(self.host)  # for messages: no credentials from the URL
        self._options = options
        self._retry = retry or _http.RetryPolicy()
        self._context: int | None = None
        self._retry_after: str | None = None
        self._client = ollama.Client(
            host=self.host,
            **_http.client_settings(options.timeout),
            event_hooks={"response": [self._remember_retry_after]},
        )

    def __repr__(self) -> str:
        return f"OllamaBackend({self.spec.full!r}, host={self._where!r})"

    def _remember_retry_after(self, response: httpx.Response) -> None:
        self._retry_after = response.headers.get("retry-after")

    # -- Backend protocol ---------------------------------------------------------------

    def context_length(self) -> int:
        if self._context is None:
            show = self._call(lambda: self._client.show(self.spec.name))
            learned = parse_context(show.modelinfo, show.parameters)
            limit = self.context_limit(self._options)
            self._context = min(learned or limit, limit)
        return self._context

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def chat(self, request: ChatRequest, on_token: OnToken | None = None) -> ChatResult:
        prompt = estimate_prompt(request.messages)
        num_ctx = context_for(prompt, request.max_tokens, self.context_length())
        kwargs: dict[str, Any] = {
            "model": self.spec.name,
            "messages": [dict(m) for m in request.messages],
            "options": {
                "num_ctx": num_ctx,
                "num_predict": request.max_tokens,
                "temperature": request.temperature,
                "seed": request.seed,
            },
        }
        if request.schema is not None:
            kwargs["format"] = dict(request.schema)
        start = time.monotonic()
        first: list[float] = []  # when the first piece of a stream arrived
        if on_token is None and request.stop_when is None:
            final = self._call(lambda: self._client.chat(**kwargs, stream=False))
            if final.done is False:
                raise self._early_end()
            text = final.message.content or ""
        else:
            count = on_token or (lambda _n: None)
            text, final = self._call(lambda: self._stream(kwargs, count, request.stop_when, first))
        end = time.monotonic()
        ttft, decode = timings(final, start, first[0] if first else None, end)
        return ChatResult(
            text=text,
            prompt_tokens=final.prompt_eval_count or prompt,
            output_tokens=final.eval_count or estimate_tokens(text),
            seconds=end - start,
            context=num_ctx,
            done_reason=final.done_reason or "stop",
            ttft_seconds=ttft,
            decode_seconds=decode,
        )

    def served(self) -> list[str]:
        """The models this server has pulled (``GET /api/tags``), by name."""
        listing = self._call(self._client.list)
        return sorted(m.model for m in listing.models if m.model)

    def check(self) -> None:
        names = set(self.served())
        wanted = self.spec.name
        aliases = {wanted, f"{wanted}:latest", wanted.removesuffix(":latest")}
        if not names & aliases:
            raise Misconfigured(
                f"model {wanted} is not available on Ollama at {self._where}",
                f"`ollama pull {wanted}`",
            )

    # -- internals ----------------------------------------------------------------------

    def _stream(
        self,
        kwargs: dict[str, Any],
        on_token: OnToken,
        stop_when: StopWhen | None = None,
        first: list[float] | None = None,
    ) -> tuple[str, ollama.ChatResponse]:
        """Stream the reply; ``stop_when`` may end it early (a loop, a finished code block).
        ``first`` gets the time the first piece arrived."""
        parts: list[str] = []
        count = 0
        final: ollama.ChatResponse | None = None
        chunks: Iterator[ollama.ChatResponse] = self._client.chat(**kwargs, stream=True)
        for chunk in chunks:
            piece = chunk.message.content or ""
            parts.append(piece)
            if piece or chunk.message.thinking:
                count += 1
                if count == 1 and first is not None:
                    first.append(time.monotonic())
                on_token(count)
            if chunk.done:
                final = chunk
            why = stop_when("".join(parts)) if stop_when and piece and not chunk.done else None
            if why is not None:
                getattr(chunks, "close", lambda: None)()  # hang up: Ollama stops generating
                text = "".join(parts)
                stopped = ollama.ChatResponse(
                    model=self.spec.name,
                    done=True,
                    done_reason=why,
                    eval_count=count,
                    message=ollama.Message(role="assistant", content=text),
                )
                return text, stopped
        if final is None:
            raise self._early_end()
        if final.eval_count and final.eval_count != count:
            on_token(final.eval_count)
        return "".join(parts), final

    def _early_end(self) -> BackendUnavailable:
        return BackendUnavailable(
            f"Ollama at {self._where} ended the reply from {self.spec} early",
            "check the Ollama server log and retry",
        )

    def _unreadable(self, body: str) -> BackendUnavailable:
        """A body that is not JSON; a stream sent to a plain request may end in an error line."""
        errors = [_http.server_message(ln) for ln in body.splitlines() if '"error"' in ln]
        if errors:
            return BackendUnavailable(
                f"Ollama failed while {self.spec} was replying: {errors[-1]}",
                "check the Ollama server log (`ollama serve` output) and retry",
            )
        return self._not_ollama(f"it sent {one_line(body, 80)!r}, not JSON")

    def _not_ollama(self, detail: str) -> BackendUnavailable:
        """The one message for "OLLAMA_HOST answers, but not as Ollama" (review and doctor)."""
        return Misconfigured(
            f"{self._where} (OLLAMA_HOST) does not answer like an Ollama server ({detail})",
            NOT_OLLAMA_FIX,
        )

    def _call(self, attempt: Callable[[], T]) -> T:
        return _http.with_retries(lambda: self._translate(attempt), self._retry)

    def _translate(self, attempt: Callable[[], T]) -> T:
        """One attempt, with every client failure mapped to BackendUnavailable/Retryable."""
        self._retry_after = None
        try:
            return attempt()
        except ollama.ResponseError as err:
            raise self._response_error(err) from None
        except (ConnectionError, httpx.ConnectError, httpx.ConnectTimeout):
            raise BackendUnavailable(f"cannot reach Ollama at {self._where}", SERVE_FIX) from None
        except httpx.TimeoutException:
            raise BackendUnavailable(
                f"{self.spec} did not answer within {self._options.timeout:g}s "
                f"(Ollama at {self._where})",
                _http.TIMEOUT_FIX,
            ) from None
        except httpx.TransportError as err:
            raise _http.transport_error(
                err,
                what="Ollama",
                url=self.host,
                spec=self.spec.full,
                timeout=self._options.timeout,
                fix=SERVE_FIX,
            ) from None
        except json.JSONDecodeError as err:
            raise self._unreadable(err.doc) from None
        except pydantic.ValidationError as err:
            raise BackendUnavailable(
                f"Ollama at {self._where} sent a reply relay-git cannot read "
                f"({err.error_count()} problems)",
                "upgrade Ollama (`ollama --version`) and retry",
            ) from None

    def _response_error(self, err: ollama.ResponseError) -> Exception:
        message = one_line(str(err.error), _http.LINE)
        status = err.status_code
        if status == 404 and _MODEL_MISSING.search(message):
            return Misconfigured(
                f"model {self.spec.name} not found on Ollama at {self._where}",
                f"`ollama pull {self.spec.name}`",
            )
        if status == 404:
            return self._not_ollama(f"HTTP 404: {message}" if message else "HTTP 404")
        if status < 0:
            return BackendUnavailable(
                f"Ollama failed while {self.spec} was replying: {message}",
                "check the Ollama server log (`ollama serve` output) and retry",
            )
        final = BackendUnavailable(
            f"Ollama at {self._where} answered HTTP {status}: {message}",
            "check the Ollama server log and retry",
        )
        if status in _http.RETRY_STATUSES:
            return _http.Retryable(final, _http.parse_retry_after(self._retry_after))
        return final


def create(
    spec: ModelSpec, options: BackendOptions, retry: _http.RetryPolicy | None = None
) -> OllamaBackend:
    return OllamaBackend(spec, options, retry)
