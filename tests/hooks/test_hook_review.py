"""`relay-git review --hook` in process, on real repositories, with the fake reviewer."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from tests.conftest import git
from tests.fakes import FakeBackend, review_reply, run_review

from relay_git.errors import BackendUnavailable

BUG = {"path": "app.py", "line": 2, "severity": "error", "category": "bug", "message": "wrong\nop"}
NIT = {"path": "app.py", "line": 1, "severity": "warning", "category": "style", "message": "name"}


def hook(
    args: list[str], fake: FakeBackend, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    return run_review(["--hook", *args], fake, capsys)


def test_error_blocks_with_jumpable_lines(staged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeBackend().enqueue(review_reply("fix", "bug", [BUG, NIT]))
    code, out, _ = hook([], fake, capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "app.py:2: error: wrong op"
    assert "app.py:1" not in out  # below --fail-on: not printed as a blocker
    assert "commit blocked by 1 finding(s) at or above error" in lines[-1]


@pytest.mark.parametrize(
    ("fail_on", "expected"), [("error", 0), ("warning", 1), ("info", 1), ("never", 0)]
)
def test_fail_on_threshold(
    staged: Path, capsys: pytest.CaptureFixture[str], fail_on: str, expected: int
) -> None:
    fake = FakeBackend().enqueue(review_reply("approve", "ok", [NIT]))
    code, out, _ = hook(["--fail-on", fail_on], fake, capsys)
    assert code == expected
    if expected == 0:
        assert out.count("\n") == 1 and "1 warning" in out


def test_pass_prints_one_summary_line_and_cache_answers_rerun(
    staged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeBackend().enqueue(review_reply())
    code, out, _ = hook([], fake, capsys)
    assert code == 0
    assert out.splitlines() == [
        "relay-git: approve — staged changes: 1 file(s) reviewed, no findings"
    ]
    code, out, _ = hook([], fake, capsys)  # the queue is empty: a model call would fail
    assert code == 0
    assert out.strip().endswith("(from cache)")
    assert len(fake.history) == 1


@pytest.mark.parametrize("env", [{"RELAY_GIT_SKIP": "1"}, {"SKIP": "flake8, relay-git-review"}])
def test_skip(
    staged: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
) -> None:  # fmt: skip
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    fake = FakeBackend()
    code, _, err = hook([], fake, capsys)
    assert (code, fake.history) == (0, [])
    assert "review skipped" in err


def test_push_hook_is_not_skipped_by_the_commit_hook_id(
    staged: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SKIP", "relay-git-review")
    git(staged, "commit", "-q", "-m", "add")
    fake = FakeBackend().enqueue(review_reply())
    code, out, _ = hook(["--push-range"], fake, capsys)
    assert code == 0 and len(fake.history) == 1
    assert "new branch, 2 commit(s)" in out


@pytest.mark.parametrize("strict", [False, True])
def test_unreachable_model_passes_unless_strict(
    staged: Path, capsys: pytest.CaptureFixture[str], strict: bool
) -> None:
    fake = FakeBackend().enqueue(BackendUnavailable("cannot reach Ollama", "`ollama serve`"))
    code, _, err = hook(["--strict"] if strict else [], fake, capsys)
    assert code == (3 if strict else 0)
    assert "cannot reach Ollama" in err
    assert ("not blocking" in err) is not strict


@pytest.mark.parametrize("strict", [False, True])
def test_time_budget_passes_unless_strict(
    staged: Path, capsys: pytest.CaptureFixture[str], strict: bool
) -> None:
    release = threading.Event()
    fake = FakeBackend().enqueue(lambda _req: (release.wait(5), '{"verdict": "approve"}')[1])
    try:
        code, _, err = hook(["--timeout", "0.3", *(["--strict"] if strict else [])], fake, capsys)
    finally:
        release.set()
    assert code == (3 if strict else 0)
    assert "did not finish within its 0.3 s budget" in err


def test_max_files_says_what_was_skipped(repo: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.chdir(repo)
    for name in ("a.py", "b.py", "c.py"):
        (repo / name).write_text(f"{name[0]} = 1\n")
    git(repo, "add", ".")
    fake = FakeBackend().enqueue(review_reply())
    code, out, _ = hook(["--max-files", "1"], fake, capsys)
    assert code == 0
    assert "1 file(s) reviewed" in out
    assert "PARTIAL: not reviewed b.py, c.py (over --max-files 1)" in out


def _first_commit(root: Path) -> None:
    (root / "app.py").write_text("x = 1\n")
    git(root, "add", "app.py")


def _detached(root: Path) -> None:
    git(root, "checkout", "-q", "--detach")
    _first_commit(root)


def _only_deletion(root: Path) -> None:
    git(root, "rm", "-q", "README.md")


def _merge(root: Path) -> None:
    git(root, "checkout", "-q", "-b", "side")
    (root / "side.py").write_text("y = 2\n")
    git(root, "add", "side.py")
    git(root, "commit", "-q", "-m", "side")
    git(root, "checkout", "-q", "main")
    (root / "app.py").write_text("x = 1\n")
    git(root, "add", "app.py")
    git(root, "commit", "-q", "-m", "main")
    git(root, "merge", "--no-commit", "--no-ff", "-q", "side")


@pytest.mark.parametrize(
    ("setup", "fresh", "calls", "says"),
    [
        (_first_commit, True, 1, "1 file(s) reviewed"),
        (_detached, False, 1, "1 file(s) reviewed"),
        (_only_deletion, False, 0, "0 file(s) reviewed, no findings; skipped 1 (deleted)"),
        (_merge, False, 1, "1 file(s) reviewed"),
    ],
    ids=["first-commit", "detached-head", "only-deletions", "merge"],
)
def test_states_hooks_meet(
    tmp_path: Path, repo: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], setup: object, fresh: bool, calls: int, says: str,
) -> None:  # fmt: skip
    root = tmp_path / "fresh" if fresh else repo
    if fresh:
        root.mkdir()
        git(root, "init", "-q", "-b", "main")
    monkeypatch.chdir(root)
    setup(root)  # type: ignore[operator]
    fake = FakeBackend().enqueue(review_reply())
    code, out, err = hook([], fake, capsys)
    assert code == 0
    assert len(fake.history) == calls
    assert says in out + err
