"""The fixed task suite: one TOML file per task in bench/tasks/, each a toy repository.

A task file holds the task text, a ``kind`` (what sort of change it is), an optional
``test_command`` and a ``[files]`` table of path -> content for the toy repository's
first commit. ``make_repo`` turns one into a real git repository in a directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

TASKS_DIR = Path(__file__).resolve().parent / "tasks"
GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Bench User",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench User",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00+00:00",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00+00:00",
    "GIT_EDITOR": "false",
    "GIT_TERMINAL_PROMPT": "0",
}


class TaskError(ValueError):
    """A task file is malformed."""


@dataclass(frozen=True)
class Task:
    name: str
    kind: str
    task: str
    files: tuple[tuple[str, str], ...]
    test_command: str | None = None
    max_rounds: int = 1
    max_tokens: int | None = None  # this task's cap on every stage's output (else the bench's)

    @classmethod
    def from_toml(cls, name: str, data: Mapping[str, object]) -> Task:
        files = data.get("files")
        text, kind = data.get("task"), data.get("kind")
        if not isinstance(text, str) or not text.strip():
            raise TaskError(f"{name}: 'task' must be a non-empty string")
        if not isinstance(kind, str):
            raise TaskError(f"{name}: 'kind' must be a string")
        if not isinstance(files, dict) or not files:
            raise TaskError(f"{name}: '[files]' must list at least one file")
        for path, content in files.items():
            pure = PurePosixPath(path)
            if pure.is_absolute() or ".." in pure.parts or not isinstance(content, str):
                raise TaskError(f"{name}: bad file entry {path!r}")
        command = data.get("test_command")
        rounds = data.get("max_rounds", 1)
        cap = data.get("max_tokens")
        if cap is not None and not isinstance(cap, int):
            raise TaskError(f"{name}: 'max_tokens' must be an integer")
        if command is not None and not isinstance(command, str):
            raise TaskError(f"{name}: 'test_command' must be a string")
        if not isinstance(rounds, int):
            raise TaskError(f"{name}: 'max_rounds' must be an integer")
        files_t = tuple(sorted(files.items()))
        return cls(name, kind, text.strip(), files_t, command, rounds, cap)


def load(path: Path) -> Task:
    with path.open("rb") as fh:
        return Task.from_toml(path.stem, tomllib.load(fh))


def load_all(names: Sequence[str] = (), directory: Path = TASKS_DIR) -> list[Task]:
    """Every task in ``directory`` sorted by name, or just ``names`` in the order given."""
    if names:
        missing = [n for n in names if not (directory / f"{n}.toml").is_file()]
        if missing:
            known = ", ".join(p.stem for p in sorted(directory.glob("*.toml")))
            raise TaskError(f"unknown task(s) {', '.join(missing)}; known: {known}")
        return [load(directory / f"{n}.toml") for n in names]
    return [load(p) for p in sorted(directory.glob("*.toml"))]


def relay_config(task: Task) -> str:
    """The toy repository's .relay-git.toml: its test command and a bounded fix loop."""
    lines = [f"max_rounds = {task.max_rounds}"]
    if task.test_command:
        lines.append(f"test_command = {json.dumps(task.test_command)}")
    return "\n".join(lines) + "\n"


def git_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    env.update(GIT_ENV)
    return env


def make_repo(task: Task, root: Path, env: Mapping[str, str] | None = None) -> Path:
    """A git repository at ``root`` on branch ``main`` with the task's files in one commit."""
    root.mkdir(parents=True, exist_ok=True)
    for path, content in task.files:
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    (root / ".relay-git.toml").write_text(relay_config(task))
    full_env = git_env(env)
    for args in (
        ("init", "-q", "-b", "main"),
        ("config", "user.name", GIT_ENV["GIT_AUTHOR_NAME"]),
        ("config", "user.email", GIT_ENV["GIT_AUTHOR_EMAIL"]),
        ("add", "-A"),
        ("commit", "-q", "--no-verify", "-m", f"toy repository for {task.name}"),
    ):
        subprocess.run(["git", *args], cwd=root, env=full_env, check=True, capture_output=True)
    return root
