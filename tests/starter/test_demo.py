"""The demo's example repository: built from the shipped files, one commit, never over a folder
that holds something. The full demo on the real models is tests/realmodel/test_readme_demo.py."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import git
from tests.fakes import FakeBackend, factory

from relay_git.cli import main
from relay_git.errors import BackendUnavailable, UsageError
from relay_git.models import local
from relay_git.starter import demo


@pytest.mark.slow
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


def demo_in(tmp_path: Path, *args: str, obj: dict[str, Any] | None = None) -> int:
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        return main(["demo", *args], obj=obj)
    finally:
        os.chdir(old)


def test_without_llama_cpp_it_exits_3_with_the_fix_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # makes the import fail
    assert demo_in(tmp_path, "-q") == 3
    err = capsys.readouterr().err
    assert "llama-cpp-python" in err and f"{sys.executable} -m pip install" in err
    assert list(tmp_path.iterdir()) == []  # no ./relay-git-demo


def test_without_a_packaged_model_it_exits_3_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(local, "SMOLLM2_PACKAGE", "relay_git_no_such_model_package")
    assert demo_in(tmp_path, "-q") == 3
    assert "not installed" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_ollama_is_exit_3_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A port nothing listens on stands in for a stopped Ollama daemon."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("OLLAMA_HOST", f"http://127.0.0.1:{port}")
    code = demo_in(tmp_path, "--coder", "ollama:qwen3-coder:30b", "--reviewer", "ollama:big")
    err = capsys.readouterr().err
    assert code == 3, err
    assert "relay-git: error:" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_given_models_are_used_and_a_rerun_reuses_the_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Scripted coder and reviewer (tests/fakes.py) whose first call fails: enough to see
    which models the relay asked, and that a rerun goes on in the same example repository
    from its first commit, on a branch of its own."""
    coder, reviewer = FakeBackend("ollama:small-coder"), FakeBackend("ollama:big-reviewer")
    coder.default = reviewer.default = BackendUnavailable("scripted: no more replies")
    obj = {"make_backend": factory(coder, reviewer)}
    args = ("--coder", "ollama:small-coder", "--reviewer", "ollama:big-reviewer", "demo")
    assert demo_in(tmp_path, *args, obj=obj) == 3
    assert "created an example repository" in capsys.readouterr().err
    root = tmp_path / "demo"
    first = git(root, "rev-parse", "HEAD").strip()
    assert len(coder.history) == 1  # the plan was asked of --coder, not the packaged GGUF
    (root / "mine.txt").write_text("the user's own commit\n")
    git(root, "add", "mine.txt")
    git(root, "commit", "-q", "-m", "mine")

    assert demo_in(tmp_path, *args, obj=obj) == 3
    err = capsys.readouterr().err
    assert "reusing the example repository" in err and "already exists" not in err
    assert len(coder.history) == 2
    branches = git(root, "for-each-ref", "--format=%(refname:short)", "refs/heads/relay/")
    slug = "relay/add-a-function-is-even-n-to-mathkit"
    assert sorted(branches.split()) == [slug, f"{slug}-2"]
    assert git(root, "rev-parse", f"{slug}-2").strip() == first  # from the demo's first commit
    assert (root / "mine.txt").read_text() == "the user's own commit\n"


def ctrl_c(_request: object) -> str:
    raise KeyboardInterrupt


@pytest.mark.slow
def test_ctrl_c_names_what_stays_and_where_to_resume(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C at the first model call (a scripted coder raises it, as the signal would)."""
    coder, reviewer = FakeBackend("ollama:small-coder"), FakeBackend("ollama:big-reviewer")
    coder.default = ctrl_c
    obj = {"make_backend": factory(coder, reviewer)}
    args = ("-q", "--coder", "ollama:small-coder", "--reviewer", "ollama:big-reviewer", "my demo")
    assert demo_in(tmp_path, *args, obj=obj) == 130
    err = capsys.readouterr().err
    assert "relay/add-a-function-is-even-n-to-mathkit stays at its last good commit" in err
    assert "continue: relay-git scaffold --coder ollama:small-coder" in err and "--resume" in err
    assert f"cd '{tmp_path / 'my demo'}'" in err
    assert err.rstrip().endswith("relay-git: interrupted")
