"""The relay's own branch and worktree: create, commit, note, list, find to resume, remove.

The run's resume state and lock are in ``runstate``.

Every git call goes through ``run.git``. Nothing here touches the user's checkout:
the branch is created by ``git worktree add -b`` and all later work runs inside the
relay worktree. The calls that create, commit to or change the worktree run no hooks
(``NO_HOOKS``): a hook may run tracked files, and in the worktree those are model-written.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from relay_git.errors import GitError, UsageError
from relay_git.git.edits import protected
from relay_git.git.repo import Repository
from relay_git.git.run import Result, git
from relay_git.git.runstate import live_lock, read_state

BRANCH_PREFIX = "relay/"
MAX_SLUG = 40
# A hooks path that can hold no hook (git looks for <path>/<hook>, which cannot exist), so
# relay-git's own git calls never run the repository's or the user's hooks.
NO_HOOKS = ("-c", f"core.hooksPath={os.devnull}")


@dataclass(frozen=True)
class Identity:
    name: str
    email: str


@dataclass(frozen=True)
class RelayWorktree:
    path: Path
    branch: str  # "" for a detached (dry-run) worktree
    base: str  # the commit the branch started from

    def git(
        self, *args: str, env: Mapping[str, str] | None = None, stdin: str | None = None
    ) -> str:
        """stdout of ``git ARGS`` in the worktree, hooks off; a failure raises ``GitError``."""
        return git([*NO_HOOKS, *args], self.path, env=env, input_text=stdin).out

    def run(
        self, *args: str, env: Mapping[str, str] | None = None, stdin: str | None = None
    ) -> Result:
        """``git ARGS`` in the worktree, hooks off, never raising on its exit code."""
        return git([*NO_HOOKS, *args], self.path, env=env, input_text=stdin, check=False)

    @property
    def git_dir(self) -> Path:
        return Path(self.git("rev-parse", "--absolute-git-dir").strip())

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()


def slugify(task: str) -> str:
    """A branch-safe slug: ``Add a slugify() helper!`` -> ``add-a-slugify-helper``."""
    text = unicodedata.normalize("NFKD", task).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", text)
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > MAX_SLUG:
            break
        slug = candidate
    return slug or "task"


def default_branch(repo: Repository) -> str | None:
    proc = repo.run("symbolic-ref", "-q", "refs/remotes/origin/HEAD")
    if proc.ok and proc.out.strip():
        return proc.out.strip().removeprefix("refs/remotes/origin/")
    return repo.run("config", "init.defaultBranch").out.strip() or None


def check_branch_allowed(repo: Repository, branch: str, protected: Sequence[str]) -> None:
    """Refuse the default branch and any ``protected`` pattern from configuration."""
    if branch == default_branch(repo):
        raise UsageError(f"refusing to commit onto the default branch {branch!r}")
    for pattern in protected:
        if fnmatch.fnmatchcase(branch, pattern):
            raise UsageError(
                f"refusing to commit onto {branch!r}: it matches the protected pattern {pattern!r}",
                "change `protected` in .relay-git.toml",
            )


def branch_exists(repo: Repository, branch: str) -> bool:
    ref = f"refs/heads/{branch}"
    return repo.run("show-ref", "--verify", "-q", ref).ok


def free_branch(repo: Repository, slug: str) -> str:
    """``relay/<slug>``, or ``relay/<slug>-2``, ``-3``… when it is taken."""
    name = f"{BRANCH_PREFIX}{slug}"
    n = 2
    while branch_exists(repo, name):
        name = f"{BRANCH_PREFIX}{slug}-{n}"
        n += 1
    return name


def worktrees_root(repo: Repository) -> Path:
    return repo.state_dir / "worktrees"


def _check_location(repo: Repository, path: Path) -> Path:
    path = path.expanduser().resolve()
    root = repo.root.resolve()
    inside_git = path.is_relative_to(repo.common_dir.resolve())
    if path.is_relative_to(root) and not inside_git:
        raise UsageError(
            f"--worktree {path} is inside your working tree",
            "choose a directory outside the repository",
        )
    if path.exists() and any(path.iterdir()):
        raise UsageError(f"--worktree {path} exists and is not empty")
    return path


def create(
    repo: Repository, branch: str, base: str, path: Path | None, detach: bool = False
) -> RelayWorktree:
    """Add a worktree on a new branch (or detached, for a dry run) at ``base``."""
    if path is None:
        name = (branch or "dry-run").removeprefix(BRANCH_PREFIX).replace("/", "-")
        path = worktrees_root(repo) / name
        n = 2
        while path.exists():
            path = worktrees_root(repo) / f"{name}-{n}"
            n += 1
    path = _check_location(repo, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if detach:
        repo.git(*NO_HOOKS, "worktree", "add", "-q", "--detach", str(path), base)
    else:
        repo.git(*NO_HOOKS, "worktree", "add", "-q", "-b", branch, str(path), base)
    return RelayWorktree(path, "" if detach else branch, base)


def remove(repo: Repository, path: Path) -> None:
    repo.run("worktree", "remove", "--force", "--force", str(path))
    repo.run("worktree", "prune")


def delete_branch(repo: Repository, branch: str) -> None:
    if not branch.startswith(BRANCH_PREFIX):
        raise UsageError(f"refusing to delete {branch!r}: not a relay branch")
    repo.git("branch", "-D", branch)


@dataclass(frozen=True)
class ListedWorktree:
    path: Path
    branch: str
    locked_by: int | None  # pid of a live relay run
    finished: bool
    has_state: bool


def list_relay(repo: Repository) -> list[ListedWorktree]:
    """Worktrees on ``relay/*`` branches or under relay-git's worktree folder."""
    out = repo.git("worktree", "list", "--porcelain")
    found: list[ListedWorktree] = []
    ours = worktrees_root(repo).resolve()
    for block in out.strip().split("\n\n"):
        fields = dict(line.partition(" ")[::2] for line in block.splitlines())
        path = Path(fields.get("worktree", ""))
        branch = fields.get("branch", "").removeprefix("refs/heads/")
        if not (branch.startswith(BRANCH_PREFIX) or path.resolve().is_relative_to(ours)):
            continue
        state = read_state(path) if path.is_dir() else None
        found.append(
            ListedWorktree(
                path,
                branch,
                live_lock(path) if path.is_dir() else None,
                bool(state and state.get("finished")),
                state is not None,
            )
        )
    return found


def relay_branches(repo: Repository) -> list[str]:
    out = repo.git("for-each-ref", "--format=%(refname:short)", f"refs/heads/{BRANCH_PREFIX}")
    return [b for b in out.split() if b.startswith(BRANCH_PREFIX)]


# --- commits and notes ------------------------------------------------------------------


def _identity_env(
    environ: Mapping[str, str], author: Identity, wt: RelayWorktree
) -> dict[str, str]:
    env = dict(environ)
    env["GIT_AUTHOR_NAME"] = author.name
    env["GIT_AUTHOR_EMAIL"] = author.email
    if not git(["var", "GIT_COMMITTER_IDENT"], wt.path, env=env, check=False).ok:
        env["GIT_COMMITTER_NAME"] = author.name  # the user has no identity configured
        env["GIT_COMMITTER_EMAIL"] = author.email
    return env


def commit(
    wt: RelayWorktree,
    subject: str,
    body: str,
    trailers: Sequence[tuple[str, str]],
    author: Identity,
    environ: Mapping[str, str],
    paths: Sequence[str] | None = None,
) -> str:
    """Commit ``paths`` (None: everything in the worktree); no hook runs (``NO_HOOKS``,
    ``--no-verify``). Naming the paths keeps what the tests left behind (``__pycache__``)
    out of the relay's commits."""
    wt.git("add", "-A", "--", *paths) if paths else wt.git("add", "-A")
    trailer_text = "\n".join(f"{k}: {v}" for k, v in trailers)
    message = (
        f"{subject}\n\n{body.strip()}\n\n{trailer_text}\n"
        if body.strip()
        else (f"{subject}\n\n{trailer_text}\n")
    )
    env = _identity_env(environ, author, wt)
    proc = wt.run("commit", "-q", "--no-verify", "--allow-empty", "-F", "-", env=env, stdin=message)
    if not proc.ok:
        detail = (proc.err.strip() or proc.out.strip()).splitlines()
        raise GitError(
            f"the relay commit was refused ({subject!r}): {detail[-1] if detail else 'no message'}",
            f"a git setting blocked it; fix that and rerun with --resume (work is in {wt.path})",
        )
    return wt.head()


def add_note(wt: RelayWorktree, text: str, author: Identity, environ: Mapping[str, str]) -> None:
    env = _identity_env(environ, author, wt)
    wt.git("notes", "--ref=relay", "add", "-f", "-F", "-", "HEAD", env=env, stdin=text)


def reset_clean(wt: RelayWorktree) -> None:
    """Drop uncommitted leftovers of an interrupted stage: back to the last good commit.

    Called under the run lock, so an ``index.lock`` here was left by a git process of
    the interrupted run (killed inside ``git add``/``git commit``), not one still working.
    """
    with contextlib.suppress(FileNotFoundError):
        (wt.git_dir / "index.lock").unlink()
    wt.git("reset", "-q", "--hard", "HEAD")
    wt.git("clean", "-q", "-fd")


def discard_protected(wt: RelayWorktree, allow: Sequence[str]) -> list[str]:
    """Undo uncommitted changes to protected paths (``edits.PROTECTED``) not in ``allow``.

    Model-written tests can write any file in the worktree; what they write to ``.github/``
    or ``.gitattributes`` must not reach a relay commit. Returns the paths undone.
    """
    out = wt.git("status", "--porcelain", "-z", "--untracked-files=all", "--no-renames")
    undone = []
    for entry in out.split("\0"):
        code, path = entry[:2], entry[3:]
        if not path or protected(PurePosixPath(path), allow) is None:
            continue
        if code == "??" or not wt.run("checkout", "-q", "HEAD", "--", path).ok:
            wt.git("rm", "-q", "--cached", "-f", "--ignore-unmatch", "--", path)
            (wt.path / path).unlink(missing_ok=True)
        undone.append(path)
    return undone


def find_resumable(repo: Repository, slug: str) -> ListedWorktree:
    """The latest unfinished relay worktree for ``slug`` (``relay/<slug>`` or ``-N``)."""
    pattern = re.compile(rf"^{re.escape(BRANCH_PREFIX + slug)}(-\d+)?$")
    candidates = [
        w for w in list_relay(repo) if pattern.match(w.branch) and w.has_state and not w.finished
    ]
    if not candidates:
        raise UsageError(
            f"no interrupted relay run for {BRANCH_PREFIX}{slug} to resume",
            "start it again without --resume",
        )
    return max(candidates, key=lambda w: (len(w.branch), w.branch))
