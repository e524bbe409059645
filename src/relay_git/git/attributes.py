"""Which files a commit's ``.gitattributes`` mark ``linguist-generated``.

Read from the commit itself, never from the work tree or the change under review: the
commit's tree goes into a throwaway index and ``git check-attr --cached`` reads the
attributes from there (``check-attr --source`` needs git 2.40).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from relay_git.git.repo import EMPTY_TREE, Repository
from relay_git.git.run import git

ATTRIBUTE = "linguist-generated"


def generated_at(repo: Repository, commit: str, paths: Sequence[str]) -> frozenset[str]:
    """The ``paths`` that ``commit``'s attributes mark ``linguist-generated`` (set or true)."""
    if not paths or commit == EMPTY_TREE:
        return frozenset()
    with tempfile.TemporaryDirectory(prefix="relay-git-attr-") as tmp:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        git(["read-tree", commit], repo.root, env=env)
        listing = "\0".join(paths) + "\0"
        out = git(
            ["check-attr", "--cached", "--stdin", "-z", ATTRIBUTE],
            repo.root,
            env=env,
            input_text=listing,
        ).out
    fields = out.split("\0")
    marked = {fields[i] for i in range(0, len(fields) - 2, 3) if fields[i + 2] in ("set", "true")}
    return frozenset(marked)
