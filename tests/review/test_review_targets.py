"""Review targets and output: piped stdin, conflicting targets, an unwritable ``-o`` (exit 2)."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest
from tests.conftest import git
from tests.fakes import FakeBackend, factory, review_reply

from relay_git.cli import main
from relay_git.cli_support.targets import piped

REVIEWER = "ollama:fake-reviewer"
PIPED = """\
diff --git a/piped.py b/piped.py
new file mode 100644
--- /dev/null
+++ b/piped.py
@@ -0,0 +1 @@
+PIPED_LINE = 1
"""


@pytest.fixture
def staged(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(repo)
    (repo / "staged.py").write_text("STAGED_LINE = 1\n")
    git(repo, "add", "staged.py")
    return repo


def review(fake: FakeBackend, *args: str) -> int:
    return main(["review", "--reviewer", REVIEWER, *args], obj={"make_backend": factory(fake)})


def stdin_from(path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path.write_text(text)
    monkeypatch.setattr(sys, "stdin", path.open(encoding="utf-8"))


def prompt(fake: FakeBackend) -> str:
    return fake.history[0].messages[-1]["content"]


def test_piped_diff_is_reviewed_instead_of_the_staged_one(
    staged: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin_from(tmp_path / "in.diff", PIPED, monkeypatch)  # `relay-git review < in.diff`
    fake = FakeBackend(REVIEWER).enqueue(review_reply())
    assert review(fake) == 0
    assert "PIPED_LINE" in prompt(fake) and "STAGED_LINE" not in prompt(fake)


def test_a_real_pipe_counts_and_an_empty_one_means_staged(
    staged: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, PIPED.encode())
    os.close(write_end)
    with os.fdopen(read_end, encoding="utf-8") as stream:
        assert piped(stream) == PIPED
    stdin_from(tmp_path / "empty", "", monkeypatch)
    fake = FakeBackend(REVIEWER).enqueue(review_reply())
    assert review(fake) == 0
    assert "STAGED_LINE" in prompt(fake)


def test_terminal_devnull_and_fake_streams_are_not_piped() -> None:
    with open(os.devnull, encoding="utf-8") as devnull:
        assert piped(devnull) is None
    assert piped(io.StringIO(PIPED)) is None  # no file descriptor: an embedding caller's
    assert piped(None) is None


def test_hook_never_reads_stdin_as_a_diff(
    staged: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin_from(tmp_path / "in.diff", PIPED, monkeypatch)
    fake = FakeBackend(REVIEWER).enqueue(review_reply())
    assert review(fake, "--hook") == 0
    assert "STAGED_LINE" in prompt(fake)


@pytest.mark.parametrize(
    "args",
    [
        ["--staged", "main..HEAD"],
        ["--staged", "--base", "main"],
        ["--diff-file", "x.diff", "main..HEAD"],
        ["--push-range", "main..HEAD"],
        ["--push-refs", "-", "--staged"],
    ],
)
def test_conflicting_targets_are_usage_errors(
    staged: Path, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    (staged / "x.diff").write_text(PIPED)
    assert review(FakeBackend(REVIEWER), *args) == 2
    err = capsys.readouterr().err
    assert err.startswith("relay-git: error: conflicting targets:") and err.count("\n") == 1


@pytest.mark.parametrize(
    "output, problem",
    [
        ("missing-dir/report.txt", "missing-dir is not a directory"),
        ("README.md/report.txt", "README.md is not a directory"),
        (".", "is a directory"),
    ],
)
@pytest.mark.parametrize("command", ["review", "scaffold"])
def test_bad_output_file_fails_before_any_model_call(
    staged: Path, output: str, problem: str, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeBackend(REVIEWER)  # any model call would fail the test: nothing is queued
    args = [command, "--reviewer", REVIEWER, "-o", output]
    code = main(
        [*args, "task"] if command == "scaffold" else args, obj={"make_backend": factory(fake)}
    )
    assert code == 2
    err = capsys.readouterr().err
    assert f"-o {output}:" in err and problem in err and "Traceback" not in err
    assert fake.history == []
    assert git(staged, "branch", "--list", "relay/*") == ""


def test_read_only_directory_is_refused(
    staged: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        assert review(FakeBackend(REVIEWER), "-o", str(locked / "r.txt")) == 2
        assert "is not writable" in capsys.readouterr().err
    finally:
        locked.chmod(0o755)
