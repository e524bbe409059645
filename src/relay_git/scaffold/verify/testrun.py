"""Running the project's tests inside the relay worktree: timeout, process group, trimmed tail.

The output is data: it is trimmed, redacted, kept as text, and only ever quoted to a model.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

from relay_git.safety.redact import redact
from relay_git.safety.sandbox import HOME, Kind, argv, environment, known_secrets, resolve

TAIL_CHARS = 4000


class Status(StrEnum):
    """How a run of the test command ended (the report's ``tests.status``)."""

    PASSED = "passed"
    FAILED = "failed"
    TIMEOUT = "timeout"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class TestOutcome:
    __test__ = False  # a value, not a test class for pytest to collect

    status: Status
    command: str = ""
    exit_code: int | None = None
    output: str = ""  # the tail of stdout+stderr
    seconds: float = 0.0
    reason: str = ""  # why skipped
    sandbox: str = ""  # "bwrap" | "unshare" | "none" (--unsandboxed-tests)
    needs_confirmation: bool = False  # skipped: a command the user has not confirmed

    @property
    def failed(self) -> bool:
        return self.status in (Status.FAILED, Status.TIMEOUT)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "command": self.command,
            "exit_code": self.exit_code,
            "seconds": round(self.seconds, 3),
            "output_tail": self.output,
            "reason": self.reason,
            "sandbox": self.sandbox,
            "needs_confirmation": self.needs_confirmation,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TestOutcome:
        return cls(
            status=Status(str(data["status"])),
            command=str(data.get("command", "")),
            exit_code=data.get("exit_code"),
            output=str(data.get("output_tail", "")),
            seconds=float(data.get("seconds", 0.0)),
            reason=str(data.get("reason", "")),
            sandbox=str(data.get("sandbox", "")),
            needs_confirmation=bool(data.get("needs_confirmation", False)),
        )


class Detected(NamedTuple):
    """The test command to run (None: none), where it came from or why there is none."""

    command: str | None
    source: str
    needs_confirmation: bool = False  # one was found, and waits for the user's word


def detect(
    root: Path, flag: str | None, configured: str | None, *, trusted: bool = False
) -> Detected:
    """The command to run and where it came from; None when there is nothing to run.

    A command the user did not give (``--test-cmd``) runs model-written code on their
    machine, so one from the repository's configuration or auto-detected is not run until
    the user confirms it: with ``--test-cmd``, or by trusting the repository (``trusted``).
    """
    if flag:
        return Detected(flag, "--test-cmd")
    has_tests = (root / "tests").is_dir() or any(root.glob("test_*.py"))
    found = configured or (f"{shlex.quote(sys.executable)} -m pytest -q" if has_tests else None)
    if found is None:
        return Detected(
            None, "no --test-cmd, no test_command setting and no tests/ folder or test_*.py"
        )
    origin = "test_command in configuration" if configured else "auto-detected pytest"
    if trusted:
        return Detected(found, origin)
    said = (
        f"not run: the {origin} needs your confirmation before it runs model-written code; "
        f"rerun with --test-cmd {shlex.quote(found)}"
    )
    return Detected(None, said, needs_confirmation=True)


def trusted_source(repo_root: Path, environ: Mapping[str, str], configured: str | None) -> bool:
    """Whether a test command the user did not pass as a flag may run unconfirmed.

    Yes when it comes from the user's own environment (RELAY_GIT_TEST_COMMAND), or when the
    user trusts the repository.
    """
    if configured and environ.get("RELAY_GIT_TEST_COMMAND", "").strip() == configured:
        return True
    from relay_git.config.trust import is_trusted

    return is_trusted(repo_root, environ)


def tail(text: str, limit: int = TAIL_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text[-limit:]
    return "[…earlier output trimmed…]\n" + cut[cut.find("\n") + 1 :]


def run(
    command: str,
    cwd: Path,
    timeout: float,
    environ: Mapping[str, str],
    *,
    sandbox: Kind = Kind.AUTO,
) -> TestOutcome:
    """Run ``command`` through the shell in ``cwd``, sandboxed (see ``relay_git.safety.sandbox``).

    The environment is cut down to an allow-list first (no API keys or tokens), with HOME
    a scratch directory. ``Kind.NONE`` runs unsandboxed, for ``--unsandboxed-tests`` only;
    with ``Kind.AUTO`` and no working sandbox this raises ``SandboxUnavailable``.
    On timeout the whole process group is killed.
    """
    kind = resolve(sandbox, environ)
    if kind is not Kind.NONE:  # HOME is on the sandbox's private /tmp
        args = argv(kind, command, cwd, environ)
        outcome = _run(args, command, cwd, timeout, environment(environ, HOME))
    else:
        with tempfile.TemporaryDirectory(prefix="relay-git-home-") as scratch:
            outcome = _run(
                argv(kind, command, cwd), command, cwd, timeout, environment(environ, scratch)
            )
    # The output goes to models, into the run's state and into commit messages: redacted
    # once, here, with the secrets this machine knows (environment, .env files).
    output, _ = redact(outcome.output, known_secrets(cwd, environ))
    return replace(outcome, output=output, sandbox=kind.value)


def _run(
    args: list[str], command: str, cwd: Path, timeout: float, env: Mapping[str, str]
) -> TestOutcome:
    start = time.monotonic()
    proc = subprocess.Popen(
        args,
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, _ = proc.communicate()
        text = tail(out.decode("utf-8", "replace"))
        return TestOutcome(
            Status.TIMEOUT,
            command,
            None,
            text + f"\n[timed out after {timeout:g}s]",
            time.monotonic() - start,
        )
    except BaseException:
        _kill_group(proc)
        proc.wait()
        raise
    text = tail(out.decode("utf-8", "replace"))
    status = Status.PASSED if proc.returncode == 0 else Status.FAILED
    return TestOutcome(status, command, proc.returncode, text, time.monotonic() - start)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
