"""Replacing a run of lines found by its text: the core of SEARCH/REPLACE and diff hunks.

The SEARCH lines are looked for exactly first; then ignoring trailing whitespace (and blank
lines around the SEARCH); then with one uniform shift of leading indentation, in which case
the replacement is shifted the same way. One place must match: none or several is a
``Miss`` that says which, with the closest line of the file for the model to copy.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Miss:
    """Why the SEARCH lines could not be placed: ``"none"`` or ``"many"`` matches."""

    kind: str
    count: int = 0
    closest: tuple[int, str] | None = None  # (1-based line, text) of the nearest file line


def replace_lines(content: str, search: str, replace: str, hint: int | None = None) -> str | Miss:
    """``content`` with the one place matching ``search`` replaced by ``replace``.

    ``hint`` (a 1-based line, from a diff hunk header) picks among several matches."""
    lines, old, new = content.splitlines(), search.splitlines(), replace.splitlines()
    present = {line.strip() for line in lines}
    if any(line.strip() not in present for line in old if line.strip()):  # none can place it
        return Miss("none", 0, closest(lines, old))
    for matcher in (_exact, _loose, _shifted):
        found = matcher(lines, old)
        if not found:
            continue
        if len(found) > 1 and hint is None:
            return Miss("many", len(found))
        start, end, shift = min(found, key=lambda f: abs(f[0] + 1 - (hint or 0)))
        out = [*lines[:start], *(_shift(line, shift) for line in new), *lines[end:]]
        return "\n".join(out) + "\n" if out else ""
    return Miss("none", 0, closest(lines, old))


Found = list[tuple[int, int, int]]  # (start, end, indentation shift) of each match


def _windows(lines: Sequence[str], old: Sequence[str], same: Callable[[str, str], bool]) -> Found:
    size = len(old)
    if size == 0:
        return []
    return [
        (s, s + size, 0)
        for s in range(len(lines) - size + 1)
        if all(same(lines[s + k], old[k]) for k in range(size))
    ]


def _exact(lines: Sequence[str], old: Sequence[str]) -> Found:
    return _windows(lines, old, str.__eq__)


def _trim(old: Sequence[str]) -> list[str]:
    out = list(old)
    while out and not out[0].strip():
        out.pop(0)
    while out and not out[-1].strip():
        out.pop()
    return out


def _loose(lines: Sequence[str], old: Sequence[str]) -> Found:
    return _windows(lines, _trim(old), lambda a, b: a.rstrip() == b.rstrip())


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _shifted(lines: Sequence[str], old: Sequence[str]) -> Found:
    """Matches where every non-blank line differs by the same leading-space count."""
    core = _trim(old)
    first = next((line for line in core if line.strip()), None)
    if first is None:
        return []
    found: Found = []
    for s in range(len(lines) - len(core) + 1):
        shift = _indent(lines[s]) - _indent(core[0]) if core[0].strip() else 0
        if shift and all(
            lines[s + k].rstrip() == _shift(core[k].rstrip(), shift) for k in range(len(core))
        ):
            found.append((s, s + len(core), shift))
    return found


def _shift(line: str, shift: int) -> str:
    if not line.strip() or shift == 0:
        return line
    if shift > 0:
        return " " * shift + line
    cut = min(-shift, _indent(line))
    return line[cut:]


def closest(lines: Sequence[str], old: Sequence[str]) -> tuple[int, str] | None:
    """The file line most like the SEARCH's first non-blank line (1-based), if any is."""
    first = next((line.strip() for line in old if line.strip()), "")
    stripped = [line.strip() for line in lines]
    unique = list(dict.fromkeys(stripped))
    best = difflib.get_close_matches(first, unique, n=1, cutoff=0.5) if first else []
    if not best:
        return None
    index = stripped.index(best[0])
    return index + 1, lines[index]
