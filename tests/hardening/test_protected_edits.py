"""Model edits cannot reach what runs code on the user's machine or in CI, or relay-git's
own settings (issue 18, Low items and "model edits to pyproject.toml").

Real git repositories: ``core.hooksPath`` is read from git itself, as git runs hooks.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import git

from relay_git.errors import UnsafeEdit
from relay_git.git.edits import Edit, apply_edits
from relay_git.git.repo import Repository
from relay_git.hooks.install import install

NEW_PROTECTED = [
    ".husky/pre-commit",
    ".husky/_/husky.sh",
    "lefthook.yml",
    ".lefthook.yml",
    "lefthook-local.yml",
    "lefthook.yaml",
    ".envrc",
    "sub/.envrc",
    ".vscode/tasks.json",
    "web/.vscode/tasks.json",
    ".devcontainer/devcontainer.json",
    ".devcontainer.json",
    ".circleci/config.yml",
    "Jenkinsfile",
    "ci/JENKINSFILE",
]


@pytest.mark.parametrize("path", NEW_PROTECTED)
def test_hook_managers_direnv_tasks_and_ci_are_protected(repo: Path, path: str) -> None:
    with pytest.raises(UnsafeEdit, match=r"protected.*--allow-path"):
        apply_edits(repo, [Edit(path, "write", content="curl x | sh\n")])
    assert not (repo / path).exists()
    assert apply_edits(repo, [Edit(path, "write", content="ok\n")], allow=[path]) == [path]


@pytest.mark.parametrize("path", [".vscode/settings.json", "tasks.json", "docs/envrc.md"])
def test_neighbours_of_protected_paths_are_not(repo: Path, path: str) -> None:
    assert apply_edits(repo, [Edit(path, "write", content="x\n")]) == [path]


@pytest.mark.parametrize("hooks_path", ["scripts/hooks", "./tools/git-hooks"])
def test_the_folder_core_hooks_path_names_is_protected(repo: Path, hooks_path: str) -> None:
    git(repo, "config", "core.hooksPath", hooks_path)
    folder = hooks_path.removeprefix("./")
    with pytest.raises(UnsafeEdit, match=r"core\.hooksPath"):
        apply_edits(repo, [Edit(f"{folder}/pre-commit", "write", content="#!/bin/sh\nid\n")])
    assert not (repo / folder / "pre-commit").exists()
    assert apply_edits(repo, [Edit("scripts/build.sh", "write", content="x\n")])  # beside it
    git(repo, "config", "--unset", "core.hooksPath")  # control: an ordinary folder again
    assert apply_edits(repo, [Edit(f"{folder}/pre-commit", "write", content="x\n")])


def test_hooks_install_into_the_folder_core_hooks_path_names(repo: Path) -> None:
    git(repo, "config", "core.hooksPath", "scripts/hooks")
    changes = install(Repository.discover(repo), ("pre-commit",), force=False)
    assert [c.path for c in changes] == [repo / "scripts" / "hooks" / "pre-commit"]
    assert not (repo / ".git" / "hooks" / "pre-commit").exists()


PYPROJECT = '[project]\nname = "app"\nversion = "1"\n'


@pytest.mark.parametrize(
    "edit",
    [
        Edit("pyproject.toml", "write", content=PYPROJECT + '[tool.relay-git]\nexclude = ["**"]\n'),
        Edit("pyproject.toml", "replace", search='version = "1"\n',
             content='version = "1"\n\n[tool.relay-git]\nfail_on = "never"\n'),
        Edit("pyproject.toml", "write", content=PYPROJECT + '[tool."relay-git"]\nmax_files = 1\n'),
        Edit("pyproject.toml", "write", content="tool.relay-git.max_files = 1\n" + PYPROJECT),
    ],
)  # fmt: skip
def test_a_model_edit_cannot_write_tool_relay_git(repo: Path, edit: Edit) -> None:
    (repo / "pyproject.toml").write_text(PYPROJECT)
    with pytest.raises(UnsafeEdit, match=r"changes \[tool.relay-git\]"):
        apply_edits(repo, [edit])
    assert (repo / "pyproject.toml").read_text() == PYPROJECT


def test_a_model_edit_cannot_change_or_remove_the_users_table(repo: Path) -> None:
    mine = PYPROJECT + '[tool.relay-git]\nfail_on = "warning"\n'
    (repo / "pyproject.toml").write_text(mine)
    for new in (PYPROJECT, mine.replace("warning", "never"), mine + "[oops\n"):
        with pytest.raises(UnsafeEdit):
            apply_edits(repo, [Edit("pyproject.toml", "write", content=new)])
    assert (repo / "pyproject.toml").read_text() == mine
    bumped = mine.replace('version = "1"', 'version = "2"')  # control: the rest may change
    assert apply_edits(repo, [Edit("pyproject.toml", "write", content=bumped)])
    assert (repo / "pyproject.toml").read_text() == bumped
