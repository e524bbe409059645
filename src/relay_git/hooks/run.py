"""What a git hook run needs beyond a plain review: skipping, push ranges, the time
budget and failing open.

Pure logic over a ``Repository``; hooks/report.py words what a hook prints and the click
layer (commands/review.py) prints it. Nothing here imports a backend, pydantic or rich:
it sits on the cached path.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from relay_git.errors import UsageError
from relay_git.git.repo import EMPTY_TREE, Repository
from relay_git.hooks import COMMIT_HOOK_ID, PUSH_HOOK_ID
from relay_git.util.timeout import run_within

HOOK_TIMEOUT = 60.0  # seconds: the default time budget of a hook run
ZERO_SHA = "0" * 40

T = TypeVar("T")


def skip_requested(environ: Mapping[str, str], hook_id: str) -> str | None:
    """Why this run is skipped (RELAY_GIT_SKIP=1, or pre-commit's SKIP naming the hook)."""
    if environ.get("RELAY_GIT_SKIP", "").strip().lower() in ("1", "true", "yes"):
        return "RELAY_GIT_SKIP is set"
    skipped = {part.strip() for part in environ.get("SKIP", "").split(",")}
    if hook_id in skipped:
        return f"SKIP contains {hook_id}"
    return None


def hook_skip(environ: Mapping[str, str], push: bool) -> str | None:
    """Why the pre-commit (or with ``push`` the pre-push) hook run is skipped, or None."""
    return skip_requested(environ, PUSH_HOOK_ID if push else COMMIT_HOOK_ID)


@dataclass(frozen=True)
class PushRange:
    """Review ``head``'s tree against ``base`` (a commit, or the empty tree for a root)."""

    base: str
    head: str
    label: str


@dataclass(frozen=True)
class RefUpdate:
    """One line git gives a pre-push hook on stdin."""

    local_ref: str
    local_sha: str
    remote_ref: str
    remote_sha: str


def parse_push_lines(text: str) -> list[RefUpdate]:
    """``<local ref> SP <local sha> SP <remote ref> SP <remote sha>`` lines (githooks(5))."""
    updates: list[RefUpdate] = []
    for line in text.splitlines():
        parts = line.rsplit(maxsplit=3)
        if not line.strip():
            continue
        if len(parts) != 4:
            raise UsageError(f"not a pre-push ref line: {line!r}", "git gives four fields a line")
        updates.append(RefUpdate(*parts))
    return updates


def _exists(repo: Repository, sha: str) -> bool:
    return repo.run("rev-parse", "--verify", "-q", f"{sha}^{{commit}}").ok


def new_branch_range(
    repo: Repository, head: str, remote: str | None, label: str
) -> PushRange | None:
    """All commits of ``head`` no remote has yet: from the oldest one's parent (or nothing)."""
    remotes = f"--remotes={remote}" if remote else "--remotes"
    out = repo.git("rev-list", "--topo-order", "--reverse", head, "--not", remotes)
    commits = out.split()
    if not commits:
        return None  # every commit is already on the remote: nothing new to review
    parents = repo.git("rev-list", "--parents", "-n", "1", commits[0]).split()[1:]
    base = parents[0] if parents else EMPTY_TREE
    return PushRange(base, repo.resolve(head), f"{label} (new branch, {len(commits)} commit(s))")


def range_for_update(repo: Repository, update: RefUpdate, remote: str | None) -> PushRange | None:
    if update.local_sha == ZERO_SHA:
        return None  # a branch deletion pushes no code
    label = f"push of {update.local_ref} to {update.remote_ref}"
    if update.remote_sha != ZERO_SHA and _exists(repo, update.remote_sha):
        base = repo.merge_base(update.remote_sha, update.local_sha)
        return PushRange(base, update.local_sha, label)
    return new_branch_range(repo, update.local_sha, remote, label)


def _upstream(repo: Repository, head: str) -> str | None:
    ref = head if head != "HEAD" else ""
    spec = f"{ref}@{{upstream}}"
    out = repo.git("rev-parse", "--abbrev-ref", "--symbolic-full-name", spec, check=False)
    return out.strip() or None


def push_ranges(
    repo: Repository, environ: Mapping[str, str], lines: str | None = None
) -> list[PushRange]:
    """What a push sends, from (in order) pre-commit's refs, git's stdin lines, the upstream,
    or — for a branch with no upstream — all of its commits that no remote has."""
    remote = environ.get("PRE_COMMIT_REMOTE_NAME") or None
    from_ref, to_ref = environ.get("PRE_COMMIT_FROM_REF"), environ.get("PRE_COMMIT_TO_REF")
    if from_ref and to_ref:
        base = repo.merge_base(from_ref, to_ref)
        return [PushRange(base, repo.resolve(to_ref), f"{from_ref[:12]}...{to_ref[:12]}")]
    if lines is not None:
        ranges = (range_for_update(repo, u, remote) for u in parse_push_lines(lines))
        return [r for r in ranges if r is not None]
    if not repo.has_head():
        return []
    head = environ.get("PRE_COMMIT_LOCAL_BRANCH") or "HEAD"
    upstream = _upstream(repo, head)
    if upstream:
        base = repo.merge_base(upstream, head)
        return [PushRange(base, repo.resolve(head), f"{upstream}...{head}")]
    found = new_branch_range(repo, head, remote, head)
    return [found] if found else []


def diff_for(repo: Repository, r: PushRange) -> str:
    return repo.diff_commits(r.base, r.head)


def named_files(
    repo: Repository, environ: Mapping[str, str], paths: tuple[str, ...]
) -> tuple[str, str, str | None]:
    """(diff, what it is, base commit) for the file names pre-commit passes a hook
    (``pass_filenames``).

    ``--from-ref X --to-ref Y`` (PRE_COMMIT_FROM_REF/TO_REF): the range ``X...Y``, as
    pre-commit chose the files from it; a commit, whose names are all staged: the staged
    diff (deletions included, which pre-commit does not name); anything else (``run
    --all-files``, ``run --files A B``): the named files whole, as they are in the tree.
    """
    from_ref, to_ref = environ.get("PRE_COMMIT_FROM_REF"), environ.get("PRE_COMMIT_TO_REF")
    if from_ref and to_ref:
        base = repo.merge_base(from_ref, to_ref)
        literal = dict(os.environ, GIT_LITERAL_PATHSPECS="1")  # a name is a name, not a glob
        diff = repo.diff(base, repo.resolve(to_ref), "--", *paths, env=literal)
        return diff, f"{from_ref[:12]}...{to_ref[:12]}", base
    head = repo.resolve("HEAD") if repo.has_head() else None
    if set(paths) <= set(repo.changed_paths(staged=True)):
        return repo.diff_staged(), "staged changes", head
    whole = repo.diff_worktree(paths, base=EMPTY_TREE)
    return whole, f"{len(paths)} named file(s), whole", head


@dataclass(frozen=True)
class Budget:
    """The time budget of one review command: --timeout, else 60 s for a hook, else none.

    Every diff the command reviews (a push may send several) shares the one deadline.
    """

    total: float | None
    deadline: float | None

    @classmethod
    def start(cls, timeout: float | None, hook: bool) -> Budget:
        total = timeout if timeout is not None else (HOOK_TIMEOUT if hook else None)
        return cls(total, None if total is None else time.monotonic() + total)

    def left(self) -> float | None:
        return None if self.deadline is None else max(0.001, self.deadline - time.monotonic())

    def run(self, work: Callable[[], T]) -> T:
        """``work()`` within what is left; BudgetExceeded past the deadline."""
        return run_within(work, self.left(), self.total)


def fails_open(hook: bool, strict: bool) -> bool:
    """A hook passes with a warning when the review cannot be done; --strict or no --hook
    fails instead."""
    return hook and not strict
