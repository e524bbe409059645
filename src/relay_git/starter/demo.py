"""The offline demo's example repository: a tiny package whose test defines "done".

``relay-git demo`` builds it from the shipped ``templates/demo/`` files as a fresh git
repository with one commit, then runs the relay on it with the packaged models. The
repository is the user's to inspect afterwards; relay-git's own source is never the
subject of the demo.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterator, Mapping
from importlib.resources.abc import Traversable
from pathlib import Path

from relay_git.errors import UsageError
from relay_git.git.run import git
from relay_git.models import prompts

TASK = (
    "add a function is_even(n) to mathkit/numbers.py that returns True when n is even "
    "and False otherwise, with a test"
)
DEFAULT_DIR = "relay-git-demo"
_IDENTITY = {
    "GIT_AUTHOR_NAME": "relay-git demo",
    "GIT_AUTHOR_EMAIL": "demo@relay-git.invalid",
    "GIT_COMMITTER_NAME": "relay-git demo",
    "GIT_COMMITTER_EMAIL": "demo@relay-git.invalid",
}


def test_command() -> str:
    """The demo's tests, run by the interpreter relay-git runs on (its [local] extra has
    pytest), so an unactivated virtualenv still works."""
    return f"{shlex.quote(sys.executable)} -m pytest -q -p no:cacheprovider"


def _files(folder: Traversable, prefix: str = "") -> Iterator[tuple[str, str]]:
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        name = f"{prefix}{entry.name}"
        if entry.is_dir():
            if entry.name != "__pycache__":
                yield from _files(entry, f"{name}/")
        elif not entry.name.endswith((".pyc", ".pyo")):
            yield name, entry.read_text(encoding="utf-8")


def create(target: Path, environ: Mapping[str, str]) -> list[str]:
    """The example repository at ``target`` (which must not exist yet), committed once."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(
            f"{target} already exists", "remove it, or name another folder: relay-git demo DIR"
        )
    written = []
    for name, text in _files(prompts.template_dir().joinpath("demo")):
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(name)
    env = {**environ, **_IDENTITY, "GIT_CONFIG_NOSYSTEM": "1"}
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["commit", "-q", "--no-verify", "-m", "mathkit: add()"],
    ):
        git(args, target, env=env)
    return written
