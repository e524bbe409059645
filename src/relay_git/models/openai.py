"""Any OpenAI-compatible ``/chat/completions`` server, over httpx (no SDK).

Servers differ in small ways, learned once per instance:

- llama-cpp-python's server rejects ``response_format`` of type ``json_schema`` but takes
  ``{"type": "json_object", "schema": ...}``; a 4xx to the first form retries the second.
- newer OpenAI models reject ``max_tokens`` and want ``max_completion_tokens``.
- llama.cpp servers list the model *path* as the id in ``/models``; when a server lists
  exactly one model, ``check()`` accepts whatever name was asked for.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import pydantic

from relay_git.errors import BackendUnavailable, Misconfigured
from relay_git.models import _http, sse
from relay_git.models.base import (
    BackendOptions,
    ChatRequest,
    ChatResult,
    ModelSpec,
    OnToken,
    OpenAI,
    estimate_prompt,
    estimate_tokens,
    openai_base_url,
)

M = TypeVar("M", bound=pydantic.BaseModel)

START_FIX = "start the server, or set RELAY_GIT_OPENAI_BASE_URL / OPENAI_BASE_URL"


def _names_format(message: str) -> bool:
    """Whether an error message is about the response_format field."""
    lowered = message.lower()
    return any(k in lowered for k in ("response_format", "json_schema", "json_object"))


# A 4xx with one of these is about the request as a whole, not the response_format dialect.
_NOT_DIALECT = frozenset({401, 403, 404, 408, 409, 413, 429})
_FINAL = frozenset({401, 403, 404})  # a refusal of the request, streamed or not
_CONTEXT_KEYS = ("max_model_len", "context_length", "max_context_length", "n_ctx")


class _Message(pydantic.BaseModel):
    content: str | None = None


class _Choice(pydantic.BaseModel):
    message: _Message
    finish_reason: str | None = None


class _ServerTimings(pydantic.BaseModel):
    """llama.cpp's server adds ``timings`` to a completion: prefill and decode, in ms."""

    prompt_ms: float | None = None
    predicted_ms: float | None = None


class _Completion(pydantic.BaseModel):
    choices: list[_Choice] = pydantic.Field(min_length=1)
    usage: sse.Usage | None = None
    timings: _ServerTimings | None = None


@dataclass(frozen=True)
class _Whole:
    """A plain completion, and the server's own timings when it gave them."""

    streamed: sse.Streamed
    timings: _ServerTimings | None


@dataclass(frozen=True)
class _Timing:
    seconds: float
    ttft: float | None
    decode: float | None


class _Clock:
    """Times a call: its start, and (streamed) when the first content piece arrived."""

    def __init__(self, start: float, on_token: OnToken | None) -> None:
        self.start = start
        self.first: float | None = None
        self._on_token = on_token

    def on_token(self, count: int) -> None:
        if self.first is None:
            self.first = time.monotonic()
        if self._on_token is not None:
            self._on_token(count)

    def timing(self, reply: sse.Streamed | _Whole) -> _Timing:
        """Streamed: to the first piece, and the rest. Plain: the server's timings, or
        decode unknown (never invented from the whole call)."""
        end = time.monotonic()
        if isinstance(reply, sse.Streamed):
            first = self.first if self.first is not None else end
            return _Timing(end - self.start, first - self.start, end - first)
        server = reply.timings
        if server is None or server.predicted_ms is None:
            return _Timing(end - self.start, None, None)
        prefill = None if server.prompt_ms is None else server.prompt_ms / 1000
        return _Timing(end - self.start, prefill, server.predicted_ms / 1000)


class _ModelList(pydantic.BaseModel):
    data: list[dict[str, Any]]


def context_from_entry(entry: dict[str, Any]) -> int | None:
    """The context a ``/models`` entry reports (vLLM, LM Studio, llama.cpp), if any."""
    meta = entry.get("meta")
    candidates = [entry.get(key) for key in _CONTEXT_KEYS]
    if isinstance(meta, dict):
        candidates += [meta.get("n_ctx"), meta.get("n_ctx_train")]
    for value in candidates:
        if isinstance(value, int) and value > 0:
            return value
    return None


def _is_event_stream(response: httpx.Response) -> bool:
    return str(response.headers.get("content-type", "")).startswith("text/event-stream")


