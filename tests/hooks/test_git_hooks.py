"""Real `git commit` / `git push` with hooks from `relay-git hooks install`, as subprocesses.

The reviewer is bench/standin.py: a local stand-in for the Ollama server on
127.0.0.1 (the real server cannot run here) speaking its native /api/show + /api/chat.
The hook finds relay-git through the interpreter that installed it (here with
PYTHONPATH=src, which `hooks install` records because relay_git is not pip-installed).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench.standin import SPEC, closed_port, error_at, reply, serve
from tests.conftest import git

SRC = str(Path(__file__).resolve().parents[2] / "src")


def run(
    root: Path, *args: str, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), cwd=root, env=env, input=stdin, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def hooked(repo: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """The `repo` fixture with relay-git's hooks installed and a change staged."""
    env = dict(os.environ, PYTHONPATH=SRC, RELAY_GIT_REVIEWER=SPEC)
    done = run(repo, sys.executable, "-m", "relay_git", "hooks", "install", "--pre-push", env=env)
    assert done.returncode == 0, done.stderr
    (repo / "app.py").write_text("def add(a, b):\n    return a - b\n")
    git(repo, "add", "app.py")
    env.pop("PYTHONPATH")  # the hook must find relay-git on its own
    yield repo, env


def test_commit_blocked_then_allowed_and_cache_hit(hooked: tuple[Path, dict[str, str]]) -> None:
    repo, env = hooked
    with serve(error_at("app.py", 2)) as server:
        env["OLLAMA_HOST"] = server.url
        blocked = run(repo, "git", "commit", "-m", "add", env=env)
        assert blocked.returncode == 1
        assert "app.py:2: error: subtracts instead of adding" in blocked.stderr
        again = run(repo, "git", "commit", "-m", "add", env=env)
        assert again.returncode == 1
        assert len(server.chats) == 1  # the unchanged staged diff came from the cache
        assert "from cache" not in again.stderr  # (blocked output lists findings instead)
    (repo / "app.py").write_text("def add(a, b):\n    return a + b\n")
    git(repo, "add", "app.py")
    with serve(reply()) as server:
        env["OLLAMA_HOST"] = server.url
        allowed = run(repo, "git", "commit", "-m", "add", env=env)
        assert allowed.returncode == 0, allowed.stderr
        assert "relay-git: approve — staged changes: 1 file(s) reviewed" in allowed.stderr
        assert len(server.chats) == 1
    assert git(repo, "log", "--format=%s", "-1").strip() == "add"


def test_unknown_model_blocks_with_the_fix(hooked: tuple[Path, dict[str, str]]) -> None:
    """A mistyped or unpulled model (Ollama answers 404 "model not found") is a
    configuration mistake: the commit is blocked with `ollama pull …`, not waved through
    as if the server were down."""
    repo, env = hooked
    with serve(reply()) as server:
        env.update(OLLAMA_HOST=server.url, RELAY_GIT_REVIEWER="ollama:llama3.3:70b")
        done = run(repo, "git", "commit", "-m", "typo", env=env)
    assert done.returncode != 0, done.stderr
    lines = [ln for ln in done.stderr.splitlines() if ln.startswith("relay-git: error:")]
    assert len(lines) == 1 and "`ollama pull llama3.3:70b`" in lines[0], done.stderr
    assert "not blocking" not in done.stderr
    assert git(repo, "log", "--format=%s", "-1").strip() == "initial"


@pytest.mark.parametrize("strict", [False, True])
def test_server_down_fails_open_unless_strict(
    hooked: tuple[Path, dict[str, str]], strict: bool
) -> None:
    repo, env = hooked
    env["OLLAMA_HOST"] = f"http://127.0.0.1:{closed_port()}"
    if strict:
        env["RELAY_GIT_HOOK_ARGS"] = "--strict"
    done = run(repo, "git", "commit", "-m", "offline", env=env)
    assert done.returncode == (1 if strict else 0), done.stderr
    assert "cannot reach Ollama" in done.stderr
    assert ("relay-git: warning: review not done" in done.stderr) is not strict
    assert ("not blocking" in done.stderr) is not strict


