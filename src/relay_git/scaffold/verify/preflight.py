"""A broken test command stops the run, not the model: the project's tests are run once on
the base tree before any model works. When the command fails before any test runs (no
test runner in that Python, command not found, a collection error in files the relay did
not write), the run ends at once with the fix, exit 2, instead of fix rounds that ask a
model to repair correct code."""

from __future__ import annotations

import re

from relay_git.errors import BrokenTestCommand
from relay_git.scaffold.verify.testrun import Status, TestOutcome

_NO_MODULE = re.compile(r"No module named '?(\w+)'?")
_NOT_FOUND = re.compile(r"(command not found|not found|No such file or directory)", re.I)
_COLLECTING = re.compile(r"^(ERROR collecting .+|E\s+\w*Error: .+)$", re.M)
_IMPORTS = re.compile(r"\b(ImportError|ModuleNotFoundError): ")
PYTEST_INTERRUPTED, PYTEST_USAGE = 2, 4


def broken(outcome: TestOutcome, pytest: bool) -> BrokenTestCommand | None:
    """Why the test command cannot test anything, as the usage error to raise (None: it ran
    tests, passing or not, or found none)."""
    if not outcome.failed or outcome.status is Status.TIMEOUT:
        return None
    code, out = outcome.exit_code, outcome.output
    missing = _NO_MODULE.search(out)
    if missing and (pytest or code in (1, 127)) and "collecting" not in out:
        return BrokenTestCommand(
            f"the test command cannot run: No module named {missing.group(1)} ({outcome.command})",
            f"install {missing.group(1)} in that Python, or pass a working --test-cmd",
        )
    if code in (126, 127) or (code == 1 and _NOT_FOUND.search(out) and len(out) < 300):
        return BrokenTestCommand(
            f"the test command cannot run: {_last_line(out)} ({outcome.command})",
            "pass a working --test-cmd",
        )
    if pytest and code == PYTEST_INTERRUPTED and _IMPORTS.search(out):
        return None  # a test written first, for code the task is to create: the relay's work
    if pytest and code in (PYTEST_INTERRUPTED, PYTEST_USAGE):
        said = _COLLECTING.search(out)
        return BrokenTestCommand(
            f"the test command fails before any test runs, on the base commit: "
            f"{said.group(1) if said else _last_line(out)} ({outcome.command})",
            "fix the project's tests (or pass a --test-cmd that runs), then rerun",
        )
    return None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"