class OpenAIBackend(OpenAI, _http.HttpBackend):
    what = "the OpenAI-compatible server"
    unreachable_fix = START_FIX
    key_fix = "check OPENAI_API_KEY"
    status_fix = "check the server log, or retry later"

    def __init__(
        self,
        spec: ModelSpec,
        options: BackendOptions,
        retry: _http.RetryPolicy | None = None,
    ) -> None:
        key = options.environ.get("OPENAI_API_KEY") or None
        super().__init__(spec, options, retry, base_url=openai_base_url(options), key=key)
        self._context: int | None = None
        self._json_object = False  # the server wants {"type": "json_object", "schema": ...}
        self._completion_tokens_key = "max_tokens"
        self._streams = True  # False once the server refused a stream it served plainly

    # -- Backend protocol ---------------------------------------------------------------

    def context_length(self) -> int:
        if self._context is None:
            found = self._discover_context()
            limit = self.context_limit(self._options)
            self._context = min(found or limit, limit)
        return self._context

    def chat(self, request: ChatRequest, on_token: OnToken | None = None) -> ChatResult:
        self.context_length()
        clock = _Clock(time.monotonic(), on_token)
        dialect, refused = self._dialect(), False
        if request.stop_when is not None and self._streams:
            streamed, refused = self._streamed_chat(request, clock.on_token)
            if streamed is not None:
                return self._result(request, streamed, clock.timing(streamed))
        response = self._post_chat(request)
        # served plainly in the same dialect: this server does not stream; do not ask again
        self._streams = self._streams and not (refused and dialect == self._dialect())
        whole = self._whole(response)
        if on_token is not None:
            on_token(whole.streamed.pieces)
        return self._result(request, whole, clock.timing(whole))

    def served(self) -> list[str]:
        """The model ids ``GET /models`` lists (``{"object": "list", "data": [{"id": …}]}``)."""
        response = self._request("GET", "/models")
        if response.status_code >= 400:
            raise self._status_error(response)
        return [str(e.get("id")) for e in self._read(response, _ModelList).data]

    def check(self) -> None:
        ids = self.served()
        # llama.cpp lists the model path as its id: a single-model server serves any name.
        if self.spec.name in ids or len(ids) == 1:
            return
        shown = ", ".join(ids[:8]) + (", …" if len(ids) > 8 else "")
        raise Misconfigured(
            f"model {self.spec.name} is not served at {self.base_url}",
            f"use one of: {shown}" if ids else "load a model into the server",
        )

    # -- internals ----------------------------------------------------------------------

    def _body(self, request: ChatRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.spec.name,
            "messages": [dict(m) for m in request.messages],
            self._completion_tokens_key: request.max_tokens,
            "temperature": request.temperature,
            "seed": request.seed,
        }
        if request.schema is not None:
            schema = dict(request.schema)
            body["response_format"] = (
                {"type": "json_object", "schema": schema}
                if self._json_object
                else {
                    "type": "json_schema",
                    "json_schema": {"name": "reply", "schema": schema, "strict": False},
                }
            )
        return body

    def _dialect(self) -> tuple[bool, str]:
        return self._json_object, self._completion_tokens_key

    def _streamed_chat(
        self, request: ChatRequest, on_token: OnToken | None
    ) -> tuple[sse.Streamed | _Whole | None, bool]:
        """The reply streamed (SSE), cut off when ``request.stop_when`` says so, or None and
        whether the server refused it (a 4xx): the plain request then adapts or says why."""
        body = self._body(request) | {"stream": True, "stream_options": {"include_usage": True}}
        url = self.base_url + "/chat/completions"
        try:
            with self._client.stream("POST", url, json=body, headers=self._headers()) as response:
                status = response.status_code
                if status < 400 and _is_event_stream(response):
                    limits = sse.Limits.for_reply(request.max_tokens, self._options.timeout)
                    chunks = response.iter_bytes()
                    return sse.read(chunks, request.stop_when, on_token, limits), False
                if status < 400 or status in _FINAL:
                    response.read()
                if status < 400:  # it ignored "stream": the whole reply came as one body
                    return self._whole(response), False
                if status in _FINAL:  # asking again, plainly, would hear the same
                    raise self._status_error(response)
        except httpx.TransportError as err:
            raise self._transport_error(err) from None
        except sse.StreamError as err:
            raise BackendUnavailable(
                f"{_http.host_of(self.base_url)} sent {err}", self.status_fix
            ) from None
        return None, status < 500 and status not in _NOT_DIALECT

    def _whole(self, response: httpx.Response) -> _Whole:
        """A plain chat completion, read as a stream that arrived in one piece."""
        reply = self._read(response, _Completion)
        choice = reply.choices[0]
        text = choice.message.content or ""
        usage = reply.usage or sse.Usage()
        output = usage.completion_tokens or estimate_tokens(text)
        streamed = sse.Streamed(text, output, choice.finish_reason or "stop", reply.usage)
        return _Whole(streamed, reply.timings)

    def _result(
        self, request: ChatRequest, reply: sse.Streamed | _Whole, timing: _Timing
    ) -> ChatResult:
        streamed = reply.streamed if isinstance(reply, _Whole) else reply
        usage = streamed.usage or sse.Usage()
        return ChatResult(
            text=streamed.text,
            prompt_tokens=usage.prompt_tokens or estimate_prompt(request.messages),
            output_tokens=usage.completion_tokens or streamed.pieces,
            seconds=timing.seconds,
            context=self.context_length(),
            done_reason=streamed.reason,
            cached_tokens=usage.cached,
            ttft_seconds=timing.ttft,
            decode_seconds=timing.decode,
        )

    def _post_chat(self, request: ChatRequest) -> httpx.Response:
        """POST the chat, adapting once to a server dialect it reveals with an error.

        llama.cpp's server rejects the json_schema form with HTTP 500 ("Input should be
        'text' or 'json_object'"), so while probing, a 500 naming the response format is
        a dialect signal, not a transient fault; any other 500 is retried as usual.
        """
        probing = request.schema is not None and not self._json_object
        statuses = _http.RETRY_STATUSES - {500} if probing else _http.RETRY_STATUSES
        response = self._request("POST", "/chat/completions", self._body(request), statuses)
        status = response.status_code
        message = _http.server_message(response.text) if status >= 400 else ""
        if probing and status == 500 and not _names_format(message):
            response = self._request("POST", "/chat/completions", self._body(request))
            status = response.status_code
        dialect = (400 <= status < 500 and status not in _NOT_DIALECT) or (
            probing and status == 500 and _names_format(message)
        )
        if dialect:
            if "max_completion_tokens" in message and self._completion_tokens_key == "max_tokens":
                self._completion_tokens_key = "max_completion_tokens"
                return self._post_chat(request)
            if probing:
                self._json_object = True
                retried = self._request("POST", "/chat/completions", self._body(request))
                if retried.status_code < 400:
                    return retried
                self._json_object = False
                response = retried
        if response.status_code >= 400:
            raise self._status_error(response)
        return response

    def _discover_context(self) -> int | None:
        response = self._request("GET", "/models")
        if response.status_code >= 400:
            return None  # not every compatible server has /models; fall back to the cap
        try:
            entries = _ModelList.model_validate_json(response.content).data
        except pydantic.ValidationError:
            return None
        mine = [e for e in entries if e.get("id") == self.spec.name]
        if not mine and len(entries) == 1:
            mine = entries
        found = context_from_entry(mine[0]) if mine else None
        return found or self._server_props_context()

    def _server_props_context(self) -> int | None:
        """llama.cpp's ``llama-server`` tells its n_ctx at ``/props`` beside ``/v1``."""
        root = self.base_url.removesuffix("/v1")
        if root == self.base_url or urlsplit(root).hostname == "api.openai.com":
            return None
        data = self._probe(root + "/props")
        if not isinstance(data, dict):
            return None
        settings = data.get("default_generation_settings")
        value = settings.get("n_ctx") if isinstance(settings, dict) else data.get("n_ctx")
        return value if isinstance(value, int) and value > 0 else None

    def _headers(self) -> dict[str, str]:
        if not self._key and urlsplit(self.base_url).hostname == "api.openai.com":
            raise Misconfigured(
                f"OPENAI_API_KEY is not set, and {self.spec} needs it for api.openai.com",
                "export OPENAI_API_KEY, or set RELAY_GIT_OPENAI_BASE_URL to a local server",
            )
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        return headers

    def _not_found(self, response: httpx.Response, message: str) -> BackendUnavailable:
        return Misconfigured(
            f"{_http.host_of(self.base_url)} has no model {self.spec.name} or no "
            f"{urlsplit(str(response.url)).path} (HTTP 404: {message})",
            "check the model name and RELAY_GIT_OPENAI_BASE_URL (usually ends in /v1)",
        )

    def _read(self, response: httpx.Response, model: type[M]) -> M:
        return self._parse(
            response,
            model,
            "an OpenAI chat completion",
            "check that the base URL points at an OpenAI-compatible /v1 endpoint",
        )


def create(
    spec: ModelSpec, options: BackendOptions, retry: _http.RetryPolicy | None = None
) -> OpenAIBackend:
    return OpenAIBackend(spec, options, retry)
