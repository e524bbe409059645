"""Record every program relay-git starts: in process (audit hook) and below it (PATH shims).

- :func:`audit` is a ``sys.addaudithook`` recorder: while a :class:`Recorder` is active it
  keeps every ``subprocess.Popen`` / ``os.system`` / ``os.exec`` / ``os.posix_spawn`` /
  ``os.spawn`` event raised in this interpreter.
- :func:`make_shims` writes one shell shim per executable on ``PATH`` into a directory;
  with that directory first on ``PATH`` every program started by name -- by relay-git,
  by git (hooks, helpers) or by a shell -- appends ``NAME ARGS`` to ``$RELAY_SHIM_LOG``
  and then execs the real program.
"""

from __future__ import annotations

import os
import shlex
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_EVENTS = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn")


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str | None]] = []  # (event, program, cwd)

    def programs(self) -> set[str]:
        return {Path(program).name for _, program, _ in self.calls}


_active: list[Recorder] = []


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _active or event not in _EVENTS:
        return
    first = args[0] if args else ""
    cwd = None
    if event == "subprocess.Popen":  # (executable, args, cwd, env)
        argv = args[1]
        first = args[0] or (argv if isinstance(argv, str | bytes) else argv[0])
        cwd = None if args[2] is None else os.fsdecode(args[2])
    program = os.fsdecode(first) if isinstance(first, str | bytes | os.PathLike) else str(first)
    name = program.split()[0] if event == "os.system" else program
    _active[-1].calls.append((event, name, cwd))


_installed: list[bool] = []


@contextmanager
def audit() -> Iterator[Recorder]:
    if not _installed:
        sys.addaudithook(_hook)  # permanent for the process; idle when nothing records
        _installed.append(True)
    recorder = Recorder()
    _active.append(recorder)
    try:
        yield recorder
    finally:
        _active.remove(recorder)


def make_shims(directory: Path, path: str) -> int:
    """One logging shim per executable name on ``path`` (first match wins, like a shell)."""
    directory.mkdir(parents=True, exist_ok=True)
    made = 0
    for folder in path.split(os.pathsep):
        try:
            entries = list(os.scandir(folder or "."))
        except OSError:
            continue
        for entry in entries:
            shim = directory / entry.name
            if shim.exists() or not _executable(entry):
                continue
            real = shlex.quote(entry.path)
            shim.write_text(
                "#!/bin/sh\n"
                f'printf \'%s\\n\' "{entry.name} $*" >> "${{RELAY_SHIM_LOG:-/dev/null}}"\n'
                f'exec {real} "$@"\n'
            )
            shim.chmod(0o755)
            made += 1
    return made


def _executable(entry: os.DirEntry[str]) -> bool:
    try:
        mode = entry.stat().st_mode
    except OSError:
        return False
    return stat.S_ISREG(mode) and bool(mode & 0o111) and "/" not in entry.name


def shim_log(log: Path) -> list[str]:
    """Program names the shims saw, in order."""
    if not log.exists():
        return []
    return [line.split(" ", 1)[0] for line in log.read_text().splitlines() if line]
