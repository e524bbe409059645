"""``relay-git review --fix`` on real repositories with a scripted reviewer (issue 19): the
suggestions go into the working tree only, as ``ruff --fix`` does; the index is never
written; a suggestion whose lines no longer hold what was reviewed is skipped, not applied
at shifted lines; what changed and what was skipped (and why) is said."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import git
from tests.fakes import FakeBackend, review_reply
from tests.review.support import REVIEWER, run

from relay_git.review.fix import fix_working_tree
from relay_git.types import Category, Coverage, Finding, Review, Severity, Verdict

APP = "def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return a + b\n"


def finding(
    line: int, suggestion: str, end: int | None = None, path: str = "app.py"
) -> dict[str, Any]:
    return {
        "path": path,
        "line": line,
        "end_line": end or line,
        "severity": "error",
        "category": "bug",
        "message": f"wrong operator on line {line}",
        "suggestion": suggestion,
    }


def reviewer(*findings: dict[str, Any]) -> FakeBackend:
    return FakeBackend(REVIEWER).enqueue(review_reply("fix", "operators", list(findings)))


@pytest.fixture
def staged(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(repo)
    (repo / "app.py").write_text(APP)
    git(repo, "add", "app.py")
    return repo


def index_state(repo: Path) -> tuple[str, str, bytes]:
    return (
        git(repo, "ls-files", "--stage"),
        git(repo, "diff", "--cached"),
        (repo / ".git" / "index").read_bytes(),
    )


def test_fix_writes_the_working_tree_only_and_says_what(
    staged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = index_state(staged)
    fake = reviewer(finding(2, "    return a + b"), finding(6, "    return a - b"))
    code, _, err = run(["--fix"], fake, capsys)
    assert (staged / "app.py").read_text() == APP.replace("a - b", "X").replace(
        "a + b", "a - b"
    ).replace("X", "a + b")
    assert index_state(staged) == before  # nothing staged, the index file untouched
    assert "fixed app.py:2 (wrong operator on line 2)" in err
    assert "fixed app.py:6" in err
    assert "applied 2 of 2 suggestions to the working tree, nothing staged" in err
    assert code == 0  # as ruff --fix: what was fixed no longer counts


def test_a_working_tree_that_differs_at_the_lines_is_stale_not_patched(
    staged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Reviewing the staged change while the working tree differs there: refused."""
    mine = APP.replace("    return a - b", "    return b - a  # my unstaged edit")
    (staged / "app.py").write_text(mine)
    before = index_state(staged)
    code, _, err = run(["--fix"], reviewer(finding(2, "    return a + b")), capsys)
    assert (staged / "app.py").read_text() == mine
    assert index_state(staged) == before
    assert "not fixed app.py:2: stale: line 2 is not what was reviewed" in err
    assert "applied 0 of 1 suggestions" in err
    assert code == 1  # the error finding still stands


