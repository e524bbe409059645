"""Repository trust, like ``direnv allow``: the repository's own config gains power only
after the user approves its exact content.

What is approved: ``.relay-git.toml``, the ``[tool.relay-git]`` table of ``pyproject.toml``
and the content of every file under ``.relay-git/templates/`` and under any ``templates_dir``
that lies inside the repository, whichever setting names it (either repository file, the
user's config, ``RELAY_GIT_TEMPLATES_DIR``), hashed together with SHA-256. A relative
``templates_dir`` is taken from the repository's root, never the current directory. A
template that is a symlink is approved by the content it leads to; one that leads out of
the repository, or a ``templates_dir`` the repository names outside itself, cannot be
approved at all. The approval lives in the user's config directory (``trusted.json``),
keyed by the repository's path, never in the repository; any change to that content makes
the repository untrusted again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relay_git.config.dirs import config_dir
from relay_git.errors import UsageError
from relay_git.util.fs import atomic_write

OWN_FILE = ".relay-git.toml"
PYPROJECT = "pyproject.toml"
TEMPLATES = ".relay-git/templates"
HOW = "review it, then run relay-git trust"


@dataclass(frozen=True)
class Status:
    """A repository's trust: the digest of its content now, and the one the user approved."""

    root: Path
    digest: str  # of the content as it is now
    files: tuple[str, ...]  # what the digest covers, relative to root
    recorded: str | None  # the digest the user approved, if any
    trusted_at: str | None

    @property
    def trusted(self) -> bool:
        return self.recorded == self.digest


def store_path(environ: Mapping[str, str]) -> Path:
    return config_dir(environ) / "trusted.json"


def _key(root: Path) -> str:
    return str(root.resolve())


def _pyproject_table(path: Path) -> bytes | None:
    """The ``[tool.relay-git]`` table, canonically; the raw file when it is not valid TOML."""
    raw = path.read_bytes()
    try:
        table = tomllib.loads(raw.decode("utf-8")).get("tool", {}).get("relay-git")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return raw
    if table is None:
        return None
    return json.dumps(table, sort_keys=True, default=str).encode()


@dataclass(frozen=True)
class Named:
    """A ``templates_dir`` one setting names: its value, where, and whether the repository."""

    value: str
    source: str
    by_repo: bool


def _toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _dir_value(table: object) -> str | None:
    if not isinstance(table, dict):
        return None
    value = table.get("templates_dir", table.get("templates-dir"))
    return value if isinstance(value, str) and value else None


def named_dirs(root: Path, environ: Mapping[str, str]) -> list[Named]:
    """Every ``templates_dir`` a setting names, in no particular precedence."""
    pyproject = _toml(root / PYPROJECT).get("tool", {})
    user = config_dir(environ) / "config.toml"
    found = [
        (_dir_value(_toml(root / OWN_FILE)), OWN_FILE, True),
        (_dir_value(pyproject.get("relay-git") if isinstance(pyproject, dict) else None),
         f"{PYPROJECT} [tool.relay-git]", True),
        (_dir_value(_toml(user)), str(user), False),
        (environ.get("RELAY_GIT_TEMPLATES_DIR") or None, "RELAY_GIT_TEMPLATES_DIR", False),
    ]  # fmt: skip
    return [Named(value, source, repo) for value, source, repo in found if value]


def in_repo(root: Path, value: str | Path) -> Path | None:
    """``value`` (relative: from the repository's root) resolved, when it lies inside."""
    try:
        folder = (root / value).resolve()
    except RuntimeError:  # a symlink loop (Python < 3.13)
        return None
    return folder if folder.is_relative_to(root.resolve()) else None


def outside(path: str, where: str) -> UsageError:
    return UsageError(
        f"{where}: {path} resolves outside the repository; it cannot be trusted",
        "keep prompt templates inside the repository (no symlink or '..' out of it)",
    )


def template_folders(root: Path, environ: Mapping[str, str]) -> list[Path]:
    """The folders whose files trust covers: resolved, inside the repository, no repeats.

    A folder the repository names (or its own ``.relay-git/templates``) outside itself
    raises UsageError; one the user names outside the repository is the user's own.
    """
    names = [Named(TEMPLATES, TEMPLATES, True), *named_dirs(root, environ)]
    folders: list[Path] = []
    for named in names:
        folder = in_repo(root, named.value)
        if folder is None and named.by_repo:
            raise outside(f"templates_dir {named.value!r}", named.source)
        if folder is not None and folder not in folders:
            folders.append(folder)
    return folders


