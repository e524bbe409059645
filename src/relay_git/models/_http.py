"""The one way the model backends reach the network: retries, TLS, error text, key masking.

Every backend wraps one HTTP attempt in a function that either returns, raises a
final :class:`BackendUnavailable`, or raises :class:`Retryable` for a transient
status (429/500/502/503, plus what a backend adds). :func:`with_retries` turns
that into bounded exponential backoff that honours ``Retry-After`` and never
sleeps more than ``RetryPolicy.max_total`` seconds in all.

:class:`HttpBackend` is the base of the backends that speak HTTP themselves (OpenAI-compatible,
Anthropic): it owns their client, and every request they make goes through :meth:`send` or
:meth:`HttpBackend._probe`; a subclass says only what differs (headers, wording, the 404).
Ollama goes through the official ``ollama`` client (httpx inside), built with
:func:`client_settings` and retried with :func:`with_retries`, its failures worded by
:func:`transport_error`.
"""

from __future__ import annotations

import functools
import json
import ssl
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

import httpx
import pydantic

from relay_git.errors import BackendUnavailable, Misconfigured
from relay_git.models.base import BackendOptions, BackendType, ModelSpec, estimate_tokens
from relay_git.models.retry import RetryPolicy as RetryPolicy  # the backends' name for it
from relay_git.util.text import one_line

T = TypeVar("T")
M = TypeVar("M", bound=pydantic.BaseModel)

RETRY_STATUSES = frozenset({429, 500, 502, 503})
LINE = 300  # characters of a server message in an error line
TIMEOUT_FIX = "raise RELAY_GIT_TIMEOUT (seconds), or ask for less output"


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """One TLS context per process: building one costs ~50 ms, and every client needs it."""
    return httpx.create_ssl_context()


def client_settings(timeout: float) -> dict[str, Any]:
    """The httpx client settings of every model backend (the ``ollama`` client's too)."""
    return {"timeout": timeout, "verify": ssl_context()}


class Retryable(Exception):
    """A transient failure: retry it, or raise ``final`` when the budget is spent."""

    def __init__(self, final: BackendUnavailable, retry_after: float | None = None) -> None:
        super().__init__(final.message)
        self.final = final
        self.retry_after = retry_after


def with_retries(attempt: Callable[[], T], policy: RetryPolicy) -> T:
    """Run ``attempt`` until it succeeds, fails for good, or the retry budget is spent."""
    waited = 0.0
    for retry in range(policy.attempts):
        try:
            return attempt()
        except Retryable as err:
            wait = policy.delay(retry, err.retry_after)
            last = retry + 1 >= policy.attempts
            if last or wait > policy.max_delay or waited + wait > policy.max_total:
                raise err.final from None
            policy.sleep(wait)
            waited += wait
    raise AssertionError("unreachable: RetryPolicy.attempts must be at least 1")


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: either delta-seconds or an HTTP date; None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def mask_keys(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every secret (API key) in ``text`` with ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def server_message(body: str) -> str:
    """The human part of an error body: OpenAI, Anthropic and Ollama shapes, else raw text."""
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        return one_line(body, LINE) or "empty body"
    if isinstance(data, dict):
        err = data.get("error", data.get("message"))
        if isinstance(err, dict):
            err = err.get("message", err)
        if isinstance(err, str):
            return one_line(err, LINE)
    return one_line(body, LINE)


def host_of(url: str) -> str:
    """``scheme://host:port`` of a URL, for messages (never credentials, a path or query)."""
    parts = urlsplit(url)
    if parts.netloc:
        return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
    return url.rpartition("@")[2]


def transport_error(
    err: httpx.TransportError, *, what: str, url: str, spec: str, timeout: float, fix: str
) -> BackendUnavailable:
    """Map an httpx transport failure to a one-line error with the fix."""
    where = host_of(url)
    if isinstance(err, httpx.ConnectTimeout | httpx.ConnectError):
        return BackendUnavailable(f"cannot reach {what} at {where}", fix)
    if isinstance(err, httpx.TimeoutException):
        return BackendUnavailable(
            f"{spec} did not answer within {timeout:g}s ({what} at {where})", TIMEOUT_FIX
        )
    return BackendUnavailable(
        f"connection to {what} at {where} failed: {one_line(str(err), LINE) or type(err).__name__}",
        "check that the server is healthy and retry",
    )


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    policy: RetryPolicy,
    headers: dict[str, str],
    payload: object = None,
    on_transport: Callable[[httpx.TransportError], BackendUnavailable],
    on_status: Callable[[httpx.Response], BackendUnavailable],
    retry_statuses: frozenset[int] = RETRY_STATUSES,
) -> httpx.Response:
    """One JSON request with retries; returns the final response whatever its status.

    Transient statuses are retried (``on_status`` builds the error raised when the
    budget runs out); any other status, 4xx included, is returned for the caller.
    """

    def attempt() -> httpx.Response:
        try:
            response = client.request(method, url, json=payload, headers=headers)
        except httpx.TransportError as err:
            raise on_transport(err) from None
        if response.status_code in retry_statuses:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            raise Retryable(on_status(response), retry_after)
        return response

    return with_retries(attempt, policy)


