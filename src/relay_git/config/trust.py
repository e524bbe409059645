"""Repository trust, like ``direnv allow``: the repository's own config gains power only
after the user approves its exact content.

What is approved: ``.relay-git.toml``, the ``[tool.relay-git]`` table of ``pyproject.toml``
and every file under ``.relay-git/templates/`` (and under a ``templates_dir`` the repository
names inside itself), hashed together with SHA-256. The approval lives in the user's config
directory (``trusted.json``), keyed by the repository's path, never in the repository; any
change to that content makes the repository untrusted again.
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


def _named_templates_dir(root: Path) -> Path | None:
    """A ``templates_dir`` the repository's own file names, when it lies inside the repository."""
    own = root / OWN_FILE
    try:
        value = tomllib.loads(own.read_text(encoding="utf-8")).get("templates_dir")
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(value, str) or not value:
        return None
    folder = (root / value).resolve()
    return folder if folder.is_relative_to(root.resolve()) and folder.is_dir() else None


def _template_files(root: Path) -> Iterator[tuple[str, bytes]]:
    folders = [root / TEMPLATES, _named_templates_dir(root)]
    seen: set[Path] = set()
    for folder in folders:
        if folder is None or not folder.is_dir() or folder.resolve() in seen:
            continue
        seen.add(folder.resolve())
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():  # approve where it points, not what it points at today
                yield rel, b"symlink:" + os.readlink(path).encode()
            elif path.is_file():
                yield rel, path.read_bytes()


def material(root: Path) -> Iterator[tuple[str, bytes]]:
    """Every (name, content) the approval covers, in a fixed order."""
    own = root / OWN_FILE
    if own.is_file():
        yield OWN_FILE, own.read_bytes()
    pyproject = root / PYPROJECT
    if pyproject.is_file():
        table = _pyproject_table(pyproject)
        if table is not None:
            yield f"{PYPROJECT} [tool.relay-git]", table
    yield from _template_files(root)


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
    items = list(material(root))
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
