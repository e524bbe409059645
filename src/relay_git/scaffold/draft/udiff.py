"""Unified diffs as models write them: ``--- a/x`` / ``+++ b/x`` headers, ``@@`` hunks whose
line numbers may be wrong. Each hunk is placed by its text (context and removed lines), the
way a SEARCH/REPLACE block is, with the header's line number only breaking ties."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

_HUNK = re.compile(r"^@@\s*-(\d+)(?:,\d+)?\s+\+\d+(?:,\d+)?\s*@@")


@dataclass(frozen=True)
class Hunk:
    old: str
    new: str
    line: int | None  # the header's old start line, when it has one


@dataclass
class FilePatch:
    """One file of a diff. ``path`` None: the header names none (or it is /dev/null)."""

    old_path: str | None = None
    new_path: str | None = None
    hunks: list[Hunk] = field(default_factory=list)

    @property
    def path(self) -> str | None:
        return self.new_path or self.old_path

    @property
    def creates(self) -> bool:
        return self.old_path is None and self.new_path is not None

    @property
    def deletes(self) -> bool:
        return self.new_path is None and self.old_path is not None


def is_diff_block(lang: str, body: str) -> bool:
    """A fenced block holding a diff: ```diff/```patch, or unlabelled text shaped like one."""
    return lang in ("diff", "patch", "udiff") or (not lang and looks_like_diff(body))


def looks_like_diff(body: str) -> bool:
    lines = body.splitlines()
    has_header = any(
        a.startswith("--- ") and b.startswith("+++ ") for a, b in itertools.pairwise(lines)
    )
    return has_header and any(line.startswith("@@") for line in lines)


def _header_path(line: str) -> str | None:
    raw = line[4:].split("\t")[0].strip()
    if raw == "/dev/null" or not raw:
        return None
    return raw[2:] if raw.startswith(("a/", "b/")) else raw


def parse_diff(body: str) -> list[FilePatch]:
    """The file patches of ``body``; hunks before any header land in one unnamed patch."""
    patches: list[FilePatch] = []
    lines = body.splitlines()
    old: list[str] = []
    new: list[str] = []
    line: int | None = None
    current: FilePatch | None = None

    def close() -> None:
        nonlocal old, new
        if current is not None and (old or new):
            current.hunks.append(Hunk(_join(old), _join(new), line))
        old, new = [], []

    for n, text in enumerate(lines):
        if text.startswith("--- ") and n + 1 < len(lines) and lines[n + 1].startswith("+++ "):
            close()
            current = FilePatch(_header_path(text), _header_path(lines[n + 1]))
            patches.append(current)
        elif text.startswith("+++ ") and n > 0 and lines[n - 1].startswith("--- "):
            continue
        elif (match := _HUNK.match(text)) or text.startswith("@@"):
            close()
            line = int(match.group(1)) if match else None
            if current is None:
                current = FilePatch()
                patches.append(current)
        elif current is not None and not text.startswith(("diff --git", "index ", "\\")):
            _hunk_line(text, old, new)
    close()
    return patches


def _hunk_line(text: str, old: list[str], new: list[str]) -> None:
    if text.startswith("-"):
        old.append(text[1:])
    elif text.startswith("+"):
        new.append(text[1:])
    else:
        body = text[1:] if text.startswith(" ") else text  # a blank context line lost its space
        old.append(body)
        new.append(body)


def _join(lines: list[str]) -> str:
    return "".join(f"{line}\n" for line in lines)
