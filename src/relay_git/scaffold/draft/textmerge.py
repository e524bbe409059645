"""Text blocks that hold only part of an existing file.

Markdown: a block that starts with a heading, does not repeat the document's first line and
keeps under half of its lines is a set of sections. Each of its top sections replaces the
section with the same heading (down to the next heading of its level or above), or is added
at the end. Headings inside fenced code (``# a comment`` in a ```bash block) are not headings.

Other text (YAML, INI, plain text...): a block that keeps under a third of a file of ten or
more lines, and is under half its length, looks like a fragment; it is not applied (the
caller says so), since writing it whole would lose the rest of the file.
"""

from __future__ import annotations

import re
from collections import Counter

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")

Section = tuple[int, str, int, int]  # (level, heading text, first line, end line)


def kept_share(old: str, new: str) -> float:
    """The share of ``old``'s non-blank lines that ``new`` still has (stripped)."""
    old_lines = [line.strip() for line in old.splitlines() if line.strip()]
    have = Counter(line.strip() for line in new.splitlines() if line.strip())
    kept = 0
    for line in old_lines:
        if have[line] > 0:
            have[line] -= 1
            kept += 1
    return kept / len(old_lines) if old_lines else 1.0


def looks_partial(old: str, new: str) -> bool:
    """``new`` looks like a fragment of ``old`` rather than the whole new file."""
    size = len([line for line in old.splitlines() if line.strip()])
    short = len([line for line in new.splitlines() if line.strip()]) < size / 2
    return size >= 10 and short and kept_share(old, new) < 1 / 3


def sections(lines: list[str]) -> list[Section]:
    """The headings of a markdown document with the span each one heads."""
    heads: list[tuple[int, str, int]] = []
    fence = ""
    for n, line in enumerate(lines):
        opened = _FENCE.match(line)
        if fence:
            closes = opened and line.strip() == opened.group(1) and opened.group(1)[0] == fence[0]
            if closes and len(line.strip()) >= len(fence):
                fence = ""
            continue
        if opened:
            fence = opened.group(1)
            continue
        match = _HEADING.match(line)
        if match:
            heads.append((len(match.group(1)), match.group(2).strip().lower(), n))
    out: list[Section] = []
    for i, (level, text, start) in enumerate(heads):
        end = next((s for lv, _, s in heads[i + 1 :] if lv <= level), len(lines))
        out.append((level, text, start, end))
    return out


def merge_markdown(old: str, block: str) -> str | None:
    """``old`` with ``block``'s sections put in, or None when ``block`` is the whole file."""
    new_lines, old_lines = block.splitlines(), old.splitlines()
    first_old = next((line.strip() for line in old_lines if line.strip()), "")
    first_new = next((line for line in new_lines if line.strip()), "")
    if not _HEADING.match(first_new) or first_old in {line.strip() for line in new_lines}:
        return None
    if kept_share(old, block) >= 0.5:
        return None
    new_sections = sections(new_lines)
    top = min(level for level, *_ in new_sections)
    out = list(old_lines)
    for level, text, start, end in [s for s in new_sections if s[0] == top]:
        part = _trim(new_lines[start:end])
        match = [s for s in sections(out) if s[1] == text and s[0] == level]
        if match:
            _, _, at, until = match[0]
            tail = out[at:until][len(_trim(out[at:until])) :]
            out[at:until] = [*part, *tail]
        else:
            out += ["", *part] if out and out[-1].strip() else part
    return "\n".join(out).rstrip("\n") + "\n"


def _trim(lines: list[str]) -> list[str]:
    out = list(lines)
    while out and not out[-1].strip():
        out.pop()
    return out
