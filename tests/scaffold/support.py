"""Helpers for scaffold tests: a dirty user repository, snapshots, scripted replies."""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import git
from tests.fakes import FakeBackend, factory

from relay_git.cli import main
from relay_git.models.base import ChatRequest

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
    return {"verdict": "approve"}


GOOD_CODE = {
    "slug.py": "def slugify(text):\n    return '-'.join(text.lower().split())\n",
}
GOOD_TESTS = (
    "from slug import slugify\n\n\ndef test_slugify():\n    assert slugify('A B') == 'a-b'\n"
)
# The toy projects need none of the plugins this virtualenv holds (hypothesis, timeout,
# anyio...): loading them took ~0.35 s of each ~0.6 s sandboxed run. A command that sets a
# variable first is still pytest to the relay (workbench.pytest_runner).
PYTEST = (
    "PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 "
    f"{shlex.quote(sys.executable)} -m pytest -q -p no:cacheprovider"
)


def review_reply(
    verdict: str = "approve", findings: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {"verdict": verdict, "summary": f"{verdict} summary", "findings": findings or []}


def verdict_reply(verdict: str = "approve") -> dict[str, Any]:
    return {"verdict": verdict}


def fenced(code: str) -> str:
    return f"```python\n{code}```\n"


_ONE_FILE = re.compile(r"^Write the (?:new or corrected functions for|whole file) `([^`]+)`", re.M)
_FILES = re.compile(r"^Files to write: (.+)$", re.M)


def asked_paths(request: ChatRequest) -> list[str]:
    """The files a writing request asks for: its ``Files to write:`` line, or for one of the
    K drafts a tiny model gets (worded as before, without that line) the file it names."""
    text = request.messages[-1]["content"]
    found = _FILES.search(text)
    if found:
        return [p.strip() for p in found.group(1).split(",")]
    one = _ONE_FILE.search(text)
    return [one.group(1)] if one else []


def asked_path(request: ChatRequest) -> str | None:
    """The first file a writing request asks for, or None for any other request."""
    paths = asked_paths(request)
    return paths[0] if paths else None


def kind(request: ChatRequest) -> str:
    """What a request asks for: plan, plan-review, verdict, review, tests or code."""
    props = (request.schema or {}).get("properties", {})
    if "files" in props:
        return "plan"
    if "comments" in props:
        return "plan-correction"
    if "findings" in props:
        return "review"
    if "verdict" in props:
        return "plan-review" if "revise" in props["verdict"].get("enum", ()) else "verdict"
    system = request.messages[0]["content"]
    if "pytest tests" in system:
        return "tests"
    path = asked_path(request) or ""
    return "tests" if path.startswith("tests/") else "code"


@dataclass
class Script:
    """Scripted models that answer each request by what it asks for (any number of drafts)."""

    files: dict[str, str] = field(default_factory=lambda: dict(GOOD_CODE))
    tests: str = GOOD_TESTS
    plan: dict[str, Any] = field(default_factory=plan_reply)
    plan_review: dict[str, Any] = field(default_factory=approve_plan)
    correction: dict[str, Any] = field(default_factory=lambda: {"comments": "name it slugify"})
    verdict: dict[str, Any] = field(default_factory=verdict_reply)
    review: dict[str, Any] = field(default_factory=review_reply)

    def coder(self, request: ChatRequest) -> str:
        what = kind(request)
        if what == "plan":
            return json.dumps(self.plan)
        if what == "tests":
            return fenced(self.tests)
        paths = asked_paths(request)
        if len(paths) > 1:  # a fix request for several files: each under its path
            return "\n".join(p + "\n" + fenced(self.files.get(p, "x = 1\n")) for p in paths)
        return fenced(self.files.get(paths[0] if paths else "", "x = 1\n"))

    def reviewer(self, request: ChatRequest) -> str:
        what = kind(request)
        if what in ("code", "tests", "plan"):
            return self.coder(request)
        replies = {
            "plan-review": self.plan_review,
            "plan-correction": self.correction,
            "verdict": self.verdict,
        }
        reply = replies.get(what, self.review)
        return json.dumps(reply)

    def install(self, relay: Relay) -> Script:
        relay.coder.default = self.coder
        relay.reviewer.default = self.reviewer
        return self


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


def run_json(
    relay: Relay, cwd: Path, capsys: pytest.CaptureFixture[str], *args: str, code: int = 0
) -> Any:
    got = relay(cwd, "--json", "-q", *args)
    out = capsys.readouterr().out
    assert got == code, out
    return json.loads(out)
