"""A TOML block holding only some tables of an existing file, merged table by table.

A model asked to add a console script often writes just ``[project.scripts]``. When the block
has no top-level keys and no arrays of tables (``[[...]]``), and leaves out some table of the
old file, it is such a fragment: each of its tables replaces the table of the same header, or
is added after the last table of its family (``[project.scripts]`` after ``[project...]``).
Otherwise the block is the whole file. The caller checks that the result parses.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*\[(?!\[)\s*([^\]\[]+?)\s*\]\s*(?:#.*)?$")
_ARRAY = re.compile(r"^\s*\[\[")

Section = tuple[str, list[str]]  # (header key, or "" for the lines before the first header)


def _key(raw: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in raw.split("."))


def sections(text: str) -> list[Section]:
    out: list[Section] = [("", [])]
    for line in text.splitlines():
        match = _HEADER.match(line)
        if match:
            out.append((_key(match.group(1)), [line]))
        else:
            out[-1][1].append(line)
    return out


def _has_keys(lines: list[str]) -> bool:
    return any(line.strip() and not line.lstrip().startswith("#") for line in lines)


def merge_toml(old: str, block: str) -> str | None:
    """``old`` with ``block``'s tables merged in, or None when ``block`` is a whole file."""
    if any(_ARRAY.match(line) for line in block.splitlines()):
        return None
    new = sections(block)
    if _has_keys(new[0][1]) or len(new) == 1:
        return None
    current = sections(old)
    if {k for k, _ in current if k} <= {k for k, _ in new if k}:
        return None
    for key, lines in new[1:]:
        _put(current, key, _trimmed(lines))
    return "\n".join(line for _, lines in current for line in lines).rstrip("\n") + "\n"


def _trimmed(lines: list[str]) -> list[str]:
    out = list(lines)
    while len(out) > 1 and not out[-1].strip():
        out.pop()
    return out


def _put(current: list[Section], key: str, lines: list[str]) -> None:
    keys = [k for k, _ in current]
    if key in keys:
        index = keys.index(key)
        tail = current[index][1][len(_trimmed(current[index][1])) :]  # its blank lines after
        current[index] = (key, [*lines, *tail])
        return
    family = key.split(".")[0]
    same = [i for i, k in enumerate(keys) if k.split(".")[0] == family and k]
    at = same[-1] + 1 if same else len(current)
    before = current[at - 1][1]
    if before and before[-1].strip():
        before.append("")
    current.insert(at, (key, [*lines, ""] if at < len(current) else lines))
