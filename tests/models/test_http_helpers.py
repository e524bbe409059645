"""Pure helpers shared by the network backends: Retry-After, backoff budget, error text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from relay_git.errors import BackendUnavailable
from relay_git.models import _http

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("7", 7.0),
        (" 1.5 ", 1.5),
        ("-3", 0.0),
        ("Thu, 01 Jan 2026 12:00:30 GMT", 30.0),
        ("Thu, 01 Jan 2026 11:00:00 GMT", 0.0),
        ("soon", None),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert _http.parse_retry_after(header, now=NOW) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"error": "model \'x\' not found"}', "model 'x' not found"),
        ('{"error": {"message": "Rate limit", "type": "requests"}}', "Rate limit"),
        (
            '{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}',
            "Overloaded",
        ),
        ("<html>\n  Bad   Gateway\n</html>", "<html> Bad Gateway </html>"),
        ("", "empty body"),  # never "()" or "((empty body))" inside a message's parentheses
    ],
)
def test_server_message(body: str, expected: str) -> None:
    assert _http.server_message(body) == expected


def test_mask_keys_hides_every_secret() -> None:
    assert _http.mask_keys("key sk-1 and sk-2, again sk-1", ["sk-1", None, "sk-2"]) == (
        "key *** and ***, again ***"
    )


class Flaky:
    """Fails ``failures`` times with a Retryable carrying ``retry_after``, then succeeds."""

    def __init__(self, failures: int, retry_after: float | None = None) -> None:
        self.failures = failures
        self.retry_after = retry_after
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise _http.Retryable(BackendUnavailable(f"busy {self.calls}"), self.retry_after)
        return "done"


@pytest.mark.parametrize(
    ("failures", "retry_after", "policy", "sleeps", "outcome"),
    [
        (0, None, _http.RetryPolicy(), [], "done"),
        (2, None, _http.RetryPolicy(), [1.0, 2.0], "done"),
        (5, None, _http.RetryPolicy(attempts=3), [1.0, 2.0], "busy 3"),
        (3, 20.0, _http.RetryPolicy(max_total=45.0), [20.0, 20.0], "busy 3"),
        (1, 31.0, _http.RetryPolicy(max_delay=30.0), [], "busy 1"),
        (
            9,
            None,
            _http.RetryPolicy(attempts=9, base=10.0, max_delay=15.0),
            [10.0, 15.0, 15.0, 15.0],
            "busy 5",
        ),
    ],
)
def test_with_retries_is_bounded(
    failures: int,
    retry_after: float | None,
    policy: _http.RetryPolicy,
    sleeps: list[float],
    outcome: str,
) -> None:
    slept: list[float] = []
    attempt = Flaky(failures, retry_after)
    bounded = _http.RetryPolicy(
        policy.attempts, policy.base, policy.max_delay, policy.max_total, slept.append
    )

    try:
        result = _http.with_retries(attempt, bounded)
    except BackendUnavailable as err:
        result = err.message

    assert result == outcome
    assert slept == sleeps
    assert sum(slept) <= bounded.max_total
