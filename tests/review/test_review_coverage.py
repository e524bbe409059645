"""Coverage tells the truth (issue 11, item 7), on real repositories with a fake reviewer.

A change's own ``.gitattributes`` cannot hide a text file from review (diffs are taken
with ``--text``; only NUL bytes in content that is not UTF-8 make a file binary), and
``--require-full-coverage`` fails a review that left anything out for budget or skipped a
changed file unseen (a lockfile here; issue 18).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import git
from tests.fakes import FakeBackend, review_reply
from tests.review.support import REVIEWER, run

from relay_git.git.repo import Repository, binary_blobs

SECRET_CODE = "os.system(payload)"


def _hide_app_py(repo: Path, attributes: str) -> None:
    """Stage what an attacker's change would: app.py, and attributes calling it binary."""
    (repo / "app.py").write_text(f"import os\n{SECRET_CODE}\n")
    (repo / ".gitattributes").write_text(attributes)
    (repo / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01")
    git(repo, "add", "app.py", ".gitattributes", "logo.png")


ATTRIBUTES = ["app.py -diff\n", "*.py binary\n", "* -diff\n", "app.py diff=evil\n"]


@pytest.mark.parametrize("attributes", ATTRIBUTES)
def test_gitattributes_in_the_change_cannot_hide_a_text_file(
    repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    attributes: str,
) -> None:
    monkeypatch.chdir(repo)
    git(repo, "config", "diff.evil.binary", "true")  # a driver that calls the file binary
    _hide_app_py(repo, attributes)
    fake = FakeBackend(REVIEWER).enqueue(review_reply())
    code, out, err = run(["--format", "json"], fake, capsys)
    assert code == 0, err
    coverage = json.loads(out)["coverage"]
    assert "app.py" in coverage["reviewed"]
    assert {s["path"]: s["reason"] for s in coverage["skipped"]} == {"logo.png": "binary"}
    assert SECRET_CODE in fake.history[0].messages[-1]["content"]


def test_range_and_hook_reviews_see_through_attributes_too(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo)
    _hide_app_py(repo, "app.py -diff\n")
    git(repo, "commit", "-q", "-m", "hide app.py")
    fake = FakeBackend(REVIEWER).enqueue(review_reply())
    code, out, _ = run(["HEAD~1..HEAD", "--format", "json"], fake, capsys)
    assert code == 0 and "app.py" in json.loads(out)["coverage"]["reviewed"]
    (repo / "app.py").write_text(f"import os\n{SECRET_CODE}  # again\n")
    git(repo, "add", "app.py")
    fake = FakeBackend(REVIEWER).enqueue(review_reply())
    code, _, err = run(["--hook", "--no-cache"], fake, capsys)
    assert code == 0, err
    assert "# again" in fake.history[0].messages[-1]["content"]


def test_repository_diffs_pass_text(repo: Path) -> None:
    """Every way relay-git takes a diff of a repository: staged, a range, two commits."""
    _hide_app_py(repo, "app.py -diff\n")
    r = Repository.discover(repo)
    staged = r.diff_staged()
    git(repo, "commit", "-q", "-m", "hide")
    for text in (staged, r.diff_range("HEAD~1..HEAD"), r.diff_commits(r.resolve("HEAD~1"), "HEAD")):
        assert SECRET_CODE in text
        assert "Binary files a/app.py" not in text


def test_a_real_binary_is_not_diffed_as_text_when_nothing_is_hidden(repo: Path) -> None:
    """``*.png binary`` is common and harmless: the PNG holds NUL bytes where git looks,
    so its diff stays one ``Binary files`` line, however large the file."""
    (repo / ".gitattributes").write_text("*.png binary\n")
    (repo / "logo.png").write_bytes(b"\x89PNG\0\n" + bytes(range(256)) * 400)
    (repo / "app.py").write_text("x = 1\n")
    git(repo, "add", "-A")
    r = Repository.discover(repo)
    text = r.diff_staged()
    assert "Binary files /dev/null and b/logo.png differ" in text
    assert "\0" not in text and "+x = 1" in text


def test_a_hidden_text_file_beside_a_real_binary_is_diffed_with_text(repo: Path) -> None:
    _hide_app_py(repo, "app.py -diff\n*.png binary\n")
    r = Repository.discover(repo)
    text = r.diff_staged()
    assert SECRET_CODE in text and "\0" in text  # --text: the PNG's bytes are shown too
    from relay_git.review.diff import parse

    files = {f.path: f for f in parse(text)}
    assert files["logo.png"].is_binary and not files["app.py"].is_binary


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (":100644 100644 aa bb M\0x.py\01\t0\tx.py\0", []),
        (":100644 100644 aa bb M\0x.bin\0-\t-\tx.bin\0", [("aa", "bb")]),
        (":100644 100644 aa bb R090\0o.bin\0n.bin\0-\t-\t\0o.bin\0n.bin\0", [("aa", "bb")]),
        ("-\t-\tx.bin\0", None),  # a binary file with no --raw record
        (":100644 aa bb M\0x\0", None),
    ],
)
def test_binary_blobs(raw: str, expected: list[tuple[str, str]] | None) -> None:
    assert binary_blobs(raw) == expected


