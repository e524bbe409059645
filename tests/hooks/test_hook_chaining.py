"""`relay-git hooks install --force` chains the user's own hooks (pre-commit's migration mode).

Real `git commit` / `git push` as subprocesses; the reviewer is bench/standin.py, a
local stand-in for the Ollama server on 127.0.0.1 speaking its native /api/show + /api/chat.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench.standin import SPEC, error_at, reply, serve
from tests.conftest import git

from relay_git.hooks.install import BACKUP_SUFFIX, MARKER

SRC = str(Path(__file__).resolve().parents[2] / "src")
OLD_COMMIT = '#!/bin/sh\necho "old pre-commit ran" >>"$OLD_LOG"\nexit "${OLD_EXIT:-0}"\n'
OLD_PUSH = (
    "#!/bin/sh\n"
    'echo "old pre-push args: $*" >>"$OLD_LOG"\n'
    'cat >>"$OLD_LOG"\n'
    'exit "${OLD_EXIT:-0}"\n'
)


def run(root: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=root, env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture
def chained(repo: Path, tmp_path: Path) -> Iterator[tuple[Path, dict[str, str], Path]]:
    """Foreign pre-commit and pre-push hooks, then relay-git's installed over them with --force."""
    hooks = repo / ".git" / "hooks"
    for name, text in (("pre-commit", OLD_COMMIT), ("pre-push", OLD_PUSH)):
        (hooks / name).write_text(text)
        (hooks / name).chmod(0o755)
    env = dict(os.environ, PYTHONPATH=SRC, RELAY_GIT_REVIEWER=SPEC)
    args = (sys.executable, "-m", "relay_git", "hooks", "install", "--pre-push", "--force")
    done = run(repo, *args, env=env)
    assert done.returncode == 0, done.stderr
    assert "runs first" in done.stdout
    assert MARKER in (hooks / "pre-commit").read_text()
    (repo / "app.py").write_text("def add(a, b):\n    return a - b\n")
    git(repo, "add", "app.py")
    env.pop("PYTHONPATH")
    log = tmp_path / "old.log"
    env["OLD_LOG"] = str(log)
    yield repo, env, log


def test_old_hook_failure_stops_the_commit_before_any_review(
    chained: tuple[Path, dict[str, str], Path],
) -> None:
    repo, env, log = chained
    with serve(reply()) as server:
        env["OLLAMA_HOST"] = server.url
        done = run(repo, "git", "commit", "-m", "x", env={**env, "OLD_EXIT": "7"})
        assert done.returncode != 0
        assert server.chats == []
    assert log.read_text() == "old pre-commit ran\n"
    assert git(repo, "rev-list", "--count", "HEAD").strip() == "1"


@pytest.mark.slow
def test_old_hook_passes_then_the_review_runs(chained: tuple[Path, dict[str, str], Path]) -> None:
    repo, env, log = chained
    with serve(error_at("app.py", 2)) as server:
        env["OLLAMA_HOST"] = server.url
        done = run(repo, "git", "commit", "-m", "x", env=env)
        assert done.returncode == 1
        assert "app.py:2: error:" in done.stderr
        assert len(server.chats) == 1
    assert log.read_text() == "old pre-commit ran\n"


@pytest.mark.slow
def test_pre_push_chain_gives_both_hooks_the_ref_lines(
    chained: tuple[Path, dict[str, str], Path], tmp_path: Path
) -> None:
    repo, env, log = chained
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    skip = {**env, "RELAY_GIT_SKIP": "1"}  # skips the review, never the user's own hook
    assert run(repo, "git", "commit", "-q", "-m", "bug", env=skip).returncode == 0
    assert log.read_text() == "old pre-commit ran\n"
    log.write_text("")
    head = git(repo, "rev-parse", "HEAD").strip()
    with serve(error_at("app.py", 2)) as server:
        env["OLLAMA_HOST"] = server.url
        pushed = run(repo, "git", "push", "origin", "main", env=env)
        assert pushed.returncode != 0
        assert "push blocked" in pushed.stdout + pushed.stderr
        [chat] = server.chats
    assert "app.py" in chat["messages"][-1]["content"]  # the review read the ref lines too
    old = log.read_text()
    assert old.startswith(f"old pre-push args: origin {remote}\n")
    assert f"refs/heads/main {head} refs/heads/main " in old  # and so did the old hook


@pytest.mark.slow
def test_uninstall_restores_both_old_hooks(chained: tuple[Path, dict[str, str], Path]) -> None:
    repo, env, _ = chained
    args = (sys.executable, "-m", "relay_git", "hooks", "uninstall")
    done = run(repo, *args, env={**env, "PYTHONPATH": SRC})
    assert done.returncode == 0, done.stderr
    hooks = repo / ".git" / "hooks"
    assert (hooks / "pre-commit").read_text() == OLD_COMMIT
    assert (hooks / "pre-push").read_text() == OLD_PUSH
    assert not list(hooks.glob(f"*{BACKUP_SUFFIX}"))
