"""Run a piece of work with a time limit, without signals (it works in any thread)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from relay_git.errors import BudgetExceeded

T = TypeVar("T")


@dataclass
class _Outcome(Generic[T]):
    value: T | None = None
    error: BaseException | None = None
    done: bool = False


def run_within(work: Callable[[], T], seconds: float | None, budget: float | None = None) -> T:
    """Run ``work`` in a daemon thread and wait at most ``seconds``; BudgetExceeded past that.

    ``budget`` is the whole budget the user gave, for the message (``seconds`` may be what
    is left of it).

    The abandoned thread may still be blocked in a model call; the caller decides whether
    to end the process at once (a hook) or let it finish in the background (a test).
    """
    if seconds is None:
        return work()
    outcome: _Outcome[T] = _Outcome()

    def target() -> None:
        try:
            outcome.value = work()
        except BaseException as err:  # handed to the waiting thread, re-raised there
            outcome.error = err
        outcome.done = True

    thread = threading.Thread(target=target, name="relay-git-review", daemon=True)
    thread.start()
    thread.join(seconds)
    if not outcome.done:
        raise BudgetExceeded(
            f"the review did not finish within its {budget or seconds:g} s budget",
            "raise --timeout, review fewer files (--max-files) or use a faster reviewer",
        )
    if outcome.error is not None:
        raise outcome.error
    return outcome.value  # type: ignore[return-value]