def test_lines_moved_by_an_unstaged_edit_above_are_stale(
    staged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = "import os\n" + APP
    (staged / "app.py").write_text(mine)
    code, _, err = run(["--fix"], reviewer(finding(6, "    return a - b")), capsys)
    assert (staged / "app.py").read_text() == mine and "stale" in err and code == 1


def test_an_unstaged_edit_outside_the_hunk_is_kept(
    staged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git(staged, "commit", "-q", "-m", "app")
    long = "".join(f"x{i} = {i}\n" for i in range(20))
    (staged / "app.py").write_text(APP + long)
    git(staged, "add", "app.py")
    (staged / "app.py").write_text(APP.replace("a - b", "a * b") + long + "mine = 1\n")
    code, _, err = run(["HEAD", "--fix"], reviewer(), capsys)  # nothing to fix: no findings
    assert "no finding carries a suggestion" in err or "nothing to review" in err
    (staged / "app.py").write_text(APP + long + "mine = 1\n")
    fake = reviewer(finding(22, "x20 = 'twenty'"))
    code, _, err = run(["--staged", "--fix"], fake, capsys)
    text = (staged / "app.py").read_text()
    assert "x20 = 'twenty'\n" in text and text.endswith("mine = 1\n"), err
    assert "fixed app.py:22" in err and code == 0


def test_overlapping_suggestions_apply_the_first_and_name_the_other(
    staged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = reviewer(
        finding(1, "def add(x, y):\n    return x + y", end=2), finding(2, "    return 0")
    )
    code, _, err = run(["--fix"], fake, capsys)
    assert (staged / "app.py").read_text().startswith("def add(x, y):\n    return x + y\n\n")
    assert "not fixed app.py:2: overlaps another suggestion" in err
    assert code == 1


def test_a_binary_working_tree_file_is_skipped(
    staged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (staged / "app.py").write_bytes(b"\x00\x01binary now\n")
    _, _, err = run(["--fix"], reviewer(finding(2, "    return a + b")), capsys)
    assert "not fixed app.py:2: binary file" in err
    assert (staged / "app.py").read_bytes() == b"\x00\x01binary now\n"


def test_json_stays_json_and_lists_what_remains(
    staged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = APP.replace("    return a + b", "    return a + b  # mine")
    (staged / "app.py").write_text(mine)
    fake = reviewer(finding(2, "    return a + b"), finding(6, "    return a - b"))
    code, out, err = run(["--fix", "--format", "json"], fake, capsys)
    data = json.loads(out)
    assert [f["line"] for f in data["findings"]] == [6]  # line 2 fixed; line 6 stale
    assert "fixed app.py:2" in err and "not fixed app.py:6: stale" in err
    assert code == 1


def test_outside_a_repository_fix_is_refused_before_any_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    patch = tmp_path / "p.diff"
    patch.write_text("--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n")
    fake = FakeBackend(REVIEWER)
    code, _, err = run(["--fix", "--diff-file", str(patch)], fake, capsys)
    assert code == 2 and "not inside a git repository" in err and fake.history == []


def made(path: str, line: int, suggestion: str) -> Review:
    f = Finding(path, line, line, Severity.ERROR, Category.BUG, "m", suggestion=suggestion)
    return Review(Verdict.FIX, "", (f,), Coverage())


def test_a_path_outside_the_repository_is_skipped(repo: Path, tmp_path: Path) -> None:
    """A crafted diff (a piped patch is untrusted) naming ../outside.py: never written."""
    outside = tmp_path / "outside.py"
    outside.write_text("a\n")
    patch = "--- a/../outside.py\n+++ b/../outside.py\n@@ -1 +1 @@\n-b\n+a\n"
    done = fix_working_tree(repo, patch, made("../outside.py", 1, "pwned"))
    assert done.applied == () and outside.read_text() == "a\n"
    assert "'..' leaves the worktree" in done.unapplied[0][1]


def test_a_protected_path_is_skipped(repo: Path) -> None:
    (repo / ".gitignore").write_text("a\n")
    patch = "--- a/.gitignore\n+++ b/.gitignore\n@@ -0,0 +1 @@\n+a\n"
    done = fix_working_tree(repo, patch, made(".gitignore", 1, "*"))
    assert done.applied == () and "protected" in done.unapplied[0][1]
    assert (repo / ".gitignore").read_text() == "a\n"


def test_crlf_files_match_and_keep_their_line_ends(repo: Path) -> None:
    (repo / "w.py").write_bytes(b"a = 1\r\nb = 2\r\n")
    patch = "--- a/w.py\n+++ b/w.py\n@@ -1,2 +1,2 @@\n a = 1\r\n-b = 3\r\n+b = 2\r\n"
    done = fix_working_tree(repo, patch, made("w.py", 2, "b = 4"))
    assert done.unapplied == ()
    assert (repo / "w.py").read_bytes() == b"a = 1\r\nb = 4\r\n"


def test_a_second_fix_of_the_same_review_says_already_fixed(
    staged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The staged diff is unchanged, so the review is the cached one; its suggestion is
    already in the working tree: said as such, not as stale, and it no longer counts."""
    fake = reviewer(finding(2, "    return a + b"))
    assert run(["--fix"], fake, capsys)[0] == 0
    fixed = (staged / "app.py").read_text()
    code, _, err = run(["--fix"], FakeBackend(REVIEWER), capsys)  # no model call: cached
    assert "already fixed app.py:2" in err and "stale" not in err
    assert (staged / "app.py").read_text() == fixed and code == 0
