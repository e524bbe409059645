"""The hermetic fixture (tests/conftest.py): what a process a test starts sees."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def _child_says(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_a_child_gets_a_temp_dir_of_the_tests_own(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Not /tmp: a pytest the test starts would delete earlier suites' folders there."""
    theirs = Path(_child_says("import tempfile; print(tempfile.gettempdir())"))
    assert theirs.is_relative_to(tmp_path_factory.getbasetemp()), theirs
    assert theirs.is_dir() and not any(theirs.iterdir())


def test_a_child_has_a_home_of_the_tests_own(tmp_path_factory: pytest.TempPathFactory) -> None:
    home = Path(_child_says("import pathlib; print(pathlib.Path.home())"))
    assert home.is_relative_to(tmp_path_factory.getbasetemp()), home
    assert (home / ".gitconfig").is_file()
