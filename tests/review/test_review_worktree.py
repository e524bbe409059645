"""Reviewing work that is not staged: the hint, ``--unstaged``, ``--all``, intent-to-add
files, and one revision meaning ``git diff REV`` (real repositories, a scripted reviewer)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from tests.conftest import git
from tests.fakes import FakeBackend, review_reply
from tests.review.support import REVIEWER, run


@pytest.fixture
def work(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tracked file changed but not staged, a new untracked file, an ignored one."""
    monkeypatch.chdir(repo)
    (repo / ".gitignore").write_text("ignored.txt\n")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-q", "-m", "ignore")
    (repo / "README.md").write_text("hello\nWORKTREE_EDIT\n")
    (repo / "new.py").write_text("UNTRACKED_LINE = 1\n")
    (repo / "ignored.txt").write_text("IGNORED_LINE\n")
    return repo


def prompt(fake: FakeBackend) -> str:
    return "\n".join(call.messages[-1]["content"] for call in fake.history)


def index_digest(repo: Path) -> str:
    return hashlib.sha256((repo / ".git" / "index").read_bytes()).hexdigest()


def test_nothing_staged_names_unstaged_and_all(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeBackend(REVIEWER)
    code, _, err = run([], fake, capsys)
    assert code == 0 and fake.history == []
    assert "nothing to review (staged changes: no changes)" in err
    assert "--unstaged" in err and "--all" in err and "2 file(s) changed" in err


def test_clean_tree_has_no_hint(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo)
    code, _, err = run([], FakeBackend(REVIEWER), capsys)
    assert code == 0 and "--unstaged" not in err


def test_unstaged_reviews_the_tree_against_the_index(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (work / "staged.py").write_text("STAGED_LINE = 1\n")
    git(work, "add", "staged.py")
    fake = FakeBackend(REVIEWER).enqueue(review_reply())
    code, _, err = run(["--unstaged"], fake, capsys)
    assert code == 0, err
    text = prompt(fake)
    assert "WORKTREE_EDIT" in text
    assert "STAGED_LINE" not in text and "UNTRACKED_LINE" not in text


def test_intent_to_add_counts_as_git_shows_it(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`git add -N new.py`: `git diff` shows it as a new file, `git diff --cached` does not."""
    git(work, "add", "-N", "new.py")
    fake = FakeBackend(REVIEWER).enqueue(review_reply())
    assert run(["--unstaged"], fake, capsys)[0] == 0
    assert "UNTRACKED_LINE" in prompt(fake)
    code, _, err = run([], FakeBackend(REVIEWER), capsys)
    assert code == 0 and "--unstaged" in err  # nothing staged: the hint names the way


def test_all_includes_untracked_files_and_leaves_the_index_alone(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (work / "staged.py").write_text("STAGED_LINE = 1\n")
    git(work, "add", "staged.py")
    before, status = index_digest(work), git(work, "status", "--porcelain")
    fake = FakeBackend(REVIEWER).enqueue(review_reply())
    code, _, err = run(["--all"], fake, capsys)
    assert code == 0, err
    text = prompt(fake)
    for line in ("WORKTREE_EDIT", "UNTRACKED_LINE", "STAGED_LINE"):
        assert line in text
    assert "IGNORED_LINE" not in text
    assert index_digest(work) == before and git(work, "status", "--porcelain") == status


def test_all_before_the_first_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    git(tmp_path, "init", "-q")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "first.py").write_text("FIRST_LINE = 1\n")
    fake = FakeBackend(REVIEWER).enqueue(review_reply())
    assert run(["--all"], fake, capsys)[0] == 0
    assert "FIRST_LINE" in prompt(fake)
    assert git(tmp_path, "status", "--porcelain") == "?? first.py\n"


def test_one_revision_is_the_working_tree_against_it(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`relay-git review HEAD` = `git diff HEAD` (it was HEAD..HEAD: nothing)."""
    fake = FakeBackend(REVIEWER).enqueue(review_reply())
    code, _, err = run(["HEAD"], fake, capsys)
    assert code == 0, err
    assert "WORKTREE_EDIT" in prompt(fake)
    assert "UNTRACKED_LINE" not in prompt(fake)  # as git diff HEAD: tracked files only
    git(work, "commit", "-q", "-am", "two")
    fake = FakeBackend(REVIEWER).enqueue(review_reply())
    assert run(["HEAD~1..HEAD", "--no-cache"], fake, capsys)[0] == 0
    assert "WORKTREE_EDIT" in prompt(fake)


@pytest.mark.parametrize(
    "args", [["--unstaged", "--all"], ["--all", "HEAD"], ["--staged", "--unstaged"]]
)
def test_working_tree_targets_conflict_with_others(
    work: Path, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(args, FakeBackend(REVIEWER), capsys)
    assert code == 2 and "conflicting targets" in err


def test_help_explains_range(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--help"], FakeBackend(REVIEWER), capsys)
    assert code == 0
    flat = " ".join(out.split())
    for text in ("A..B", "A...B", "`git diff A`", "--unstaged", "--all"):
        assert text in flat


def test_two_ranges_are_a_usage_error(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["HEAD", "main"], FakeBackend(REVIEWER), capsys)
    assert code == 2 and "more than one RANGE" in err and err.count("\n") == 1


def test_files_names_untracked_files_whole(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`pre-commit run --files new.py`: the named file whole, though it is not staged."""
    fake = FakeBackend(REVIEWER).enqueue(review_reply())
    code, out, err = run(["--hook", "--files", "new.py"], fake, capsys)
    assert code == 0, err
    assert "UNTRACKED_LINE" in prompt(fake) and "WORKTREE_EDIT" not in prompt(fake)
    assert "1 named file(s), whole" in out
    assert git(work, "status", "--porcelain", "new.py") == "?? new.py\n"
