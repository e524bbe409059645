"""What the backend tests share: a loopback HTTP server per test (tests/loopback.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.loopback import Loopback, serve


@pytest.fixture
def server() -> Iterator[Loopback]:
    with serve() as srv:
        yield srv
