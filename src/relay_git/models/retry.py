"""How often and how long a backend retries a transient failure: the policy alone.

The backend registry (``base.Factory``) hands a policy to each backend, and ``_http`` applies
it (``with_retries``); it lives here so that neither of those two modules imports the other.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

Sleep = Callable[[float], None]


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
