"""The one atomic file write: every file relay-git replaces goes through :func:`atomic_write`."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)


def atomic_write(
    target: Path, data: str | bytes, *, mode: int | None = None, keep_mode: bool = False
) -> None:
    """Write a fresh temporary file beside ``target``, then rename it over ``target``.

    Readers see the old file or the new one, never half. The temporary name is new and
    opened O_EXCL | O_NOFOLLOW (a planted symlink is never followed), and removed on failure.
    ``mode`` sets the permissions, ``keep_mode`` keeps an existing target's; else the umask.
    ``str`` is written as UTF-8.
    """
    if keep_mode and target.exists():
        mode = stat.S_IMODE(target.lstat().st_mode)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.relay-tmp")
    fd = os.open(tmp, _FLAGS, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            if mode is not None:
                os.fchmod(fh.fileno(), mode)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
