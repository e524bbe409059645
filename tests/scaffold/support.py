"""Helpers for scaffold tests: a dirty user repository, snapshots, scripted replies."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import git
from tests.fakes import FakeBackend, factory

from relay_git.cli import main

CODER = "ollama:fake-coder"
REVIEWER = "ollama:fake-reviewer"


def snapshot(root: Path) -> dict[str, Any]:
    """Everything of the user's checkout a relay must leave alone."""
    files = {}
    for path in sorted(root.rglob("*")):
        if ".git" in path.relative_to(root).parts or not path.is_file():
            continue
        files[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return {
        "status": git(root, "status", "--porcelain", "--untracked-files=all"),
        "files": files,
        "stash": git(root, "stash", "list"),
        "head": git(root, "symbolic-ref", "HEAD"),
        "head_sha": git(root, "rev-parse", "HEAD"),
        "index": git(root, "ls-files", "-s"),
    }


def make_dirty(repo: Path) -> Path:
    """The ``repo`` fixture made messy: a stash, staged, unstaged and untracked changes."""
    (repo / "tests").mkdir()
    (repo / "tests" / "test_readme.py").write_text("def test_ok():\n    assert True\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "tests folder")
    (repo / "README.md").write_text("stashed change\n")
    git(repo, "stash", "-q")
    (repo / "staged.txt").write_text("staged\n")
    git(repo, "add", "staged.txt")
    (repo / "README.md").write_text("hello\nunstaged edit\n")
    (repo / "untracked.txt").write_text("untracked\n")
    return repo


def plan_reply(paths: tuple[str, ...] = ("slug.py", "tests/test_slug.py")) -> dict[str, Any]:
    return {
        "summary": "a slugify helper",
        "files": [{"path": p, "change": "create"} for p in paths],
        "tests": ["test_slugify: lowercases and joins words with dashes"],
    }


def approve_plan() -> dict[str, Any]:
    return {"verdict": "approve", "comments": "looks right", "files": [], "tests": []}


def edits_reply(files: dict[str, str], summary: str = "wrote it") -> dict[str, Any]:
    return {
        "summary": summary,
        "edits": [{"path": p, "action": "write", "content": c} for p, c in files.items()],
    }


GOOD_CODE = {
    "slug.py": "def slugify(text):\n    return '-'.join(text.lower().split())\n",
    "tests/test_slug.py": "from slug import slugify\n\n\ndef test_slugify():\n"
    "    assert slugify('A B') == 'a-b'\n",
}


def review_reply(
    verdict: str = "approve", findings: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {"verdict": verdict, "summary": f"{verdict} summary", "findings": findings or []}


class Relay:
    """Runs ``relay-git`` in a directory with a scripted coder and reviewer."""

    def __init__(self) -> None:
        self.coder = FakeBackend(CODER)
        self.reviewer = FakeBackend(REVIEWER)

    def __call__(
        self, cwd: Path, *args: str, capsys: pytest.CaptureFixture[str] | None = None
    ) -> int:
        import os

        old = Path.cwd()
        os.chdir(cwd)
        try:
            return main(
                ["scaffold", "--coder", CODER, "--reviewer", REVIEWER, *args]
                if args and args[0] != "clean"
                else list(args),
                obj={"make_backend": factory(self.coder, self.reviewer)},
            )
        finally:
            os.chdir(old)


def run_json(relay: Relay, cwd: Path, capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code = relay(cwd, "--json", "-q", *args)
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)
