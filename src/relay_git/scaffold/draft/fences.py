"""A reply read as the pieces that carry code: fenced blocks and SEARCH/REPLACE edits.

Fences follow CommonMark: an opening run of three or more backticks or tildes, closed by a
run of the same character at least as long with nothing after it (a `````` ```bash ``````
line inside a ````` ````markdown ````` block is content). Models often nest same-length
fences in markdown; inside a markdown block an inner opening with an info string is
counted, so its bare closing line does not end the outer block.

A block's path comes, first found wins, from its info string (```` ```python src/app.py ````,
```` ```python:src/app.py ````, ```` ```toml title="pyproject.toml" ````), the line just before
the fence (a path alone, in backticks, bold, a heading, a list item, ``File:``; or a short
prose line ending in the backticked path and a colon), or a first line inside that only
names the path, in a comment or bare (dropped from the content). A code block the model did
not close ends where the next ```lang block opens.

SEARCH/REPLACE blocks (Aider's format, 5-9 markers) are read anywhere, fenced or not, with
the path from the line before them (or inside their fence), else the previous edit's path.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from relay_git.scaffold.draft.paths import label_path, looks_like_path, prose_path

_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
SEARCH = re.compile(r"^\s*<{5,9}\s*SEARCH\b.*$")
DIVIDER = re.compile(r"^\s*={5,9}\s*$")
REPLACE = re.compile(r"^\s*>{5,9}\s*REPLACE\b.*$")
_ATTR = re.compile(r"""\b(?:title|file|filename|path|name)\s*=\s*["']?([^"'\s{}]+)["']?""")
_COMMENT = re.compile(
    r"^\s*(?:#|//|--|;|/\*|<!--)\s*(?:(?:file(?:name)?|path)\s*:\s*)?(?P<path>\S+?)\s*(?:\*/|-->)?\s*$",
    re.IGNORECASE,
)
_MARKDOWN = frozenset({"markdown", "md", "rst", "text", "txt", "mdx"})


@dataclass(frozen=True)
class Fenced:
    """One fenced block: its language, raw path label (unchecked) and content."""

    lang: str
    path: str | None
    body: str
    line: int  # 1-based line of the opening fence in the reply
    closed: bool = True


@dataclass(frozen=True)
class Edit:
    """One SEARCH/REPLACE block; ``complete`` is False when the reply ends inside it."""

    path: str | None
    search: str
    replace: str
    line: int
    complete: bool = True


Piece = Fenced | Edit


def scan(reply: str) -> list[Piece]:
    """The fenced blocks and SEARCH/REPLACE edits of ``reply``, in order."""
    lines = reply.splitlines()
    pieces: list[Piece] = []
    i = 0
    while i < len(lines):
        if SEARCH.match(lines[i]):
            edit, i = _read_edit(lines, i, _edit_path(lines, i, pieces))
            pieces.append(edit)
            continue
        opened = _OPEN.match(lines[i])
        if opened and not (opened["fence"][0] == "`" and "`" in opened["info"]):
            found, i = _read_fence(lines, i, opened, pieces)
            pieces += found
            continue
        i += 1
    return pieces


def _before(lines: Sequence[str], i: int) -> str | None:
    """The nearest non-blank line above line ``i`` (at most one blank line between)."""
    for j in (i - 1, i - 2):
        if j >= 0 and lines[j].strip():
            return lines[j]
    return None


def _label_before(lines: Sequence[str], i: int) -> str | None:
    line = _before(lines, i)
    if line is None or _OPEN.match(line):
        return None
    return label_path(line) or prose_path(line)


def _edit_path(lines: Sequence[str], i: int, pieces: Sequence[Piece]) -> str | None:
    found = _label_before(lines, i)
    if found is None and pieces and isinstance(pieces[-1], Edit):
        return pieces[-1].path  # Aider: a block without its own path edits the last file
    return found


def _read_edit(lines: Sequence[str], i: int, path: str | None) -> tuple[Edit, int]:
    """The SEARCH/REPLACE block opening at line ``i``; returns it and the next line index."""
    start, i = i, i + 1
    search: list[str] = []
    while i < len(lines) and not DIVIDER.match(lines[i]):
        search.append(lines[i])
        i += 1
    replace: list[str] = []
    i += 1
    while i < len(lines) and not REPLACE.match(lines[i]):
        replace.append(lines[i])
        i += 1
    complete = i < len(lines)
    edit = Edit(path, _text(search), _text(replace), start + 1, complete)
    return edit, i + 1


def _text(lines: Sequence[str]) -> str:
    return "".join(f"{line}\n" for line in lines)


def _info_path(info: str) -> tuple[str, str | None]:
    """(language, path) from a fence's info string."""
    attr = _ATTR.search(info)
    words = _ATTR.sub(" ", info).split()
    lang = ""
    path = attr.group(1) if attr else None
    for n, word in enumerate(words):
        head, sep, tail = word.partition(":")
        if n == 0 and sep and tail and looks_like_path(tail):
            lang, path = head.lower(), path or tail
        elif n == 0 and not looks_like_path(word):
            lang = word.lower().strip("{}.")
        elif looks_like_path(word) and path is None:
            path = word
    return lang, path