def _walk(folder: Path, real_root: Path, seen: set[Path]) -> Iterator[Path]:
    """Files under ``folder``, symlinks followed while they stay inside the repository."""
    if folder in seen or not folder.is_dir():
        return
    seen.add(folder)
    for entry in sorted(folder.iterdir()):
        try:
            target = entry.resolve()
        except RuntimeError:  # a symlink loop (Python < 3.13)
            raise outside(f"template {entry.name} (a symlink loop)", "prompt templates") from None
        if not target.is_relative_to(real_root):
            raise outside(f"template {entry.relative_to(real_root).as_posix()}", "prompt templates")
        if target.is_dir():
            yield from _walk(target, real_root, seen)
        elif target.is_file():
            yield entry


def template_files(root: Path, environ: Mapping[str, str]) -> Iterator[tuple[str, bytes]]:
    """(path, content) of every template trust covers; a symlink by what it leads to."""
    real_root = root.resolve()
    seen: set[Path] = set()
    for folder in template_folders(root, environ):
        for path in _walk(folder, real_root, seen):
            yield path.relative_to(real_root).as_posix(), path.resolve().read_bytes()


def material(root: Path, environ: Mapping[str, str]) -> Iterator[tuple[str, bytes]]:
    """Every (name, content) the approval covers, in a fixed order."""
    own = root / OWN_FILE
    if own.is_file():
        yield OWN_FILE, own.read_bytes()
    pyproject = root / PYPROJECT
    if pyproject.is_file():
        table = _pyproject_table(pyproject)
        if table is not None:
            yield f"{PYPROJECT} [tool.relay-git]", table
    yield from template_files(root, environ)


def _digest(items: list[tuple[str, bytes]]) -> str:
    h = hashlib.sha256()
    for name, blob in items:
        h.update(name.encode() + b"\0" + hashlib.sha256(blob).digest())
    return h.hexdigest()


def _read_store(environ: Mapping[str, str]) -> dict[str, Any]:
    path = store_path(environ)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        raise UsageError(f"{path}: unreadable trust record: {err}", f"delete {path}") from None
    repos = data.get("repos") if isinstance(data, dict) else None
    return repos if isinstance(repos, dict) else {}


def _write_store(environ: Mapping[str, str], repos: Mapping[str, Any]) -> None:
    path = store_path(environ)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"version": 1, "repos": repos}, indent=2, sort_keys=True)
    atomic_write(path, text + "\n", mode=0o600)


def status(root: Path, environ: Mapping[str, str]) -> Status:
    items = list(material(root, environ))
    entry = _read_store(environ).get(_key(root))
    entry = entry if isinstance(entry, dict) else {}
    return Status(
        root,
        _digest(items),
        tuple(name for name, _ in items),
        entry.get("digest"),
        entry.get("trusted_at"),
    )


def is_trusted(root: Path, environ: Mapping[str, str] | None = None) -> bool:
    """Whether the user approved this repository's current config and templates.

    ``environ`` locates the trust record (``XDG_CONFIG_HOME``/``HOME``); default os.environ.
    An unreadable trust record counts as no approval.
    """
    env = os.environ if environ is None else environ
    try:
        return status(root, env).trusted
    except (UsageError, OSError):
        return False


def trust(root: Path, environ: Mapping[str, str]) -> Status:
    """Record approval of the content as it is now; returns the new status."""
    from datetime import UTC, datetime

    current = status(root, environ)
    repos = _read_store(environ)
    when = datetime.now(UTC).isoformat(timespec="seconds")
    repos[_key(root)] = {"digest": current.digest, "files": list(current.files), "trusted_at": when}
    _write_store(environ, repos)
    return Status(root, current.digest, current.files, current.digest, when)


def revoke(root: Path, environ: Mapping[str, str]) -> bool:
    """Forget the approval; False when there was none."""
    repos = _read_store(environ)
    if repos.pop(_key(root), None) is None:
        return False
    _write_store(environ, repos)
    return True


def notice(setting: str, source: str) -> str:
    """The one line that says an untrusted setting was ignored, and how to trust it."""
    return f"relay-git: ignoring {setting} from {source} (repository not trusted; {HOW})"
