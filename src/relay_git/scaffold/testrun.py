"""Running the project's tests inside the relay worktree: timeout, process group, trimmed tail.

The output is data: it is trimmed, kept as text, and only ever quoted to a model.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TAIL_CHARS = 4000
# Variables that would make a test run act on another repository than the worktree.
_GIT_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_PREFIX")


@dataclass(frozen=True)
class TestOutcome:
    status: str  # "passed" | "failed" | "timeout" | "skipped"
    command: str = ""
    exit_code: int | None = None
    output: str = ""  # the tail of stdout+stderr
    seconds: float = 0.0
    reason: str = ""  # why skipped

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "timeout")

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "command": self.command,
            "exit_code": self.exit_code,
            "seconds": round(self.seconds, 3),
            "output_tail": self.output,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TestOutcome:
        return cls(
            status=str(data["status"]),
            command=str(data.get("command", "")),
            exit_code=data.get("exit_code"),
            output=str(data.get("output_tail", "")),
            seconds=float(data.get("seconds", 0.0)),
            reason=str(data.get("reason", "")),
        )


def detect(root: Path, flag: str | None, configured: str | None) -> tuple[str | None, str]:
    """The command to run and where it came from; None when there is nothing to run."""
    if flag:
        return flag, "--test-cmd"
    if configured:
        return configured, "test_command in configuration"
    has_tests = (root / "tests").is_dir() or any(root.glob("test_*.py"))
    if has_tests:
        return f"{shlex.quote(sys.executable)} -m pytest -q", "auto-detected pytest"
    return None, "no --test-cmd, no test_command setting and no tests/ folder or test_*.py"


def tail(text: str, limit: int = TAIL_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text[-limit:]
    return "[…earlier output trimmed…]\n" + cut[cut.find("\n") + 1 :]


def run(command: str, cwd: Path, timeout: float, environ: Mapping[str, str]) -> TestOutcome:
    """Run ``command`` through the shell in ``cwd``; on timeout kill its whole process group."""
    env = {k: v for k, v in environ.items() if k not in _GIT_VARS}
    start = time.monotonic()
    proc = subprocess.Popen(
        command,
        shell=True,
        cwd=cwd,
        env=env,
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
            "timeout",
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
    status = "passed" if proc.returncode == 0 else "failed"
    return TestOutcome(status, command, proc.returncode, text, time.monotonic() - start)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
