"""The fixed task suite: one TOML file per task in bench/tasks/, each a toy repository.

A task file holds the task text, a ``kind`` (one of KINDS), an optional ``test_command``,
and a ``[files]`` table of path -> content for the toy repository's first commit;
``filler = N`` adds N generated modules, for a repository of realistic size.

What makes a task *done* is the task's, not the model's: ``check`` is Python run in the
branch's final tree (bench/checker.py gives it helpers), ``test_for`` names what a test
added by the change must mention. ``reach = true`` marks a task within the small model's
reach; its ``[probe]`` asks the small model for the function alone (bench/probe.py).
``make_repo`` turns a task into a real git repository in a directory.
"""

from __future__ import annotations

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
# What sort of change a task asks for; the first five must each have a task (issue 10).
KINDS = (
    "new-function",  # a new function plus its test
    "bug-fix",  # a planted bug in an existing file
    "docs-types",  # docstrings or type hints over a file
    "two-files",  # one change spread over two files
    "big-repo",  # a task in a repository of 50+ files
    "feature",
    "refactor",
    "docs",
)
REQUIRED_KINDS = KINDS[:5]
BIG_REPO_FILES = 50
FILLER_DIR = "app"


class TaskError(ValueError):
    """A task file is malformed."""


@dataclass(frozen=True)
class Probe:
    """The small model alone: ``ask`` for one function, appended to ``module`` and checked."""

    ask: str
    module: str


@dataclass(frozen=True)
class Task:
    name: str
    kind: str
    task: str
    files: tuple[tuple[str, str], ...]
    test_command: str | None = None
    max_rounds: int = 1
    max_tokens: int | None = None  # this task's cap on every stage's output (else the bench's)
    check: str = ""  # Python run in the final tree; an exception means "not done"
    test_for: str | None = None  # a test file the change adds or edits must mention this
    reach: bool = False  # within the small model's reach (issue 10, "Figures to reach")
    probe: Probe | None = None
    filler: int = 0  # generated modules under app/, for a big repository
    timeout: float | None = None  # this task's per-run limit (else by reach, see runner)
    solution: tuple[tuple[str, str], ...] = ()  # a reference change the checker must accept

    @classmethod
    def from_toml(cls, name: str, data: Mapping[str, object]) -> Task:
        text, kind, files = data.get("task"), data.get("kind"), data.get("files")
        if not isinstance(text, str) or not text.strip():
            raise TaskError(f"{name}: 'task' must be a non-empty string")
        if kind not in KINDS:
            raise TaskError(f"{name}: 'kind' must be one of {', '.join(KINDS)}")
        if not isinstance(files, dict) or not files:
            raise TaskError(f"{name}: '[files]' must list at least one file")
        solution = data.get("solution") or {}
        if not isinstance(solution, dict):
            raise TaskError(f"{name}: '[solution]' must be a table")
        _check_paths(name, files)
        _check_paths(name, solution)
        probe = _probe(name, data.get("probe"))
        if data.get("reach") is True and probe is None:
            raise TaskError(f"{name}: a 'reach' task needs a [probe] table")
        return cls(
            name=name,
            kind=str(kind),
            task=text.strip(),
            files=tuple(sorted(files.items())),
            test_command=_opt(name, data, "test_command", str),
            max_rounds=_opt(name, data, "max_rounds", int) or 1,
            max_tokens=_opt(name, data, "max_tokens", int),
            check=_opt(name, data, "check", str) or "",
            test_for=_opt(name, data, "test_for", str),
            reach=bool(_opt(name, data, "reach", bool)),
            probe=probe,
            filler=_opt(name, data, "filler", int) or 0,
            timeout=_opt(name, data, "timeout", int | float),
            solution=tuple(sorted(solution.items())),
        )

    def all_files(self) -> tuple[tuple[str, str], ...]:
        """The task's files and its generated filler modules."""
        given = dict(self.files)
        extra = [(p, c) for p, c in filler_files(self.filler) if p not in given]
        return tuple(sorted([*given.items(), *extra]))


def _check_paths(name: str, files: Mapping[str, object]) -> None:
    for path, content in files.items():
        pure = PurePosixPath(path)
        if pure.is_absolute() or ".." in pure.parts or not isinstance(content, str):
            raise TaskError(f"{name}: bad file entry {path!r}")


def _opt(name: str, data: Mapping[str, object], key: str, kind: object) -> object:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) and kind is not bool:
        raise TaskError(f"{name}: '{key}' has the wrong type")
    if not isinstance(value, kind):  # type: ignore[arg-type]
        raise TaskError(f"{name}: '{key}' has the wrong type")
    return value


def _probe(name: str, raw: object) -> Probe | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise TaskError(f"{name}: '[probe]' must be a table")
    ask, module = raw.get("ask"), raw.get("module")
    if not isinstance(ask, str) or not isinstance(module, str) or not ask or not module:
        raise TaskError(f"{name}: '[probe]' needs 'ask' and 'module' strings")
    return Probe(ask.strip(), module)


def filler_files(count: int) -> list[tuple[str, str]]:
    """``count`` small, distinct, importable modules under app/ (and the package marker)."""
    if count <= 0:
        return []
    files = [(f"{FILLER_DIR}/__init__.py", '"""The application package."""\n')]
    for i in range(count):
        files.append(
            (
                f"{FILLER_DIR}/part_{i:03d}.py",
                f'"""Part {i} of the application."""\n\n\n'
                f"def step_{i:03d}(value):\n"
                f'    """Return value moved on by {i}."""\n'
                f"    return value + {i}\n",
            )
        )
    return files


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
    """The toy repository's .relay-git.toml: a bounded fix loop. The test command is not in
    it: a repository's own would need `relay-git trust`; the bench passes --test-cmd, as a
    user confirms it."""
    return f"max_rounds = {task.max_rounds}\n"


def git_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    env.update(GIT_ENV)
    return env


def write_files(task: Task, root: Path) -> Path:
    """The task's files (filler included) under ``root``, without git."""
    for path, content in task.all_files():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    return root


def make_repo(task: Task, root: Path, env: Mapping[str, str] | None = None) -> Path:
    """A git repository at ``root`` on branch ``main`` with the task's files in one commit."""
    root.mkdir(parents=True, exist_ok=True)
    write_files(task, root)
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
