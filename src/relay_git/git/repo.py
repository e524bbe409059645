"""The user's repository: discovery, revisions, blobs and diffs, through ``run.git``.

``Repository.git`` returns stdout; ``Repository.run`` returns the whole ``Result`` for the
callers that decide on git's exit code. User configuration that would change diff output
(colour, external diff, prefixes) is overridden per call.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from relay_git.errors import UsageError
from relay_git.git.run import Result, git

# Diff output we can parse whatever the user's config says.
_FORMAT_FLAGS = (
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    "--find-renames",
    "--unified=3",
)
# ``--text``: a change's own ``.gitattributes`` (``app.py -diff``, ``binary``, a binary
# driver) cannot make a text file look binary and be skipped unseen; ``diff.parse``
# calls a file binary by its content (NUL bytes in text that is not valid UTF-8).
DIFF_FLAGS = ("--text", *_FORMAT_FLAGS)
GIT_BINARY_WINDOW = 8000  # git calls a blob binary when its first 8000 bytes hold a NUL
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
# What ``discover`` asks, one path a line (a path may hold a line break of its own).
_WHERE = ("--show-toplevel", "--absolute-git-dir", "--git-common-dir")


@dataclass(frozen=True)
class Repository:
    root: Path  # top of the working tree
    git_dir: Path  # this worktree's git dir
    common_dir: Path  # shared git dir (same as git_dir outside linked worktrees)

    @classmethod
    def discover(cls, path: Path) -> Repository:
        if not path.is_dir():
            raise UsageError(f"{path}: no such directory")
        proc = git(["rev-parse", *_WHERE], path, check=False)
        if not proc.ok:
            raise UsageError(
                f"{path} is not inside a git repository", "run it in a repository, or `git init`"
            )
        paths = proc.out.split("\n")
        if len(paths) != len(_WHERE) + 1:  # a path holding a line break: one path per call
            paths = [git(["rev-parse", ask], path).out.removesuffix("\n") for ask in _WHERE]
        top, git_dir, common = paths[: len(_WHERE)]
        common_path = Path(common)
        if not common_path.is_absolute():
            common_path = (path / common_path).resolve()
        return cls(Path(top), Path(git_dir), common_path)

    def git(self, *args: str, check: bool = True, input_text: str | None = None) -> str:
        """stdout of ``git ARGS`` in the working tree; a failure raises unless ``check=False``."""
        return git(args, self.root, input_text=input_text, check=check).out

    def run(self, *args: str, input_text: str | None = None) -> Result:
        """``git ARGS`` in the working tree, never raising on its exit code: decide on ``rc``."""
        return git(args, self.root, input_text=input_text, check=False)

    @property
    def state_dir(self) -> Path:
        """relay-git's own files (cache, locks, saved replies) live under the git dir."""
        return self.common_dir / "relay-git"

    def has_head(self) -> bool:
        return self.run("rev-parse", "--verify", "-q", "HEAD").ok

    def resolve(self, rev: str) -> str:
        if rev.startswith("-"):
            raise UsageError(f"bad revision {rev!r}")
        proc = self.run("rev-parse", "--verify", "-q", f"{rev}^{{commit}}")
        if not proc.ok:
            raise UsageError(f"unknown revision {rev!r}", "check the name with `git log --oneline`")
        return proc.out.strip()

    def read_blob(self, rev: str, path: str) -> str | None:
        """The text of ``path`` at commit ``rev``; None when it is absent there."""
        proc = self.run("cat-file", "blob", f"{rev}:{path}")
        return proc.out if proc.ok else None

    def diff(self, *args: str, env: dict[str, str] | None = None) -> str:
        """``git diff ARGS`` with ``--text`` semantics, at ``git diff``'s cost when it can.

        The diff is first taken as git would show it. Only when git printed a file as
        binary, and that file is not binary by content where git looks (an attribute
        decided, or a NUL byte in otherwise valid UTF-8 text), is it taken again with
        ``--text``; a change with a large real binary is not diffed line by line just in case.
        """
        shown = git(["diff", *_FORMAT_FLAGS, *args], self.root, env=env).out
        if "Binary files " not in shown or self._binaries_are_real(args, env):
            return shown
        return git(["diff", *DIFF_FLAGS, *args], self.root, env=env).out

    def _binaries_are_real(self, args: Sequence[str], env: dict[str, str] | None) -> bool:
        stat_flags = ("--raw", "--numstat", "--no-abbrev", "-z", *_FORMAT_FLAGS)
        stats = git(["diff", *stat_flags, *args], self.root, env=env).out
        blobs = binary_blobs(stats)
        return blobs is not None and all(
            self._blob_is_binary(old) or self._blob_is_binary(new) for old, new in blobs
        )

    def _blob_is_binary(self, sha: str) -> bool:
        """A NUL byte where git looks, in text that is not valid UTF-8 (one NUL in a script
        does not make it binary)."""
        if not sha.strip("0"):  # the missing side of an added or deleted file
            return False
        head = self.git("cat-file", "blob", sha)[:GIT_BINARY_WINDOW]
        return "\0" in head and any("\udc80" <= c <= "\udcff" for c in head)

    def diff_staged(self, paths: Sequence[str] = ()) -> str:
        return self.diff("--cached", "--", *paths)

    def diff_unstaged(self) -> str:
        """The working tree against the index (``git diff``): intent-to-add files included."""
        return self.diff("--")

    def diff_worktree(self, paths: Sequence[str] = (), base: str | None = None) -> str:
        """The working tree, untracked files included (not ignored ones), against ``base``:
        HEAD (the empty tree before the first commit) unless given.

        Untracked files are added to a temporary copy of the index (``GIT_INDEX_FILE``),
        never to the user's own, and the copy is diffed against ``base``.
        """
        base = base or ("HEAD" if self.has_head() else EMPTY_TREE)
        with tempfile.TemporaryDirectory(prefix="relay-git-index-") as tmp:
            index = Path(tmp) / "index"
            real = Path(self.git("rev-parse", "--git-path", "index").strip())
            real = real if real.is_absolute() else self.root / real
            if real.is_file():
                shutil.copyfile(real, index)
            env = dict(os.environ, GIT_INDEX_FILE=str(index), GIT_LITERAL_PATHSPECS="1")
            git(["add", "-A", "--", *(paths or ["."])], self.root, env=env)
            return self.diff("--cached", base, "--", *paths, env=env)

    def changed_paths(self, staged: bool) -> list[str]:
        """Tracked paths with staged (or unstaged) changes, and with ``staged=False`` also
        untracked files that are not ignored."""
        if staged:
            return self.git("diff", "--cached", "--name-only", "-z").split("\0")[:-1]
        out = self.git("diff", "--name-only", "-z").split("\0")[:-1]
        return out + self.git("ls-files", "--others", "--exclude-standard", "-z").split("\0")[:-1]

    def diff_range(self, spec: str) -> str:
        """``A..B`` (B's tree against A's), ``A...B`` (against their merge-base), or one
        revision ``A``: the working tree against A, as ``git diff A`` shows it."""
        if ".." in spec:
            return self.diff_commits(*self.range_ends(spec))
        return self.diff(self.resolve(spec), "--")

    def range_ends(self, spec: str) -> tuple[str, str]:
        """The (old, new) commits of ``A..B`` or ``A...B``; for one revision ``A``, A and
        HEAD (the working tree is what ``diff_range`` shows against A)."""
        if "..." in spec:
            left, right = spec.split("...", 1)
            base = self.merge_base(left or "HEAD", right or "HEAD")
            return base, self.resolve(right or "HEAD")
        if ".." in spec:
            left, right = spec.split("..", 1)
            return self.resolve(left or "HEAD"), self.resolve(right or "HEAD")
        return self.resolve(spec), self.resolve("HEAD")

    def diff_commits(self, old: str, new: str) -> str:
        return self.diff(old, new, "--")

    def merge_base(self, a: str, b: str = "HEAD") -> str:
        ra, rb = self.resolve(a), self.resolve(b)
        proc = self.run("merge-base", ra, rb)
        if not proc.ok:
            raise UsageError(f"{a} and {b} have no common ancestor")
        return proc.out.strip()


def binary_blobs(raw_numstat: str) -> list[tuple[str, str]] | None:
    """(old blob, new blob) of each file ``git diff --raw --numstat -z`` counts as binary.

    None when the output cannot be read; the caller then takes the diff with ``--text``.
    """
    tokens = raw_numstat.split("\0")
    blobs: dict[str, tuple[str, str]] = {}
    binary: list[str] = []
    i = 0
    try:
        while i < len(tokens) and tokens[i]:
            head = tokens[i]
            if head.startswith(":"):
                _, _, old, new, status = head[1:].split(" ")
                names = 2 if status[:1] in "RC" else 1
                blobs[tokens[i + names]] = (old, new)
                i += 1 + names
            else:
                added, _, path = head.split("\t", 2)
                path, i = (path, i + 1) if path else (tokens[i + 2], i + 3)
                if added == "-":
                    binary.append(path)
    except (ValueError, IndexError):
        return None
    if not all(path in blobs for path in binary):
        return None
    return [blobs[path] for path in binary]
