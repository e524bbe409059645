"""Fixtures for scaffold tests: a dirty user repository and a scripted relay."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.scaffold.support import Relay, make_dirty


@pytest.fixture
def dirty(repo: Path) -> Path:
    return make_dirty(repo)


@pytest.fixture
def relay() -> Relay:
    return Relay()
