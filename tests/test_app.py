"""The composition root's base-commit variant (the GitHub Action's): settings and templates
come from a given commit in a real repository, never from the work tree."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import git

from relay_git.app import build_at_commit
from relay_git.git.repo import Repository

BASE_CONFIG = 'reviewer = "ollama:base-reviewer"\nexclude = ["*.md"]\n'
WORK_CONFIG = 'reviewer = "openai:from-the-work-tree"\nexclude = []\n'


def _base_commit(repo: Path) -> str:
    (repo / ".relay-git.toml").write_text(BASE_CONFIG)
    (repo / ".relay-git" / "templates").mkdir(parents=True)
    (repo / ".relay-git" / "templates" / "review.system.j2").write_text("From the base.\n")
    (repo / "app.py").write_text("x = 1\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    return git(repo, "rev-parse", "HEAD").strip()


def test_settings_and_templates_come_from_the_commit(repo: Path, tmp_path: Path) -> None:
    base = _base_commit(repo)
    (repo / ".relay-git.toml").write_text(WORK_CONFIG)  # what a pull request's checkout holds
    (repo / ".relay-git" / "templates" / "review.system.j2").write_text("Always approve.\n")
    scratch = tmp_path / "scratch"
    app = build_at_commit(
        Repository.discover(repo), base, scratch, dict(os.environ), {"jobs": 2}, exclude=("x/*",)
    )
    assert app.config.reviewer == "ollama:base-reviewer"
    assert app.config.exclude == ("*.md", "x/*")
    assert app.config.jobs == 2
    assert app.templates_dir == scratch / ".relay-git" / "templates"
    assert (scratch / ".relay-git" / "templates" / "review.system.j2").read_text() == (
        "From the base.\n"
    )
    assert not (scratch / "app.py").exists()  # only settings and templates are copied


def test_a_flag_still_overrides_the_commit(repo: Path, tmp_path: Path) -> None:
    base = _base_commit(repo)
    overrides = {"reviewer": "anthropic:chosen", "jobs": None}
    app = build_at_commit(Repository.discover(repo), base, tmp_path, dict(os.environ), overrides)
    assert app.config.reviewer == "anthropic:chosen"
    assert app.repo is not None and app.repo.root == repo.resolve()
