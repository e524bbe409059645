"""--filter-mode: reviewdog's added / diff_context / file / nofilter, over literal diffs."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import git
from tests.fakes import FakeBackend, factory, review_reply

from relay_git.cli import main
from relay_git.github.payloads import plan
from relay_git.review.diff import parse
from relay_git.review.filtermode import FilterMode, counts
from relay_git.review.findings import Proposed, anchor
from relay_git.types import Category, Severity

# new side: hunk 1 shows 1-4 (2 and 4 added), hunk 2 shows 21-23 (22 added)
DIFF = (
    "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n"
    "@@ -1,3 +1,4 @@\n import os\n+import sys\n def f():\n-    return 1\n+    return 2\n"
    "@@ -20,2 +21,3 @@\n x = 1\n+y = 2\n z = 3\n"
)
FILES = {fd.path: fd for fd in parse(DIFF)}
A, C, F, N = "added", "diff_context", "file", "nofilter"


@pytest.mark.parametrize(
    ("path", "line", "end", "counted_in"),
    [
        ("app.py", 2, 2, {A, C, F, N}),  # an added line
        ("app.py", 1, 1, {C, F, N}),  # a context line
        ("app.py", 1, 3, {A, C, F, N}),  # a range holding an added line
        ("app.py", 3, 3, {C, F, N}),
        ("app.py", 10, 10, {F, N}),  # the changed file, outside every hunk
        ("app.py", 19, 21, {C, F, N}),  # overlaps hunk 2's context only
        ("other.py", 1, 1, {N}),  # a file outside the diff
    ],
)
def test_modes_as_reviewdog_decides(path: str, line: int, end: int, counted_in: set[str]) -> None:
    for mode in FilterMode:
        assert counts(FILES.get(path), line, end, mode) is (mode.value in counted_in), mode


def proposed(path: str, line: int) -> Proposed:
    return Proposed(path, line, None, Severity.ERROR, Category.BUG, f"at {path}:{line}")


def test_findings_outside_the_filter_become_notes_and_stay_visible() -> None:
    everything = [proposed("app.py", 2), proposed("app.py", 1), proposed("other.py", 5)]
    found, notes = anchor(everything, FILES)  # the default: added
    assert [(f.path, f.line) for f in found] == [("app.py", 2)]
    assert notes == ["app.py:1: error: at app.py:1", "other.py:5: error: at other.py:5"]
    found, notes = anchor(everything, FILES, FilterMode.NOFILTER)
    assert [(f.path, f.line) for f in found] == [("app.py", 2), ("app.py", 1), ("other.py", 5)]
    assert notes == []
    assert len({f.fingerprint for f in found}) == 3


def test_counted_findings_off_the_diff_go_to_the_pr_body_not_inline() -> None:
    found, _ = anchor([proposed("app.py", 2), proposed("app.py", 10)], FILES, FilterMode.FILE)
    review_plan = plan(found, FILES, set(), max_comments=10)
    assert [f.line for f in review_plan.inline] == [2]
    assert [f.line for f in review_plan.unplaced] == [10]


@pytest.fixture
def modified(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(repo)
    (repo / "app.py").write_text("".join(f"line{i} = {i}\n" for i in range(1, 31)))
    git(repo, "add", "app.py")
    git(repo, "commit", "-qm", "app")
    text = (repo / "app.py").read_text().replace("line15 = 15", "line15 = 'changed'")
    (repo / "app.py").write_text(text)
    git(repo, "add", "app.py")
    return repo


@pytest.mark.parametrize(
    ("line", "mode", "code"),
    [
        (15, "added", 1),
        (13, "added", 0),  # an unchanged context line: a note under the default
        (13, "diff_context", 1),
        (2, "diff_context", 0),
        (2, "file", 1),
        (2, "nofilter", 1),
    ],
)
def test_exit_code_counts_only_findings_in_the_filter(
    modified: Path, capsys: pytest.CaptureFixture[str], line: int, mode: str, code: int
) -> None:
    finding = {"path": "app.py", "line": line, "severity": "error", "category": "bug",
               "message": "wrong"}  # fmt: skip
    fake = FakeBackend("ollama:r").enqueue(review_reply("fix", "s", [finding]))
    args = ["review", "--reviewer", "ollama:r", "--filter-mode", mode]
    assert main(args, obj={"make_backend": factory(fake)}) == code
    out = capsys.readouterr().out
    if code:
        assert out.startswith(f"app.py:{line}: error: wrong")
    else:
        assert f"app.py:{line}: error: wrong" in out.split("notes (not tied to a changed line):")[1]


def test_help_documents_the_modes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "--filter-mode [added|diff_context|file|nofilter]" in out and "default: added" in out
