"""THE one place relay-git starts a git process: ``git(args, cwd) -> Result(rc, out, err)``.

A plain ``git`` subprocess, with nothing beyond the standard library imported, keeps the
commit hook's cached path fast. The environment is passed in (None: this process's).
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from relay_git.errors import GitError, UsageError


class Result(NamedTuple):
    rc: int  # git's exit code
    out: str  # stdout
    err: str  # stderr

    @property
    def ok(self) -> bool:
        return self.rc == 0


def git(
    args: Sequence[str],
    cwd: Path,
    *,
    env: Mapping[str, str] | None = None,
    input_text: str | None = None,
    check: bool = True,
) -> Result:
    """Run ``git ARGS`` in ``cwd``; with ``check``, a non-zero exit raises ``GitError``."""
    try:
        raw = subprocess.run(
            ["git", "-c", "core.quotepath=true", *args],
            cwd=cwd,
            env=None if env is None else dict(env),
            input=None if input_text is None else input_text.encode("utf-8", "surrogateescape"),
            capture_output=True,
        )
    except FileNotFoundError:
        if cwd is not None and not Path(cwd).is_dir():  # the folder, not git, is missing
            raise UsageError(f"no such directory: {cwd}") from None
        raise UsageError("git is not installed or not on PATH", "install git") from None
    # Decoded by hand: text mode would turn a lone \r in file content into a line break.
    result = Result(raw.returncode, _decode(raw.stdout), _decode(raw.stderr))
    if check and not result.ok:
        first = (result.err.strip().splitlines() or ["(no message)"])[-1]
        raise GitError(f"git {args[0]} failed: {first}")
    return result


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")
