"""Branch naming, slugs, relay branches and the run lock on real repositories."""

from __future__ import annotations

from pathlib import Path

import pytest

from relay_git.errors import UsageError
from relay_git.git import runstate, worktree
from relay_git.git.repo import Repository


@pytest.mark.parametrize(
    ("task", "slug"),
    [
        ("add a slugify() helper with tests", "add-a-slugify-helper-with-tests"),
        ("Ünïcode  Café!!", "unicode-cafe"),
        ("!!!", "task"),
        ("word " * 30, "word-word-word-word-word-word-word-word"),
    ],
)
def test_slugify(task: str, slug: str) -> None:
    assert worktree.slugify(task) == slug


def test_lock_refuses_a_second_live_run(repo: Path) -> None:
    r = Repository.discover(repo)
    wt = worktree.create(r, "relay/x", r.resolve("HEAD"), None)
    with runstate.locked(wt.path):
        lock = wt.git_dir / runstate.LOCK_FILE
        lock.write_text("1")  # pid 1 is alive and is not us
        with pytest.raises(UsageError, match="another relay-git run"), runstate.locked(wt.path):
            pass
    assert not lock.exists()


def test_delete_branch_refuses_non_relay_branches(repo: Path) -> None:
    with pytest.raises(UsageError, match="not a relay branch"):
        worktree.delete_branch(Repository.discover(repo), "main")
