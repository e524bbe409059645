"""run_within: work in a daemon thread, BudgetExceeded when it takes longer than allowed."""

from __future__ import annotations

import time

import pytest

from relay_git.errors import BackendUnavailable, BudgetExceeded
from relay_git.util.timeout import run_within


def test_run_within() -> None:
    assert run_within(lambda: 7, None) == 7
    assert run_within(lambda: 8, 5.0) == 8
    with pytest.raises(ZeroDivisionError):
        run_within(lambda: 1 // 0, 5.0)
    start = time.monotonic()
    with pytest.raises(BudgetExceeded, match="within its 60 s budget"):
        run_within(lambda: time.sleep(3), 0.2, 60)
    assert time.monotonic() - start < 1


def test_budget_exceeded_is_a_backend_failure_with_exit_3() -> None:
    err = BudgetExceeded("slow", "raise --timeout")
    assert isinstance(err, BackendUnavailable) and err.exit_code == 3
    assert str(err) == "slow (raise --timeout)"
