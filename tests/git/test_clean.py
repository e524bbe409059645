"""``relay-git clean`` keeps what holds work, as ``git branch -d`` and ``git worktree remove``
do: unmerged relay branches and worktrees with uncommitted changes stay unless ``--force``,
each named with the reason. Real repositories throughout (issue 19)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.conftest import git

from relay_git.cli import main
from relay_git.git import runstate


def clean(repo: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    old = Path.cwd()
    os.chdir(repo)
    try:
        assert main(["clean", *args]) == 0
    finally:
        os.chdir(old)
    return capsys.readouterr().out


def branches(repo: Path) -> list[str]:
    return git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/relay/").split()


def commit_on(repo: Path, branch: str, name: str) -> None:
    git(repo, "switch", "-q", "-c", branch)
    (repo / name).write_text(f"{name}\n")
    git(repo, "add", name)
    git(repo, "commit", "-q", "-m", f"add {name}")
    git(repo, "switch", "-q", "main")


def test_merged_branch_deleted_unmerged_kept_and_named_force_deletes(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit_on(repo, "relay/merged", "a.py")
    git(repo, "merge", "-q", "--ff-only", "relay/merged")
    commit_on(repo, "relay/unmerged", "b.py")
    git(repo, "branch", "feature")

    out = clean(repo, capsys, "--branches")
    assert "deleted branch relay/merged" in out
    assert "kept branch relay/unmerged: not merged into main (1 commit); --force" in out
    assert branches(repo) == ["relay/unmerged"]

    out = clean(repo, capsys, "--branches", "--force")
    assert "deleted branch relay/unmerged" in out
    assert branches(repo) == []
    assert git(repo, "branch", "--list", "feature").strip() == "feature"


def test_merged_into_the_main_checkouts_head_counts(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The main checkout on another branch that holds the relay branch: merged there."""
    commit_on(repo, "relay/x", "a.py")
    git(repo, "switch", "-q", "-c", "integration")
    git(repo, "merge", "-q", "--ff-only", "relay/x")
    assert "deleted branch relay/x" in clean(repo, capsys, "--branches")
    assert branches(repo) == []


def test_dry_run_says_what_and_changes_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit_on(repo, "relay/unmerged", "b.py")
    out = clean(repo, capsys, "--branches", "--force", "--dry-run")
    assert "would delete branch relay/unmerged" in out
    assert branches(repo) == ["relay/unmerged"]


def test_a_worktree_with_uncommitted_changes_stays_without_force(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wt = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", "relay/wip", str(wt))
    (wt / "mine.py").write_text("my work\n")
    (wt / "README.md").write_text("edited\n")

    out = clean(repo, capsys, "--branches")
    assert f"kept worktree {wt}: uncommitted changes (" in out
    assert "mine.py" in out and "README.md" in out and "--force removes them" in out
    assert f"kept branch relay/wip: its worktree {wt} is kept" in out
    assert (wt / "mine.py").read_text() == "my work\n"
    assert branches(repo) == ["relay/wip"]

    out = clean(repo, capsys, "--branches", "--force")
    assert f"removed abandoned worktree {wt}" in out and "deleted branch relay/wip" in out
    assert not wt.exists() and branches(repo) == []


def test_what_the_run_left_before_its_last_save_is_not_the_users_work(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A finished run's test caches predate its saved state; an edit after it does not."""
    wt = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", "relay/done", str(wt))
    (wt / "__pycache__").mkdir()
    (wt / "__pycache__" / "m.pyc").write_bytes(b"\0")
    past = os.stat(wt / "README.md").st_mtime - 60
    os.utime(wt / "__pycache__" / "m.pyc", (past, past))
    runstate.write_state(wt, {"finished": True})
    assert "removed finished worktree" in clean(repo, capsys)

    git(repo, "worktree", "add", "-q", str(wt), "relay/done")
    runstate.write_state(wt, {"finished": True})
    state = Path(git(wt, "rev-parse", "--absolute-git-dir").strip()) / "relay-state.json"
    os.utime(state, (past, past))
    (wt / "later.py").write_text("written after the run\n")
    assert "kept worktree" in clean(repo, capsys)
    assert (wt / "later.py").exists()


def test_a_relay_branch_checked_out_in_the_main_checkout_is_left_alone(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit_on(repo, "relay/here", "a.py")
    git(repo, "switch", "-q", "relay/here")
    out = clean(repo, capsys, "--branches", "--force")
    assert f"kept branch relay/here: checked out in your main checkout {repo}" in out
    assert "worktree" not in out.replace("main checkout", "")
    assert branches(repo) == ["relay/here"] and (repo / "a.py").exists()