def _closes(line: str, char: str, size: int, indent: int = 0) -> bool:
    """A closing fence: the same character, at least as long, indented at most 3 more."""
    text = line.strip()
    lead = len(line) - len(line.lstrip(" "))
    return len(text) >= size and set(text) == {char} and lead <= indent + 3


def _read_fence(
    lines: Sequence[str], i: int, opened: re.Match[str], pieces: Sequence[Piece]
) -> tuple[list[Piece], int]:
    """The block (or SEARCH/REPLACE edits) opening at line ``i``, and the next line index."""
    fence, indent = opened["fence"], len(str(opened["indent"]).expandtabs(4))
    char, size = fence[0], len(fence)
    lang, path = _info_path(opened["info"].strip())
    body: list[str] = []
    depth, j = 0, i + 1
    markdown = lang in _MARKDOWN or (path or "").endswith((".md", ".rst", ".txt", ".mdx"))
    while j < len(lines):
        line = lines[j]
        if SEARCH.match(line) and not any(b.strip() and not label_path(b) for b in body):
            inner = next((label_path(b) for b in body if b.strip()), None)
            first = path or inner or _label_before(lines, i) or _last_edit_path(pieces)
            return _read_edits(lines, j, first, char, size)
        if _closes(line, char, size, indent):
            if depth == 0:
                break
            depth -= 1
        elif _nested_open(line, char, size):
            if not markdown:  # code never holds ```python: the model did not close this block
                _drop_label(body)
                break
            depth += 1
        body.append(_dedent(line, indent))
        j += 1
    closed = j < len(lines)
    after = j + 1 if closed and _closes(lines[j], char, size, indent) else j
    content, named = _comment_label(body, lang)
    path = path or _label_before(lines, i) or named
    if named is None or named != path:
        content = body
    block = Fenced(lang, path, _text(content), i + 1, closed)
    return [block], after


def _drop_label(body: list[str]) -> None:
    """Without the trailing lines that label the next block (they are not this one's)."""
    while body and not body[-1].strip():
        body.pop()
    if body and (label_path(body[-1]) or prose_path(body[-1])):
        body.pop()
    while body and not body[-1].strip():
        body.pop()


def _nested_open(line: str, char: str, size: int) -> bool:
    """An inner opening fence with an info string, as long as the outer one (markdown only)."""
    found = _OPEN.match(line)
    if found is None or not found["info"].strip():
        return False
    return found["fence"][0] == char and len(found["fence"]) >= size


def _last_edit_path(pieces: Sequence[Piece]) -> str | None:
    return pieces[-1].path if pieces and isinstance(pieces[-1], Edit) else None


def _read_edits(
    lines: Sequence[str], j: int, path: str | None, char: str, size: int
) -> tuple[list[Piece], int]:
    """SEARCH/REPLACE blocks inside one fence, with path lines between them."""
    edits: list[Piece] = []
    while j < len(lines):
        line = lines[j]
        if SEARCH.match(line):
            edit, j = _read_edit(lines, j, path)
            edits.append(edit)
            continue
        if _closes(line, char, size):
            return edits, j + 1
        path = label_path(line) or path
        j += 1
    return edits, j


def _dedent(line: str, indent: int) -> str:
    """``line`` without up to ``indent`` columns of the fence's own indentation."""
    cut = 0
    while cut < len(line) and cut < indent and line[cut] == " ":
        cut += 1
    return line[cut:]


def _comment_label(body: Sequence[str], lang: str) -> tuple[list[str], str | None]:
    """The body without a first line that only names a path, in a comment (``# a.py``,
    ``// web.js``) or, outside markdown and text, bare (``src/a.py``); and that path."""
    first = next((n for n, line in enumerate(body) if line.strip()), None)
    if first is None:
        return list(body), None
    line = body[first]
    if lang in _MARKDOWN and not line.lstrip().startswith("<!--"):
        return list(body), None  # "# Title" is a heading there, a path list is text
    match = _COMMENT.match(line)
    named = match["path"] if match and not line.lstrip().startswith("#!") else None
    if named is None and lang not in _MARKDOWN and line == line.strip():
        named = line if "/" in line or "." in line else None
    if named is None or not looks_like_path(named):
        return list(body), None
    return list(body[first + 1 :]), named
