"""The installed `relay-git` console script, as a user runs it (a subprocess)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def _entry_point() -> str:
    beside = Path(sys.executable).with_name("relay-git")
    found = str(beside) if beside.exists() else shutil.which("relay-git")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("relay-git is not installed in CI: .ci/run must pip install the project")
        pytest.skip("relay-git is not installed (pip install -e '.[dev]')")
    return found


def test_help_and_version(tmp_path: Path) -> None:
    exe = _entry_point()
    helped = subprocess.run([exe, "--help"], capture_output=True, text=True, cwd=tmp_path)
    assert helped.returncode == 0
    for command in ("scaffold", "review", "hooks", "github", "clean", "doctor"):
        assert command in helped.stdout
    version = subprocess.run([exe, "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and "relay-git" in version.stdout


def test_bad_input_is_one_line_exit_2(tmp_path: Path) -> None:
    proc = subprocess.run([_entry_point(), "review"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "not inside a git repository" in proc.stderr
    assert "Traceback" not in proc.stderr
