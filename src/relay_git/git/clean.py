"""What ``relay-git clean`` may remove, and what it keeps and why (as ``git branch -d``
and ``git worktree remove`` keep work): merged relay branches go, unmerged ones and
worktrees with uncommitted changes stay unless forced, the main checkout is never touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from relay_git.git.repo import Repository
from relay_git.git.run import git
from relay_git.git.runstate import saved_at
from relay_git.git.worktree import ListedWorktree, default_branch, list_relay, relay_branches


def main_checkout(repo: Repository) -> dict[str, str]:
    """The main working tree's ``git worktree list --porcelain`` fields (worktree, HEAD…)."""
    first = repo.git("worktree", "list", "--porcelain").split("\n\n", 1)[0]
    return dict(line.partition(" ")[::2] for line in first.splitlines())


def merge_targets(repo: Repository) -> list[str]:
    """What a merged relay branch is reachable from: the default branch (local and
    ``origin/``) and HEAD of the main checkout (the first ``git worktree list`` entry)."""
    targets: list[str] = []
    name = default_branch(repo)
    if name:
        for ref in (f"refs/heads/{name}", f"refs/remotes/origin/{name}"):
            if repo.run("rev-parse", "--verify", "-q", f"{ref}^{{commit}}").ok:
                targets.append(ref)
    head = main_checkout(repo).get("HEAD", "")
    if head and set(head) != {"0"}:  # an unborn HEAD lists as zeros
        targets.append(head)
    return targets


def unmerged_commits(repo: Repository, branch: str, targets: Sequence[str]) -> int:
    """How many commits of ``branch`` none of ``targets`` reaches (0: merged)."""
    if not targets:  # nothing to compare with: every commit counts as unmerged
        return int(repo.git("rev-list", "--count", branch).strip() or 0)
    out = repo.git("rev-list", "--count", branch, "--not", *targets, "--")
    return int(out.strip() or 0)


def uncommitted(path: Path) -> list[str]:
    """Paths changed since the relay run there last saved its state (all of them in a
    worktree with no run state): staged, unstaged or untracked, ignored files aside, as
    ``git worktree remove`` judges it. What the run itself left (its tests' caches, an
    interrupted stage's edits) predates that save and does not count."""
    if not path.is_dir():
        return []
    proc = git(["status", "--porcelain", "-z", "--untracked-files=all"], path, check=False)
    if not proc.ok:  # a broken worktree: let its removal say what is wrong
        return []
    since = saved_at(path)
    changed = []
    for name in (entry[3:] for entry in proc.out.split("\0") if entry[3:]):
        try:
            newer = since is None or (path / name).lstat().st_mtime > since
        except OSError:  # deleted: no date to compare, so it counts
            newer = True
        if newer:
            changed.append(name)
    return changed


@dataclass(frozen=True)
class CleanStep:
    """One thing ``relay-git clean`` removes, or keeps (``keep`` says why)."""

    kind: str  # "worktree" | "branch"
    name: str  # the worktree's path or the branch
    keep: str = ""
    state: str = ""  # a worktree's run: "finished" | "abandoned"


def _keep_worktree(item: ListedWorktree, force: bool) -> str:
    if item.locked_by is not None:
        return f"a run (pid {item.locked_by}) is still working there"
    dirty = [] if force else uncommitted(item.path)
    if dirty:
        more = f" and {len(dirty) - 3} more" if len(dirty) > 3 else ""
        return f"uncommitted changes ({', '.join(dirty[:3])}{more}); --force removes them"
    return ""


def plan_clean(repo: Repository, branches: bool, force: bool) -> list[CleanStep]:
    """What ``relay-git clean`` does, in order: worktrees first, then (``branches``) the
    relay branches. Kept without ``force``: a worktree with uncommitted changes and a
    branch with commits the default branch / the main checkout's HEAD does not reach (as
    ``git branch -d``). A live run's worktree and its branch are always kept."""
    steps: list[CleanStep] = []
    held: dict[str, str] = {}
    main = Path(main_checkout(repo).get("worktree", "")).resolve()
    for item in list_relay(repo):
        if item.path.resolve() == main:  # never removed: the user's own checkout
            held[item.branch] = f"checked out in your main checkout {item.path}"
            continue
        why = _keep_worktree(item, force)
        steps.append(
            CleanStep("worktree", str(item.path), why, "finished" if item.finished else "abandoned")
        )
        if why and item.branch:
            held[item.branch] = f"its worktree {item.path} is kept"
    if not branches:
        return steps
    targets = merge_targets(repo)
    into = default_branch(repo) or "HEAD"
    for branch in relay_branches(repo):
        why = held.get(branch, "")
        if not why and not force:
            n = unmerged_commits(repo, branch, targets)
            if n:
                commits = "commit" if n == 1 else "commits"
                why = f"not merged into {into} ({n} {commits}); --force deletes it"
        steps.append(CleanStep("branch", branch, why))
    return steps
