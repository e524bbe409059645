"""Push ranges, skipping and the time budget (hookrun.py) on real repositories."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tests.conftest import git

from relay_git.errors import UsageError
from relay_git.git.repo import EMPTY_TREE, Repository
from relay_git.hookrun import (
    ZERO_SHA,
    BudgetExceeded,
    RefUpdate,
    parse_push_lines,
    push_ranges,
    run_within,
    skip_requested,
)


@pytest.mark.parametrize(
    ("env", "hook", "skipped"),
    [
        ({}, "relay-git-review", False),
        ({"RELAY_GIT_SKIP": "1"}, "relay-git-review", True),
        ({"RELAY_GIT_SKIP": "0"}, "relay-git-review", False),
        ({"SKIP": "relay-git-review"}, "relay-git-review", True),
        ({"SKIP": "flake8 , relay-git-review-push"}, "relay-git-review-push", True),
        ({"SKIP": "relay-git-review-push"}, "relay-git-review", False),
    ],
)
def test_skip_requested(env: dict[str, str], hook: str, skipped: bool) -> None:
    assert (skip_requested(env, hook) is not None) is skipped


def test_parse_push_lines() -> None:
    text = f"refs/heads/a b{'1' * 39} refs/heads/a {ZERO_SHA}\n\n"
    assert parse_push_lines(text) == [
        RefUpdate("refs/heads/a", "b" + "1" * 39, "refs/heads/a", ZERO_SHA)
    ]
    with pytest.raises(UsageError):
        parse_push_lines("refs/heads/a abc\n")


def commit(root: Path, name: str) -> str:
    (root / name).write_text(name + "\n")
    git(root, "add", name)
    git(root, "commit", "-q", "-m", name)
    return git(root, "rev-parse", "HEAD").strip()


@pytest.fixture
def pushed(repo: Path, tmp_path: Path) -> Path:
    """``repo`` with an origin that has main; two more local commits on main."""
    git(tmp_path, "init", "-q", "--bare", "origin.git")
    git(repo, "remote", "add", "origin", str(tmp_path / "origin.git"))
    git(repo, "push", "-q", "-u", "origin", "main")
    commit(repo, "a.txt")
    commit(repo, "b.txt")
    return repo


def files(repo: Repository, ranges: list[object]) -> list[str]:
    [r] = ranges
    return repo.git("diff", "--name-only", r.base, r.head).split()  # type: ignore[attr-defined]


def test_pre_commit_refs_win(pushed: Path) -> None:
    repo = Repository.discover(pushed)
    head = git(pushed, "rev-parse", "HEAD").strip()
    env = {"PRE_COMMIT_FROM_REF": "HEAD~1", "PRE_COMMIT_TO_REF": head}
    assert files(repo, push_ranges(repo, env, "garbage that is never read")) == ["b.txt"]


def test_upstream_merge_base_when_unset(pushed: Path) -> None:
    repo = Repository.discover(pushed)
    assert files(repo, push_ranges(repo, {})) == ["a.txt", "b.txt"]


def test_new_branch_reviews_commits_no_remote_has(pushed: Path) -> None:
    git(pushed, "checkout", "-q", "-b", "feature")
    commit(pushed, "c.txt")
    repo = Repository.discover(pushed)
    assert files(repo, push_ranges(repo, {})) == ["a.txt", "b.txt", "c.txt"]
    head = git(pushed, "rev-parse", "HEAD").strip()
    line = f"refs/heads/feature {head} refs/heads/feature {ZERO_SHA}\n"
    assert files(repo, push_ranges(repo, {}, line)) == ["a.txt", "b.txt", "c.txt"]


def test_stdin_lines_update_and_delete(pushed: Path) -> None:
    repo = Repository.discover(pushed)
    old = git(pushed, "rev-parse", "origin/main").strip()
    head = git(pushed, "rev-parse", "HEAD").strip()
    lines = (
        f"refs/heads/main {head} refs/heads/main {old}\n(delete) {ZERO_SHA} refs/heads/x {old}\n"
    )
    assert files(repo, push_ranges(repo, {}, lines)) == ["a.txt", "b.txt"]


@pytest.mark.parametrize("remote_sha", ["f" * 40, "blob"])
def test_update_over_a_remote_sha_we_do_not_have_as_a_commit(pushed: Path, remote_sha: str) -> None:
    """The remote's old sha is unknown here (or names a blob): the commits no remote has."""
    if remote_sha == "blob":
        remote_sha = git(pushed, "rev-parse", "HEAD:a.txt").strip()
    repo = Repository.discover(pushed)
    head = git(pushed, "rev-parse", "HEAD").strip()
    line = f"refs/heads/main {head} refs/heads/main {remote_sha}\n"
    assert files(repo, push_ranges(repo, {}, line)) == ["a.txt", "b.txt"]


def test_root_commit_of_a_new_repository(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    commit(tmp_path, "first.txt")
    repo = Repository.discover(tmp_path)
    [r] = push_ranges(repo, {})
    assert r.base == EMPTY_TREE
    assert push_ranges(Repository.discover(tmp_path), {}, "") == []


def test_run_within() -> None:
    assert run_within(lambda: 7, None) == 7
    assert run_within(lambda: 8, 5.0) == 8
    with pytest.raises(ZeroDivisionError):
        run_within(lambda: 1 // 0, 5.0)
    start = time.monotonic()
    with pytest.raises(BudgetExceeded, match="within its 60 s budget"):
        run_within(lambda: time.sleep(3), 0.2, 60)
    assert time.monotonic() - start < 1
