"""A relay run's resume state and its lock, kept in the relay worktree's own git dir.

``relay-state.json`` records the stages done so ``--resume`` can go on; ``relay.lock``
holds the pid of the one run working in the worktree.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from relay_git.errors import UsageError
from relay_git.git.run import git
from relay_git.util.fs import atomic_write

STATE_FILE = "relay-state.json"
LOCK_FILE = "relay.lock"


def _state_path(path: Path) -> Path:
    proc = git(["rev-parse", "--absolute-git-dir"], path, check=False)
    if not proc.ok:
        raise UsageError(f"{path} is not a git worktree any more", "run `relay-git clean`")
    return Path(proc.out.strip()) / STATE_FILE


def read_state(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(_state_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, UsageError):
        return None
    return data if isinstance(data, dict) else None


def saved_at(path: Path) -> float | None:
    """When the run last saved its state (its last act, interrupted or not), else None."""
    try:
        return _state_path(path).stat().st_mtime
    except (OSError, UsageError):
        return None


def write_state(path: Path, state: Mapping[str, Any]) -> None:
    atomic_write(_state_path(path), json.dumps(state, indent=1))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def live_lock(path: Path) -> int | None:
    try:
        lock = _state_path(path).with_name(LOCK_FILE)
        pid = int(lock.read_text().strip() or "0")
    except (OSError, ValueError, UsageError):
        return None
    return pid if pid > 0 and _pid_alive(pid) else None


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """One relay run per worktree; a lock left by a dead process is taken over."""
    lock = _state_path(path).with_name(LOCK_FILE)
    mine = lock.with_name(f"{LOCK_FILE}.{os.getpid()}")
    mine.write_text(str(os.getpid()))
    try:
        for _ in range(3):
            try:
                os.link(mine, lock)  # atomic: exactly one of two racing runs creates it
                break
            except FileExistsError:
                holder = live_lock(path)
                if holder is not None and holder != os.getpid():
                    raise UsageError(
                        f"another relay-git run (pid {holder}) is working in {path}"
                    ) from None
                with contextlib.suppress(OSError):
                    lock.unlink()  # left by a run that died
        else:
            raise UsageError(f"cannot take the relay lock {lock}", "remove it if no run is active")
    finally:
        mine.unlink(missing_ok=True)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            lock.unlink()
