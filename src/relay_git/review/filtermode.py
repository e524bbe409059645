"""Which findings count: reviewdog's ``-filter-mode``, over the lines a diff shows.

A finding counts (toward the exit code, and as a finding rather than a summary note)
when any line of its range passes the mode — as reviewdog's ``FilterCheck`` decides:

- ``added`` (default): an added or changed line of the diff.
- ``diff_context``: any line the diff shows on the new side, its context lines included.
- ``file``: any line of a file the diff touches.
- ``nofilter``: everything the reviewer reported, even in files outside the diff.

Only a finding whose whole range lies in one hunk can be placed inline on a pull
request; a counted finding elsewhere goes to the review's body.
"""

from __future__ import annotations

import enum

from relay_git.review.diff import FileDiff


class FilterMode(enum.StrEnum):
    ADDED = "added"
    DIFF_CONTEXT = "diff_context"
    FILE = "file"
    NOFILTER = "nofilter"


MODES = tuple(m.value for m in FilterMode)


def counts(fd: FileDiff | None, line: int, end_line: int, mode: FilterMode) -> bool:
    """Whether a finding on ``line..end_line`` of ``fd`` (None: a file outside the diff) counts."""
    if mode is FilterMode.NOFILTER:
        return True
    if fd is None:
        return False
    if mode is FilterMode.FILE:
        return True
    for hunk in fd.hunks:
        shown = hunk.added() if mode is FilterMode.ADDED else hunk.new_side()
        if any(line <= n <= end_line for n in shown):
            return True
    return False
