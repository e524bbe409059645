"""Shared plumbing for the network backends: bounded retries, error text, secret redaction.

Every backend wraps one HTTP attempt in a function that either returns, raises a
final :class:`BackendUnavailable`, or raises :class:`Retryable` for a transient
status (429/500/502/503, plus what a backend adds). :func:`with_retries` turns
that into bounded exponential backoff that honours ``Retry-After`` and never
sleeps more than ``RetryPolicy.max_total`` seconds in all.
"""

from __future__ import annotations

import functools
import json
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar
from urllib.parse import urlsplit

import httpx

from relay_git.errors import BackendUnavailable

T = TypeVar("T")
Sleep = Callable[[float], None]

RETRY_STATUSES = frozenset({429, 500, 502, 503})
TIMEOUT_FIX = "raise RELAY_GIT_TIMEOUT (seconds), or ask for less output"


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """One TLS context per process: building one costs ~50 ms, and every client needs it."""
    return httpx.create_ssl_context()


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a transient failure; ``sleep`` is injectable."""

    attempts: int = 4  # total tries, first one included
    base: float = 1.0  # first backoff in seconds, doubled each time
    max_delay: float = 30.0  # one wait, Retry-After included
    max_total: float = 60.0  # all waits together
    sleep: Sleep = field(default=time.sleep, compare=False)

    def delay(self, retry: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number ``retry`` (0-based)."""
        if retry_after is not None:
            return max(0.0, retry_after)
        return min(self.base * float(2**retry), self.max_delay)


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


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every secret (API key) in ``text`` with ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def one_line(text: str, limit: int = 300) -> str:
    """Collapse whitespace so a server message fits an error line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def server_message(body: str) -> str:
    """The human part of an error body: OpenAI, Anthropic and Ollama shapes, else raw text."""
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        return one_line(body) or "empty body"
    if isinstance(data, dict):
        err = data.get("error", data.get("message"))
        if isinstance(err, dict):
            err = err.get("message", err)
        if isinstance(err, str):
            return one_line(err)
    return one_line(body)


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
        f"connection to {what} at {where} failed: {one_line(str(err)) or type(err).__name__}",
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
