"""The demo's example repository: built from the shipped files, one commit, never over a folder
that holds something. The full demo on the real models is tests/realmodel/test_readme_demo.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import git

from relay_git.cli import main
from relay_git.errors import UsageError
from relay_git.starter import demo


def test_the_example_repository_has_a_done_test_that_fails_at_its_base(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    written = demo.create(root, dict(os.environ))
    assert "tests/test_is_even.py" in written and "mathkit/numbers.py" in written
    assert git(root, "status", "--porcelain") == ""
    assert git(root, "rev-list", "--count", "HEAD").strip() == "1"
    assert "is_even" not in (root / "mathkit" / "numbers.py").read_text()
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert tests.returncode != 0 and "is_even" in tests.stdout  # "done" is not yet true


def test_a_folder_that_holds_something_is_never_used(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me\n")
    with pytest.raises(UsageError, match="already exists"):
        demo.create(tmp_path, dict(os.environ))
    assert (tmp_path / "mine.txt").read_text() == "keep me\n"
    assert not (tmp_path / ".git").exists()


def test_demo_into_an_existing_folder_is_exit_2_before_any_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "f").write_text("f")
    assert main(["demo", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and "Traceback" not in err


def test_the_demo_test_command_is_the_running_interpreter() -> None:
    assert demo.test_command().startswith(sys.executable.replace(" ", "\\ ")[:8])
    assert demo.test_command().endswith("-m pytest -q -p no:cacheprovider")
