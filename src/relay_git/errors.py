"""Every error relay-git reports to a user, each tied to its exit code.

The CLI maps these (and only these) to a message and an exit code, from the error's own
``exit_code``, ``label`` and ``details()``; anything else is a bug and is allowed to raise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class RelayError(Exception):
    """Base class: a message for the user, and the exit code that goes with it."""

    exit_code = 2
    label = "error"  # the word after "relay-git:" on the message line
    # Work was abandoned in a thread still waiting on a model: the real program ends at
    # once after the message instead of letting the interpreter join that thread.
    leave_at_once = False

    def __init__(self, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message} ({self.fix})" if self.fix else self.message

    def details(self) -> list[str]:
        """Further lines for the user after the message (without the ``relay-git:``)."""
        return []


class UsageError(RelayError):
    """Bad arguments, bad configuration, not a repository, bad revision: exit 2."""

    exit_code = 2


class GitError(UsageError):
    """A git command failed for a reason the user can act on."""


class SandboxUnavailable(UsageError):
    """No working sandbox for model-written code and no opt-out: exit 2, with the reason."""


class BrokenTestCommand(UsageError):
    """The project's test command cannot run a test, on the base commit before any model
    worked (scaffold's preflight): exit 2, with the fix."""


class BackendUnavailable(RelayError):
    """Model server down, model missing, key missing, timeout: exit 3."""

    exit_code = 3


class Misconfigured(BackendUnavailable):
    """The server answered, and the configuration is wrong: a model it does not have, a key
    it refuses or that is missing, an endpoint that is not the named backend. Exit 3 like
    any backend fault, but a hook blocks on it (every commit would pass unreviewed), where
    an unreachable or slow server fails open."""


class BudgetExceeded(BackendUnavailable):
    """The review did not finish within ``--timeout`` seconds (a hook passes with a warning
    unless --strict): exit 3."""

    leave_at_once = True  # the review's thread still waits on the model


class ModelOutputError(RelayError):
    """The model's reply never validated, even after retries."""

    exit_code = 3

    def __init__(self, message: str, raw: str = "", fix: str | None = None) -> None:
        super().__init__(message, fix)
        self.raw = raw
        self.saved: str | None = None  # where the CLI saved ``raw`` for the user

    def details(self) -> list[str]:
        return [f"the model's last raw reply is saved in {self.saved}"] if self.saved else []


class UnsafeEdit(RelayError):
    """A model-proposed edit tried to leave the worktree or touch .git."""

    exit_code = 2


class GitHubError(RelayError):
    """GitHub refused a request or could not be reached (never carries the token): exit 3."""

    exit_code = 3

    def __init__(
        self, message: str, status: int = 0, errors: Sequence[Any] = (), fix: str | None = None
    ) -> None:
        super().__init__(message, fix)
        self.status = status
        self.errors = tuple(errors)


class ReadOnlyToken(GitHubError):
    """403: the token may read but not write (a fork's pull request, or missing permissions)."""

    exit_code = 3


class NotBlocking(RelayError):
    """A hook whose review could not finish passes with a warning (exit 0) unless --strict."""

    exit_code = 0
    label = "warning"

    def __init__(self, cause: RelayError) -> None:
        super().__init__(f"{cause}; not blocking (--strict fails instead)")
        self.leave_at_once = cause.leave_at_once
