"""Unified diffs as models write them: ``--- a/x`` / ``+++ b/x`` headers, ``@@`` hunks whose
line numbers may be wrong. Each hunk is placed by its text (context and removed lines), the
way a SEARCH/REPLACE block is, with the header's line number only breaking ties."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

_GIT_HEADERS = (
    "diff --git",
    "index ",
    "new file mode",
    "deleted file mode",
    "old mode",
    "new mode",
    "similarity index",
    "rename from",
    "rename to",
    "\\",  # "\ No newline at end of file"
)
_HUNK = re.compile(r"^@@\s*-(\d+)(?:,\d+)?\s+\+\d+(?:,\d+)?\s*@@")


@dataclass(frozen=True)
class Hunk:
    """One hunk: its lines tagged ``" "`` (context), ``"-"`` or ``"+"``."""

    ops: tuple[tuple[str, str], ...]
    line: int | None  # the header's old start line, when it has one

    @property
    def old(self) -> str:
        return _join([text for op, text in self.ops if op != "+"])

    @property
    def new(self) -> str:
        return _join([text for op, text in self.ops if op != "-"])

    def narrowed(self) -> Iterator[tuple[str, str]]:
        """(old, new) with one, two, ... fewer context lines on each side of the change,
        while a line to find remains: a model's context line may be wrong."""
        changed = [i for i, (op, _) in enumerate(self.ops) if op != " "]
        if not changed:
            return
        lead, trail = changed[0], len(self.ops) - 1 - changed[-1]
        for k in range(1, max(lead, trail) + 1):
            ops = self.ops[min(k, lead) : len(self.ops) - min(k, trail)]
            old = _join([text for op, text in ops if op != "+"])
            if old.strip():
                yield old, _join([text for op, text in ops if op != "-"])


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
    ops: list[tuple[str, str]] = []
    line: int | None = None
    current: FilePatch | None = None

    def close() -> None:
        while ops and ops[-1] == (" ", ""):
            ops.pop()  # blank lines after the last hunk are the fence's, not context
        if current is not None and ops:
            current.hunks.append(Hunk(tuple(ops), line))
        ops.clear()

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
        elif current is not None and not text.startswith(_GIT_HEADERS):
            ops.append(_hunk_line(text))
    close()
    return patches


def _hunk_line(text: str) -> tuple[str, str]:
    if text.startswith(("-", "+")):
        return text[0], text[1:]
    return " ", text[1:] if text.startswith(" ") else text  # a blank line lost its space


def _join(lines: list[str]) -> str:
    return "".join(f"{line}\n" for line in lines)
