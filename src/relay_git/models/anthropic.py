"""Anthropic's Messages API over httpx: the hosted flagship reviewer.

System messages go in the top-level ``system`` field. A structured request forces one
tool, ``reply``, whose ``input_schema`` is the wanted schema; the tool input the model
writes is returned as JSON text, so callers validate it like any other backend's output.
"""

from __future__ import annotations

import json
import time
from typing import Any, Literal

import httpx
import pydantic

from relay_git.errors import BackendUnavailable, Misconfigured
from relay_git.models import _http, anthropic_stream
from relay_git.models.base import (
    Anthropic,
    BackendOptions,
    ChatRequest,
    ChatResult,
    ModelSpec,
    OnToken,
    anthropic_base_url,
    estimate_prompt,
    estimate_tokens,
)

API_VERSION = "2023-06-01"
TOOL = "reply"
KEY_FIX = "export ANTHROPIC_API_KEY (from console.anthropic.com)"
# 529 is Anthropic's "overloaded".
RETRY_STATUSES = _http.RETRY_STATUSES | {529}


class _Block(pydantic.BaseModel):
    type: str
    text: str | None = None
    name: str | None = None
    input: dict[str, Any] | None = None


class _Usage(pydantic.BaseModel):
    input_tokens: int = 0  # tokens after the last cache breakpoint
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0


class _Message(pydantic.BaseModel):
    type: Literal["message"] = "message"
    content: list[_Block]
    stop_reason: str | None = None
    usage: _Usage = _Usage()


class _ModelPage(pydantic.BaseModel):
    data: list[dict[str, Any]]
    has_more: bool = False


def done_reason(stop_reason: str | None) -> str:
    """Anthropic's stop_reason in relay-git's terms: ``max_tokens`` is ``length``."""
    if stop_reason == "max_tokens":
        return "length"
    if stop_reason in (None, "end_turn", "stop_sequence", "tool_use"):
        return "stop"
    return stop_reason


def reply_text(message: _Message, structured: bool) -> str:
    """The forced tool's input as JSON when structured, else the text blocks joined."""
    if structured:
        for block in message.content:
            if block.type == "tool_use" and block.name == TOOL and block.input is not None:
                return json.dumps(block.input)
    return "".join(b.text or "" for b in message.content if b.type == "text")