class HttpBackend(BackendType):
    """What the HTTP backends share: the client, requests with retries, and the error wording.

    A subclass sets the class wording and implements ``_headers`` (which may refuse a missing
    key) and ``_not_found`` (its HTTP 404 message); the API key is masked in every message.
    """

    what: ClassVar[str]  # "the Anthropic API": who cannot be reached
    unreachable_fix: ClassVar[str]  # the fix when it cannot be reached
    key_fix: ClassVar[str]  # the fix for HTTP 401/403
    status_fix: ClassVar[str]  # the fix for any other final status
    retry_statuses: ClassVar[frozenset[int]] = RETRY_STATUSES

    def __init__(
        self,
        spec: ModelSpec,
        options: BackendOptions,
        retry: RetryPolicy | None,
        *,
        base_url: str,
        key: str | None,
    ) -> None:
        self.spec = spec
        self.base_url = base_url  # one resolution, shared with is_local
        self.local = self.is_local(options)
        self._options = options
        self._key = key
        self._retry = retry or RetryPolicy()
        self._client = httpx.Client(**client_settings(options.timeout))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.spec.full!r}, base_url={self.base_url!r})"

    def count_tokens(self, text: str) -> int:
        """An estimate: these APIs count tokens only by a round trip."""
        return estimate_tokens(text)

    def _headers(self) -> dict[str, str]:
        raise NotImplementedError

    def _not_found(self, response: httpx.Response, message: str) -> BackendUnavailable:
        raise NotImplementedError

    def _request(
        self,
        method: str,
        path: str,
        payload: object = None,
        retry_statuses: frozenset[int] | None = None,
    ) -> httpx.Response:
        """``base_url + path`` with retries; the final response whatever its status."""
        return send(
            self._client,
            method,
            self.base_url + path,
            policy=self._retry,
            headers=self._headers(),
            payload=payload,
            on_transport=self._transport_error,
            on_status=self._status_error,
            retry_statuses=self.retry_statuses if retry_statuses is None else retry_statuses,
        )

    def _probe(self, url: str) -> object:
        """One GET of an optional extra (no retries): its JSON, or None if it is not there."""
        try:
            response = self._client.get(url, headers=self._headers())
            return response.json() if response.status_code == 200 else None
        except (httpx.TransportError, ValueError):
            return None

    def _transport_error(self, err: httpx.TransportError) -> BackendUnavailable:
        return transport_error(
            err,
            what=self.what,
            url=self.base_url,
            spec=self.spec.full,
            timeout=self._options.timeout,
            fix=self.unreachable_fix,
        )

    def _said(self, response: httpx.Response) -> str:
        """What the server said instead, short and without the key (e.g. an error object)."""
        return mask_keys(one_line(server_message(response.text), 120), [self._key])

    def _status_error(self, response: httpx.Response) -> BackendUnavailable:
        status = response.status_code
        message = mask_keys(server_message(response.text), [self._key])
        where = host_of(self.base_url)
        if status in (401, 403):
            return Misconfigured(
                f"{where} refused the request (HTTP {status}: {message})", self.key_fix
            )
        if status == 404:
            return self._not_found(response, message)
        return BackendUnavailable(
            f"{where} answered HTTP {status} for {self.spec}: {message}", self.status_fix
        )

    def _parse(self, response: httpx.Response, model: type[M], wanted: str, fix: str) -> M:
        """The reply as ``model``, or one line: the host sent something that is not ``wanted``."""
        try:
            return model.model_validate_json(response.content)
        except pydantic.ValidationError as err:
            raise BackendUnavailable(
                f"{host_of(self.base_url)} sent a reply that is not {wanted} "
                f"({err.error_count()} problems): {self._said(response)}",
                fix,
            ) from None
