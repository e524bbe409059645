"""The offline demo's example repository: a tiny package whose test defines "done".

``relay-git demo`` builds it from the shipped ``templates/demo/`` files as a fresh git
repository with one commit, then runs the relay on it with the packaged models. The
repository is the user's to inspect afterwards; relay-git's own source is never the
subject of the demo. A rerun finds its repository by that first commit and reuses it as it
is: each run starts from the first commit on a branch of its own, so nothing an earlier
run (or the user) left there is changed.
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
_FIRST_SUBJECT = "mathkit: add()"
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


def first_commit(target: Path) -> str | None:
    """The demo's first commit when ``target`` is the top of a demo repository, else None."""
    if not (target / ".git").exists():
        return None
    top = git(["rev-parse", "--show-toplevel"], target, check=False)
    if not top.ok or Path(top.out.strip()).resolve() != target.resolve():
        return None
    roots = git(["log", "--max-parents=0", "--format=%H %ae %s", "HEAD"], target, check=False)
    for line in roots.out.splitlines() if roots.ok else ():
        sha, _, rest = line.partition(" ")
        if rest == f"{_IDENTITY['GIT_AUTHOR_EMAIL']} {_FIRST_SUBJECT}":
            return sha
    return None


def check_folder(target: Path) -> None:
    """Exit 2 unless ``target`` is missing, empty, or an earlier demo's repository."""
    if not target.exists() or (target.is_dir() and not any(target.iterdir())):
        return
    if first_commit(target) is None:
        raise UsageError(
            f"{target} already exists and is not a relay-git demo repository",
            "remove it, or name another folder: relay-git demo DIR",
        )


def prepare(target: Path, environ: Mapping[str, str]) -> tuple[str, bool]:
    """(the commit a run starts from, reused): an earlier demo's repository as it is, or
    a new one at ``target``."""
    base = first_commit(target)
    if base is not None:
        return base, True
    create(target, environ)
    return first_commit(target) or "HEAD", False


def create(target: Path, environ: Mapping[str, str]) -> list[str]:
    """The example repository at ``target`` (which must not exist yet), committed once."""
    check_folder(target)
    if target.exists() and any(target.iterdir()):  # an earlier demo's: never written over
        raise UsageError(f"{target} already exists", "name another folder: relay-git demo DIR")
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
        ["commit", "-q", "--no-verify", "-m", _FIRST_SUBJECT],
    ):
        git(args, target, env=env)
    return written
