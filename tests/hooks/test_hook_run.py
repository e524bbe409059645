"""Push ranges, skipping and the time budget (hooks/run.py) on real repositories."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tests.conftest import git

from relay_git.errors import UsageError
from relay_git.git.repo import EMPTY_TREE, Repository
from relay_git.hooks import COMMIT_HOOK_ID, PUSH_HOOK_ID
from relay_git.hooks.run import (
    HOOK_TIMEOUT,
    ZERO_SHA,
    Budget,
    RefUpdate,
    fails_open,
    hook_skip,
    parse_push_lines,
    push_ranges,
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


@pytest.mark.parametrize(
    ("env", "push", "skipped"),
    [
        ({"SKIP": COMMIT_HOOK_ID}, False, True),
        ({"SKIP": COMMIT_HOOK_ID}, True, False),
        ({"SKIP": f"x,{PUSH_HOOK_ID}"}, True, True),
        ({"SKIP": PUSH_HOOK_ID}, False, False),
    ],
)
def test_hook_skip_names_the_hook_of_the_run(
    env: dict[str, str], push: bool, skipped: bool
) -> None:
    assert (hook_skip(env, push) is not None) == skipped


def test_budget_defaults_and_deadline() -> None:
    assert Budget.start(None, hook=False) == Budget(None, None)
    assert Budget(None, None).left() is None and Budget(None, None).run(lambda: 3) == 3
    hook = Budget.start(None, hook=True)
    assert hook.total == HOOK_TIMEOUT == 60.0
    left = hook.left()
    assert left is not None and HOOK_TIMEOUT - 1 < left <= HOOK_TIMEOUT
    given = Budget.start(2.5, hook=True)
    assert given.total == 2.5 and given.deadline is not None
    spent = Budget(5.0, time.monotonic() - 1)
    assert spent.left() == 0.001  # past the deadline: the next diff gets no time at all


@pytest.mark.parametrize(
    ("hook", "strict", "opens"), [(True, False, True), (True, True, False), (False, False, False)]
)
def test_only_a_hook_without_strict_fails_open(hook: bool, strict: bool, opens: bool) -> None:
    assert fails_open(hook, strict) == opens