# ------------------------------------------------------------- --require-full-coverage


@pytest.fixture
def three_files(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(repo)
    for name in ("a.py", "b.py", "c.py"):
        (repo / name).write_text(f"{name[0]} = 1\n")
    (repo / "poetry.lock").write_text("lock\n")
    git(repo, "add", "-A")
    return repo


def test_budget_skip_fails_with_one_line_naming_it(
    three_files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeBackend(REVIEWER).enqueue(review_reply(), review_reply())
    code, out, err = run(["--max-files", "2"], fake, capsys)
    assert code == 0 and "PARTIAL REVIEW" in out  # partial is stated even without the flag
    code, out, err = run(
        ["--max-files", "2", "--require-full-coverage", "--no-cache"], fake, capsys
    )
    assert code == 1
    [line] = [ln for ln in err.splitlines() if "--require-full-coverage" in ln]
    assert line == (
        "relay-git: error: partial review (--require-full-coverage): "
        "not reviewed: c.py (over --max-files 2), poetry.lock (lockfile)"
    )  # a lockfile skipped unseen is a gap too (issue 18)


def test_policy_skips_alone_pass_and_env_turns_it_on(
    three_files: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RELAY_GIT_REQUIRE_FULL_COVERAGE", "true")
    fake = FakeBackend(REVIEWER).enqueue(review_reply())
    code, _, err = run(["--exclude", "c.py", "--exclude", "*.lock"], fake, capsys)
    assert code == 0, err  # only what the user excludes is left out without a gap
    fake = FakeBackend(REVIEWER).enqueue(review_reply())
    code, _, err = run(["--max-files", "1", "--no-cache"], fake, capsys)
    assert code == 1 and "not reviewed: b.py (over --max-files 1), c.py" in err


def test_hunk_too_large_for_the_context_fails(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo)
    (repo / "small.py").write_text("x = 1\n")
    (repo / "huge.py").write_text("".join(f"value_{i} = {i} * 31337\n" for i in range(3000)))
    git(repo, "add", "-A")
    fake = FakeBackend(REVIEWER, context=4096).enqueue(review_reply())
    code, _, err = run(["--require-full-coverage"], fake, capsys)
    assert code == 1, err
    assert "not reviewed: huge.py (1 hunk(s) too large for the context); 1 of 2 hunks" in err


def test_hook_mode_fails_too_and_says_partial(
    three_files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeBackend(REVIEWER).enqueue(review_reply())
    code, out, err = run(["--hook", "--max-files", "1", "--require-full-coverage"], fake, capsys)
    assert code == 1
    assert "PARTIAL: not reviewed b.py, c.py" in out + err
    assert "not reviewed: b.py (over --max-files 1), c.py (over --max-files 1)" in err


@pytest.mark.parametrize(
    ("fmt", "says"),
    [
        ("text", "PARTIAL REVIEW: 3 files skipped"),
        ("markdown", "PARTIAL REVIEW: 3 files skipped"),
        ("sarif", "PARTIAL REVIEW: 3 files skipped"),
        ("json", '"complete": false'),
    ],
)
def test_every_reporter_states_partial_coverage(
    three_files: Path, capsys: pytest.CaptureFixture[str], fmt: str, says: str
) -> None:
    fake = FakeBackend(REVIEWER).enqueue(review_reply())
    code, out, _ = run(["--max-files", "1", "--format", fmt], fake, capsys)
    assert code == 0
    assert says in out
    assert "b.py" in out and "c.py" in out
