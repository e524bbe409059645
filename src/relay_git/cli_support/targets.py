"""What ``relay-git review`` reviews: a range, the staged changes, the working tree
(``--unstaged``, ``--all``), a patch, piped stdin, a push, or what pre-commit names.

Exactly one target: two are a usage error (exit 2), never a silent choice. With none, a
diff piped on stdin (``git diff | relay-git review``) is the target, else the staged
changes. Only a pipe or a redirected file counts as piped: a terminal, ``/dev/null``
or a closed stdin do not, and an empty pipe means "nothing piped". A hook never reads
stdin as a diff (git may hand a hook anything there).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from relay_git.errors import UsageError
from relay_git.hooks.run import diff_for, named_files, push_ranges

if TYPE_CHECKING:  # the app loads when a command runs, not at start-up
    from relay_git.app import App


STAGED = "staged changes"


@dataclass(frozen=True)
class Target:
    """The target options of one review, as click parsed them."""

    revisions: str | None = None
    staged: bool = False
    base: str | None = None
    diff_file: IO[bytes] | None = None
    push: bool = False
    push_refs: IO[str] | None = None
    unstaged: bool = False
    worktree: bool = False  # --all
    files: tuple[str, ...] | None = None  # --files: the names pre-commit passed

    def chosen(self) -> list[str]:
        named = {
            "RANGE": self.revisions is not None,
            "--staged": self.staged,
            "--unstaged": self.unstaged,
            "--all": self.worktree,
            "--files": self.files is not None,
            "--base": self.base is not None,
            "--diff-file": self.diff_file is not None,
            "--push-range": self.push,
            "--push-refs": self.push_refs is not None,
        }
        return [name for name, given in named.items() if given]


def check(target: Target) -> None:
    """Exit 2 on conflicting targets (``--push-range --push-refs -`` is one target)."""
    chosen = target.chosen()
    if {"--push-range", "--push-refs"} <= set(chosen):
        chosen.remove("--push-refs")
    if len(chosen) > 1:
        raise UsageError(
            f"conflicting targets: {' and '.join(chosen)}",
            "give only one of RANGE, --staged, --unstaged, --all, --base, --diff-file, "
            "--push-range",
        )


def piped(stream: IO[str] | None) -> str | None:
    """The text piped on ``stream`` (a pipe or a redirected file), else None."""
    if stream is None:
        return None
    try:
        if stream.isatty():
            return None
        mode = os.fstat(stream.fileno()).st_mode
    except (OSError, ValueError):  # closed, or not a real file (an embedding caller's stream)
        return None
    if not (stat.S_ISFIFO(mode) or stat.S_ISREG(mode)):
        return None
    buffer = getattr(stream, "buffer", None)  # bytes, decoded as --diff-file decodes them
    text = buffer.read().decode("utf-8", "surrogateescape") if buffer else stream.read()
    return text if text.strip() else None


def read(app: App, t: Target, stdin: IO[str] | None) -> list[tuple[str, str, str | None]]:
    """(diff text, what it is, the base commit if known) for each thing to review: one, or
    one per pushed ref. The base commit's attributes say which files are generated."""
    check(t)
    if t.push or t.push_refs is not None:
        repo = app.require_repo()
        lines = t.push_refs.read() if t.push_refs is not None else None
        ranges = push_ranges(repo, app.environ, lines)
        return [(diff_for(repo, r), r.label, r.base) for r in ranges]
    if t.files is not None:
        return [named_files(app.require_repo(), app.environ, t.files)]
    if t.diff_file is not None:
        patch = t.diff_file.read().decode("utf-8", "surrogateescape")  # a lone \r stays put
        return [(patch, f"patch from {getattr(t.diff_file, 'name', 'stdin')}", None)]
    if not t.chosen():
        text = piped(stdin)
        if text is not None:
            return [(text, "the diff on stdin", None)]
    repo = app.require_repo()
    if t.revisions:
        old, _ = repo.range_ends(t.revisions)
        return [(repo.diff_range(t.revisions), range_label(t.revisions), old)]
    if t.base:
        base = repo.merge_base(t.base)
        return [(repo.diff_commits(base, repo.resolve("HEAD")), f"{t.base}...HEAD", base)]
    head = repo.resolve("HEAD") if repo.has_head() else None
    if t.unstaged:
        return [(repo.diff_unstaged(), "unstaged changes", head)]
    if t.worktree:
        return [(repo.diff_worktree(), "working tree (untracked files included)", head)]
    return [(repo.diff_staged(), STAGED, head)]


def range_label(spec: str) -> str:
    """What a RANGE reviews: ``A..B`` and ``A...B`` as given; one revision ``A`` is the
    working tree against it, as ``git diff A`` shows."""
    return spec if ".." in spec else f"working tree against {spec}"


def unstaged_hint(app: App) -> str | None:
    """When nothing is staged but the working tree has changes: how to review them."""
    repo = app.repo
    if repo is None:
        return None
    paths = repo.changed_paths(staged=False)
    if not paths:
        return None
    return (
        f"relay-git: nothing staged, but {len(paths)} file(s) changed in the working tree: "
        "`relay-git review --unstaged` reviews them against the index, "
        "`relay-git review --all` (untracked files too) against HEAD"
    )
