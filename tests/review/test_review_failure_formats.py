"""`--format json|sarif|markdown` when the review cannot be done: the document still comes,
holding the error, so `jq` and a SARIF upload get valid input (it printed nothing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import git
from tests.fakes import FakeBackend
from tests.reporters.test_sarif import _validate
from tests.review.support import REVIEWER, run

from relay_git.errors import BackendUnavailable

DOWN = BackendUnavailable(
    "cannot reach Ollama at http://127.0.0.1:9", "start it with `ollama serve`"
)


@pytest.fixture
def staged(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(repo)
    (repo / "app.py").write_text("X = 1\n")
    git(repo, "add", "app.py")
    return repo


def test_json_holds_the_error(staged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["--format", "json"], FakeBackend(REVIEWER).enqueue(DOWN), capsys)
    assert code == 3 and "cannot reach Ollama" in err
    doc = json.loads(out)
    assert doc["error"] == {"message": str(DOWN), "exit_code": 3}
    assert doc["findings"] == [] and doc["verdict"] is None


def test_sarif_is_valid_and_failed(staged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["--format", "sarif", "-o", "r.sarif"], FakeBackend(REVIEWER).enqueue(DOWN), capsys
    )
    assert code == 3 and out == ""
    doc = json.loads((staged / "r.sarif").read_text())
    _validate(doc)
    [invocation] = doc["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False and invocation["exitCode"] == 3
    assert "cannot reach Ollama" in invocation["toolExecutionNotifications"][0]["message"]["text"]
    assert doc["runs"][0]["results"] == []


def test_hook_failing_open_still_writes_the_document(
    staged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        ["--hook", "--format", "json"], FakeBackend(REVIEWER).enqueue(DOWN), capsys
    )
    assert code == 0 and "not blocking" in err
    error = json.loads(out)["error"]  # the code the process exits with, and why
    assert error["exit_code"] == 0 and error["message"].endswith(
        "(not blocking: the hook fails open)"
    )


def test_markdown_says_not_done(staged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--format", "markdown"], FakeBackend(REVIEWER).enqueue(DOWN), capsys)
    assert code == 3 and "relay-git review: not done" in out and "cannot reach Ollama" in out
