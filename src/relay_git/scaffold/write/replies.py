"""Reading a writing reply into files: the writing stages' one door to ``scaffold.draft``
(whole files, Python merged by qualified name, SEARCH/REPLACE, diffs, several files)."""

from __future__ import annotations

from collections.abc import Sequence

from relay_git.scaffold.draft import Applied, apply_reply
from relay_git.scaffold.draft import edit_formats as _formats

__all__ = ["Applied", "apply_reply", "edit_formats"]


def edit_formats(paths: Sequence[str], existing: bool) -> str:
    """The edit forms a request offers: none beyond its one block for a single new file
    (a small model does best with one plain ask), all of them otherwise."""
    if len(paths) == 1 and not existing:
        return ""
    return _formats(list(paths))
