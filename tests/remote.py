"""A recording loopback server that relay-git must treat as another machine.

"Local" is decided by address (each backend type's ``is_local``): a model server on 127.0.0.1 is
on this machine and may see secrets. To play a *remote* server, a test names it by a
hostname under ``.test`` (RFC 2606: never resolves) and routes the request to the
loopback server through ``HTTP_PROXY``, which httpx, and so every network backend,
honours. relay-git sees a remote URL; the bytes still land in the recording server, whose
``Recorded.path`` is the request's path.
"""

from __future__ import annotations

import pytest

REMOTE_HOST = "models.remote.test"


def remote_url(monkeypatch: pytest.MonkeyPatch, server: str, host: str = REMOTE_HOST) -> str:
    """``http://HOST``, whose requests reach the loopback ``server`` URL as a plain proxy."""
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, server)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    return f"http://{host}"
