"""A pull request in a real temporary repository, its event file, and a way to run the command."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import git
from tests.fakes import FakeBackend, factory

from relay_git.cli import main

FIXTURE = Path(__file__).parent / "fixtures" / "pull_request.synchronize.json"
REVIEWER = "ollama:fake-reviewer"
TOKEN = "ghs_s3cr3tT0kenValue1234567890abcdefXYZ"

BASE_APP = "def add(a, b):\n    return a + b\n"
HEAD_APP = (
    "def add(a, b):\n"
    "    return a + b\n"
    "\n"
    "\n"
    "def div(a, b):\n"
    "    return a / b\n"  # line 6
    "\n"
    "\n"
    "def password():\n"  # line 9
    '    return "hunter2"\n'  # line 10
)
FIXED_APP = HEAD_APP.replace("    return a / b\n", "    return a / b if b else 0.0\n")

DIV = {
    "path": "app.py",
    "line": 6,
    "severity": "error",
    "category": "bug",
    "message": "div() raises ZeroDivisionError when b == 0",
    "suggestion": "    return a / b if b else 0.0",
}
PASSWORD = {
    "path": "app.py",
    "line": 9,
    "end_line": 10,
    "severity": "warning",
    "category": "security",
    "message": "hard-coded password",
}


@dataclass
class PR:
    root: Path
    base: str
    head: str
    event: Path

    def commit(self, files: dict[str, str], message: str) -> str:
        """A new push to the pull request: commit on the head branch, rewrite the event."""
        for name, text in files.items():
            (self.root / name).write_text(text)
        git(self.root, "add", *files)
        git(self.root, "commit", "-q", "-m", message)
        self.head = git(self.root, "rev-parse", "HEAD").strip()
        write_event(self.event, self.base, self.head)
        return self.head

    def diff(self) -> str:
        return subprocess.run(
            ["git", "diff", f"{self.base}...{self.head}"],
            cwd=self.root,
            check=True,
            capture_output=True,
            text=True,
        ).stdout


def write_event(path: Path, base: str, head: str, head_repo: str | None = None) -> None:
    payload: dict[str, Any] = json.loads(FIXTURE.read_text())
    payload["pull_request"]["base"]["sha"] = base
    payload["pull_request"]["head"]["sha"] = head
    payload["after"] = head
    if head_repo:
        payload["pull_request"]["head"]["repo"]["full_name"] = head_repo
        payload["pull_request"]["head"]["repo"]["fork"] = True
    path.write_text(json.dumps(payload))


@pytest.fixture
def pr(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PR:
    """Base commit on main, a head commit on `changes`, the event file and an Actions env."""
    (repo / "app.py").write_text(BASE_APP)
    git(repo, "add", "app.py")
    git(repo, "commit", "-q", "-m", "base")
    base = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "-b", "changes")
    event = tmp_path / "event.json"
    result = PR(repo, base, base, event)
    result.commit({"app.py": HEAD_APP}, "add div and password")
    monkeypatch.chdir(repo)
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    monkeypatch.setenv("GITHUB_REPOSITORY", "Codertocat/Hello-World")
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "step_summary.md"))
    return result


@dataclass
class Result:
    code: int
    out: str
    err: str
    model: FakeBackend


Runner = Callable[..., Result]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Runner:
    """run(api_url, findings, *args, reviewer=REVIEWER, summary="s") -> Result.

    reviewer=None uses the config; ``summary`` is the model's review summary.
    """

    def go(
        api_url: str,
        findings: list[dict[str, Any]],
        *args: str,
        reviewer: str | None = REVIEWER,
        summary: str = "s",
    ) -> Result:
        monkeypatch.setenv("GITHUB_API_URL", api_url)
        verdict = "fix" if findings else "approve"
        fake = FakeBackend(REVIEWER).enqueue(
            {"verdict": verdict, "summary": summary, "findings": findings}
        )
        flags = ["--reviewer", reviewer] if reviewer else []
        code = main(["github", *flags, "--no-cache", *args], obj={"make_backend": factory(fake)})
        out, err = capsys.readouterr()
        return Result(code, out, err, fake)

    return go
