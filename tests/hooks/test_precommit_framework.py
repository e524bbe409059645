"""The real pre-commit framework running this repository's .pre-commit-hooks.yaml.

pre-commit builds the hook repository into its own virtualenv (pip, from PyPI), which
takes a while, so these tests are few: a session-wide PRE_COMMIT_HOME keeps the
environment built by the `repo:` config for every test after the first (`try-repo`
always builds into a throwaway store). The reviewer is bench/standin.py, a local
stand-in for the Ollama server on 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from bench.standin import SPEC, error_at, reply, serve
from tests.conftest import GIT_ENV, copy_checkout, git

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("pre-commit") is None, reason="needs pre-commit")


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A committed copy of this working tree (uncommitted edits included), and its sha."""
    copy = copy_checkout(ROOT, tmp_path_factory.mktemp("hook-repo"))
    env = {**os.environ, **GIT_ENV, "GIT_CONFIG_GLOBAL": os.devnull}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "copy"]):
        subprocess.run(["git", *args], cwd=copy, env=env, check=True, capture_output=True)
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=copy, env=env, capture_output=True, text=True
    ).stdout
    return copy, sha.strip()


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def pre_commit(root: Path, home: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PRE_COMMIT_HOME=str(home), OLLAMA_HOST=url, RELAY_GIT_REVIEWER=SPEC)
    env.pop("PYTHONPATH", None)  # the hook runs from pre-commit's own virtualenv
    return subprocess.run(
        ["pre-commit", *args, "--color", "never"],
        cwd=root, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.fixture
def staged(repo: Path) -> Path:
    (repo / "app.py").write_text("def add(a, b):\n    return a - b\n")
    git(repo, "add", "app.py")
    return repo


def test_try_repo_commit_hook(staged: Path, hook_repo: tuple[Path, str], tmp_path: Path) -> None:
    path, sha = hook_repo
    args = ("try-repo", str(path), "relay-git-review", "--ref", sha)
    with serve(error_at("app.py", 2), reply()) as server:
        failed = pre_commit(staged, tmp_path / "h1", server.url, *args)
        assert failed.returncode == 1, failed.stdout + failed.stderr
        assert "app.py:2: error: subtracts instead of adding" in failed.stdout
        assert len(server.chats) == 1
        (staged / "app.py").write_text("def add(a, b):\n    return a + b\n")
        git(staged, "add", "app.py")
        passed = pre_commit(staged, tmp_path / "h2", server.url, *args)
        assert passed.returncode == 0, passed.stdout + passed.stderr
        assert "relay-git: approve — staged changes: 1 file(s) reviewed" in passed.stdout


def test_push_hook_and_cache(
    repo: Path, hook_repo: tuple[Path, str], pre_commit_home: Path, tmp_path: Path
) -> None:
    """Also: a relay_git/ package at the repository's top level is never what runs."""
    path, sha = hook_repo
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {path}\n  rev: {sha}\n  hooks:\n"
        "  - id: relay-git-review\n  - id: relay-git-review-push\n"
    )
    marker = tmp_path / "shadow-ran"
    (repo / "relay_git").mkdir()
    for name in ("__init__.py", "__main__.py", "cli.py"):
        (repo / "relay_git" / name).write_text(
            f"import pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\n"
        )
    git(repo, "add", ".pre-commit-config.yaml", "relay_git")
    git(repo, "commit", "-q", "-m", "config")
    base = git(repo, "rev-parse", "HEAD").strip()
    (repo / "app.py").write_text("def add(a, b):\n    return a - b\n")
    git(repo, "add", "app.py")
    git(repo, "commit", "-q", "-m", "bug")
    refs = ("--from-ref", base, "--to-ref", "HEAD")
    push = ("run", "--hook-stage", "pre-push", *refs)
    with serve(error_at("app.py", 2)) as server:
        failed = pre_commit(repo, pre_commit_home, server.url, *push)
        assert failed.returncode == 1, failed.stdout + failed.stderr
        assert "relay-git review (pushed commits)" in failed.stdout
        assert "app.py:2: error:" in failed.stdout and "push blocked" in failed.stdout
        again = pre_commit(repo, pre_commit_home, server.url, *push)
        assert again.returncode == 1
        assert len(server.chats) == 1  # the unchanged range came from the cache
    (repo / "app.py").write_text("def add(a, b):\n    return a + b\n")
    git(repo, "commit", "-q", "-am", "fix")
    with serve(reply()) as server:
        passed = pre_commit(repo, pre_commit_home, server.url, *push)
        assert passed.returncode == 0, passed.stdout + passed.stderr
        assert "relay-git: approve" in passed.stdout
    assert not marker.exists()
