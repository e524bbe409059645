"""preflight: which test-command failures stop a run before any model works. Pure; table."""

from __future__ import annotations

import pytest

from relay_git.scaffold.verify.preflight import broken
from relay_git.scaffold.verify.testrun import TestOutcome


@pytest.mark.parametrize(
    ("code", "output", "pytest", "stops"),
    [
        (1, "/usr/bin/python3: No module named pytest\n", True, "No module named pytest"),
        (127, "sh: 1: pytst: not found\n", False, "not found"),
        (
            2,
            "ERROR collecting tests/test_old.py\nE   SyntaxError: invalid syntax\n"
            "1 error in 0.1s\n",
            True,
            "ERROR collecting tests/test_old.py",
        ),
        (4, "ERROR: usage: pytest [options]\n", True, "fails before any test runs"),
        (1, "F.\n1 failed, 1 passed\n", True, None),  # tests ran: the model's work
        (5, "no tests ran in 0.01s\n", True, None),
        (
            2,
            "ERROR collecting tests/test_done.py\nE   ModuleNotFoundError: No module named "
            "'slug'\n",
            True,
            None,  # a test written first for the module the task creates
        ),
    ],
)
def test_a_test_command_that_cannot_run_a_test_stops_the_run(
    code: int, output: str, pytest: bool, stops: str | None
) -> None:
    outcome = TestOutcome("failed", "python -m pytest -q", code, output)
    refused = broken(outcome, pytest)
    if stops is None:
        assert refused is None
    else:
        assert refused is not None and stops in refused.message and refused.fix
