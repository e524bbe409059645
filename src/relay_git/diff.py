"""Unified diff text -> FileDiff/Hunk values, and new-side line mapping.

The only module that imports unidiff. Pure: takes a string, never a repository.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    kind: str  # "+" added, "-" removed, " " context
    old_no: int | None
    new_no: int | None
    text: str  # without the leading marker and without the trailing newline


@dataclass(frozen=True)
class Hunk:
    old_start: int
    old_len: int
    new_start: int
    new_len: int
    section: str  # text after the second @@ (function context), may be ""
    lines: tuple[Line, ...]

    @property
    def header(self) -> str:
        return f"@@ -{self.old_start},{self.old_len} +{self.new_start},{self.new_len} @@" + (
            f" {self.section}" if self.section else ""
        )

    @property
    def text(self) -> str:
        """The hunk as unified-diff text, header included, newline-terminated."""
        raise NotImplementedError

    def new_side(self) -> frozenset[int]:
        """New-side line numbers this hunk shows (added and context lines)."""
        raise NotImplementedError

    def added(self) -> frozenset[int]:
        raise NotImplementedError


@dataclass(frozen=True)
class FileDiff:
    path: str  # new path (old path for a deletion)
    old_path: str | None  # None for an added file
    status: str  # "added" | "deleted" | "modified" | "renamed"
    is_binary: bool
    hunks: tuple[Hunk, ...]
    header: str  # the "diff --git" header lines up to the first hunk, newline-terminated
    old_mode: str | None = None
    new_mode: str | None = None

    @property
    def added_count(self) -> int:
        raise NotImplementedError

    @property
    def removed_count(self) -> int:
        raise NotImplementedError

    @property
    def text(self) -> str:
        """The file's whole patch text (header + hunks)."""
        raise NotImplementedError

    def new_side(self) -> frozenset[int]:
        raise NotImplementedError

    def hunk_for(self, line: int) -> Hunk | None:
        """The hunk whose new side shows ``line``, if any."""
        raise NotImplementedError


def parse(text: str) -> list[FileDiff]:
    """Parse a unified diff as produced by ``git diff`` (also accepts plain ``diff -u``)."""
    raise NotImplementedError


def anchorable(fd: FileDiff, line: int, end_line: int) -> bool:
    """True when line..end_line lie on the new side of one and the same hunk."""
    raise NotImplementedError