class AnthropicBackend(Anthropic, _http.HttpBackend):
    what = "the Anthropic API"
    unreachable_fix = "check the network, or ANTHROPIC_BASE_URL if you set it"
    key_fix = "check ANTHROPIC_API_KEY"
    status_fix = "retry later; see status.anthropic.com"
    retry_statuses = RETRY_STATUSES

    def __init__(
        self,
        spec: ModelSpec,
        options: BackendOptions,
        retry: _http.RetryPolicy | None = None,
    ) -> None:
        key = options.environ.get("ANTHROPIC_API_KEY") or None
        super().__init__(spec, options, retry, base_url=anthropic_base_url(options), key=key)

    # -- Backend protocol ---------------------------------------------------------------

    def context_length(self) -> int:
        return self.context_limit(self._options)

    def chat(self, request: ChatRequest, on_token: OnToken | None = None) -> ChatResult:
        start = time.monotonic()
        if request.stop_when is not None:  # streamed: timed, and cut off when it says so
            return self._streamed_chat(request, on_token, start)
        response = self._request("POST", "/v1/messages", self._body(request))
        if response.status_code >= 400:
            raise self._status_error(response)
        return self._plain_result(request, response, on_token, time.monotonic() - start)

    def _plain_result(
        self,
        request: ChatRequest,
        response: httpx.Response,
        on_token: OnToken | None,
        seconds: float,
    ) -> ChatResult:
        message = self._parse(
            response, _Message, "an Anthropic message", "check ANTHROPIC_BASE_URL"
        )
        text = reply_text(message, request.schema is not None)
        prompt = estimate_prompt(request.messages)
        output = message.usage.output_tokens or estimate_tokens(text)
        if on_token is not None:
            on_token(output)
        return ChatResult(
            text=text,
            prompt_tokens=_prompt_tokens(message.usage) or prompt,
            output_tokens=output,
            seconds=seconds,
            context=self.context_length(),
            done_reason=done_reason(message.stop_reason),
            cached_tokens=message.usage.cache_read_input_tokens,
            # A plain Messages reply has no timings in its usage: prefill and decode stay
            # unknown (None), never guessed from the whole call.
        )

    def _streamed_chat(
        self, request: ChatRequest, on_token: OnToken | None, start: float
    ) -> ChatResult:
        """The reply streamed and timed to its first token, with the plain request's retries
        (a server that ignores "stream" is read as a plain reply)."""
        body = self._body(request) | {"stream": True}

        def attempt() -> ChatResult:
            try:
                return self._stream_once(request, body, on_token, start)
            except httpx.TransportError as err:
                raise self._transport_error(err) from None
            except anthropic_stream.StreamError as err:
                raise BackendUnavailable(
                    f"{_http.host_of(self.base_url)} sent {err}", self.status_fix
                ) from None

        return _http.with_retries(attempt, self._retry)

    def _stream_once(
        self,
        request: ChatRequest,
        body: dict[str, Any],
        on_token: OnToken | None,
        start: float,
    ) -> ChatResult:
        url = self.base_url + "/v1/messages"
        with self._client.stream("POST", url, json=body, headers=self._headers()) as response:
            kind = str(response.headers.get("content-type", ""))
            if response.status_code >= 400 or not kind.startswith("text/event-stream"):
                response.read()
                if response.status_code in self.retry_statuses:
                    after = _http.parse_retry_after(response.headers.get("retry-after"))
                    raise _http.Retryable(self._status_error(response), after)
                if response.status_code >= 400:
                    raise self._status_error(response)
                seconds = time.monotonic() - start  # it ignored "stream": one plain reply
                return self._plain_result(request, response, on_token, seconds)
            reply = anthropic_stream.read(
                response.iter_lines(), request.schema is not None, request.stop_when, on_token
            )
        end = time.monotonic()
        try:
            usage = _Usage.model_validate(reply.usage)
        except pydantic.ValidationError:
            usage = _Usage()  # counts it cannot read are estimated below
        first = reply.first if reply.first is not None else end
        return ChatResult(
            text=reply.text,
            prompt_tokens=_prompt_tokens(usage) or estimate_prompt(request.messages),
            output_tokens=usage.output_tokens or estimate_tokens(reply.text),
            seconds=end - start,
            context=self.context_length(),
            done_reason=done_reason(reply.stop_reason),
            cached_tokens=usage.cache_read_input_tokens,
            ttft_seconds=first - start,
            decode_seconds=end - first,
        )

    def served(self) -> list[str]:
        """Model ids from ``GET /v1/models`` (``{"data": [{"id", "type": "model", …}],
        "has_more", "first_id", "last_id"}``); one page of up to 1000, "…" if there is more."""
        response = self._request("GET", "/v1/models?limit=1000")
        if response.status_code >= 400:
            raise self._status_error(response)
        try:
            page = _ModelPage.model_validate_json(response.content)
        except pydantic.ValidationError:
            raise BackendUnavailable(
                f"{_http.host_of(self.base_url)} sent a model list that is not Anthropic's: "
                f"{self._said(response)}",
                "check ANTHROPIC_BASE_URL",
            ) from None
        return [str(m.get("id")) for m in page.data] + (["…"] if page.has_more else [])

    def check(self) -> None:
        response = self._request("GET", f"/v1/models/{self.spec.name}")
        if response.status_code >= 400:
            raise self._status_error(response)

    # -- internals ----------------------------------------------------------------------

    def _body(self, request: ChatRequest) -> dict[str, Any]:
        system = [m["content"] for m in request.messages if m["role"] == "system"]
        body: dict[str, Any] = {
            "model": self.spec.name,
            "max_tokens": request.max_tokens,
            "messages": [
                {"role": m["role"], "content": m["content"]}
                for m in request.messages
                if m["role"] != "system"
            ],
            "temperature": request.temperature,
        }
        if system:  # the stable prefix every stage shares: a cache breakpoint after it
            body["system"] = [
                {
                    "type": "text",
                    "text": "\n\n".join(system),
                    "cache_control": {"type": "ephemeral"},
                }
            ]
        if request.schema is not None:
            body["tools"] = [
                {
                    "name": TOOL,
                    "description": "Give the reply as a JSON object matching this schema.",
                    "input_schema": dict(request.schema),
                }
            ]
            body["tool_choice"] = {"type": "tool", "name": TOOL}
        return body

    def _headers(self) -> dict[str, str]:
        if not self._key:
            raise Misconfigured(f"ANTHROPIC_API_KEY is not set; {self.spec} needs it", KEY_FIX)
        return {
            "x-api-key": self._key,
            "anthropic-version": API_VERSION,
            "content-type": "application/json",
        }

    def _not_found(self, response: httpx.Response, message: str) -> BackendUnavailable:
        return Misconfigured(
            f"{_http.host_of(self.base_url)} has no model {self.spec.name} (HTTP 404: {message})",
            "check the model name, e.g. anthropic:claude-sonnet-4-5",
        )


def _prompt_tokens(usage: _Usage) -> int:
    """All prompt tokens: Anthropic counts cache reads and writes apart from input_tokens."""
    return usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens


def create(
    spec: ModelSpec, options: BackendOptions, retry: _http.RetryPolicy | None = None
) -> AnthropicBackend:
    return AnthropicBackend(spec, options, retry)