def test_time_budget_ends_the_process(hooked: tuple[Path, dict[str, str]]) -> None:
    repo, env = hooked
    with serve(reply()) as server:
        server.delay = 8.0
        env["OLLAMA_HOST"] = server.url
        env["RELAY_GIT_HOOK_ARGS"] = "--timeout 1"
        start = time.monotonic()
        done = run(repo, "git", "commit", "-m", "slow", env=env)
        took = time.monotonic() - start
    assert done.returncode == 0, done.stderr
    assert "did not finish within its 1 s budget" in done.stderr
    assert took < 5  # the hook left at its budget, not when the model answered


def test_skip_env_skips_without_python(hooked: tuple[Path, dict[str, str]]) -> None:
    repo, env = hooked
    env["RELAY_GIT_SKIP"] = "1"
    env["OLLAMA_HOST"] = f"http://127.0.0.1:{closed_port()}"
    env["RELAY_GIT_HOOK_ARGS"] = "--strict"
    assert run(repo, "git", "commit", "-m", "skip", env=env).returncode == 0


def test_push_hook_reviews_pushed_commits(
    hooked: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    repo, env = hooked
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    env["RELAY_GIT_SKIP"] = "1"
    assert run(repo, "git", "push", "-q", "origin", "main", env=env).returncode == 0
    assert run(repo, "git", "commit", "-q", "-m", "bug", env=env).returncode == 0
    del env["RELAY_GIT_SKIP"]
    with serve(error_at("app.py", 2)) as server:
        env["OLLAMA_HOST"] = server.url
        pushed = run(repo, "git", "push", "origin", "main", env=env)
        assert pushed.returncode != 0
        said = pushed.stdout + pushed.stderr  # git gives a pre-push hook the terminal's stdout
        assert "app.py:2: error:" in said and "push blocked" in said
        [chat] = server.chats
    prompt = chat["messages"][-1]["content"]
    assert "app.py" in prompt and "README.md" not in prompt  # only what the push sends


SHADOW = (
    "import pathlib\n"
    "pathlib.Path({marker!r}).write_text('the repository ran its own relay_git')\n"
    "raise SystemExit(0)\n"
)


@pytest.mark.parametrize("recorded_path", [True, False], ids=["path-recorded", "installed"])
def test_repository_relay_git_package_never_runs(
    hooked: tuple[Path, dict[str, str]], tmp_path: Path, recorded_path: bool
) -> None:
    """A top-level relay_git/ package in the repository (and on PYTHONPATH) is not the tool.

    Before `python -I`, `python -m relay_git` from the repository root imported this
    package and exited 0: the review never ran and the commit went through unreviewed.
    """
    repo, env = hooked
    marker = tmp_path / "shadow-ran"
    (repo / "relay_git").mkdir()
    for name in ("__init__.py", "__main__.py", "cli.py"):
        (repo / "relay_git" / name).write_text(SHADOW.format(marker=str(marker)))
    hook = repo / ".git" / "hooks" / "pre-commit"
    if not recorded_path:  # the interpreter imports relay-git itself: the `-I -m` line runs
        text = hook.read_text()
        hook.write_text(re.sub(r"relay_git_path='[^']*'", "relay_git_path=''", text))
    env["PYTHONPATH"] = str(repo)  # even this is ignored in isolated mode
    with serve(error_at("app.py", 2)) as server:
        env["OLLAMA_HOST"] = server.url
        blocked = run(repo, "git", "commit", "-m", "add", env=env)
        assert len(server.chats) == 1  # the real tool reviewed the staged diff
    assert not marker.exists()
    assert blocked.returncode == 1, blocked.stderr
    assert "app.py:2: error: subtracts instead of adding" in blocked.stderr
