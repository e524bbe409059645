"""The review cache under the repository's git dir: JSON files keyed by content hashes.

Keys cover everything that changes an answer (reviewer spec, template hash, the text
reviewed), so a hit is always safe to reuse and a miss is never stale.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from relay_git.util.fs import atomic_write


def key(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8", "surrogateescape"))
        h.update(b"\0")
    return h.hexdigest()


class Cache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, kind: str, k: str) -> Path:
        return self.directory / kind / k[:2] / f"{k}.json"

    def get(self, kind: str, k: str) -> Any | None:
        try:
            return json.loads(self._path(kind, k).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # missing or corrupt entries are misses

    def put(self, kind: str, k: str, value: Any) -> None:
        path = self._path(kind, k)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, json.dumps(value), mode=0o600)  # hooks never read half a file
        except OSError:
            pass  # a read-only git dir only costs the cache, never the review
