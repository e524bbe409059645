"""Unified diff text -> FileDiff/Hunk values, and new-side line mapping.

Pure: takes a string, never a repository. Understands ``git diff`` output (renames,
copies, mode changes, new/deleted files, binary files, C-quoted paths, CRLF content,
``\\ No newline at end of file``) and plain ``diff -u`` patches.

The parser is hand-written rather than built on unidiff: on a 100k-changed-line diff
unidiff alone takes about a second, and it keeps paths C-quoted, ignores copies and does
not keep the header text a reviewer is shown. No other module parses diffs.
"""

from __future__ import annotations

import dataclasses
import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise

from relay_git.errors import UsageError

NO_NEWLINE_MARKER = "\\ No newline at end of file"
_FIX = "pass the unmodified output of `git diff`"


@dataclass(frozen=True, slots=True)
class Line:
    kind: str  # "+" added, "-" removed, " " context
    old_no: int | None
    new_no: int | None
    text: str  # without the leading marker and without the trailing newline
    no_newline: bool = False  # the file ends on this line without a newline


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
        out = [self.header, "\n"]
        for line in self.lines:
            out.extend((line.kind, line.text, "\n"))
            if line.no_newline:
                out.extend((NO_NEWLINE_MARKER, "\n"))
        return "".join(out)

    def new_side(self) -> frozenset[int]:
        """New-side line numbers this hunk shows (added and context lines)."""
        return frozenset(ln.new_no for ln in self.lines if ln.new_no is not None)

    def added(self) -> frozenset[int]:
        return frozenset(ln.new_no for ln in self.lines if ln.kind == "+" and ln.new_no is not None)

    def shows(self, line: int) -> bool:
        """True when ``line`` is on this hunk's new side."""
        return self.new_start <= line < self.new_start + self.new_len


@dataclass(frozen=True)
class FileDiff:
    path: str  # new path (old path for a deletion)
    old_path: str | None  # None for an added file; the source of a copy
    status: str  # "added" | "deleted" | "modified" | "renamed"
    is_binary: bool
    hunks: tuple[Hunk, ...]
    header: str  # the "diff --git" header lines up to the first hunk, newline-terminated
    old_mode: str | None = None
    new_mode: str | None = None
    similarity: int | None = None  # percent, for renames and copies
    is_copy: bool = False  # status is "added"; old_path is the copy's source

    @property
    def added_count(self) -> int:
        return sum(1 for h in self.hunks for ln in h.lines if ln.kind == "+")

    @property
    def removed_count(self) -> int:
        return sum(1 for h in self.hunks for ln in h.lines if ln.kind == "-")

    @property
    def mode_changed(self) -> bool:
        return bool(self.old_mode and self.new_mode and self.old_mode != self.new_mode)

    @property
    def text(self) -> str:
        """The file's whole patch text (header + hunks)."""
        return self.header + "".join(h.text for h in self.hunks)

    def new_side(self) -> frozenset[int]:
        return frozenset(n for h in self.hunks for n in h.new_side())

    @cached_property
    def _starts(self) -> list[int] | None:
        """New-side starts, for bisection; None when git's ascending order does not hold."""
        starts = [h.new_start for h in self.hunks]
        return starts if all(a <= b for a, b in pairwise(starts)) else None

    def hunk_for(self, line: int) -> Hunk | None:
        """The hunk whose new side shows ``line``, if any (O(log hunks) for git's diffs)."""
        starts = self._starts
        if starts is None:
            return next((h for h in self.hunks if h.shows(line)), None)
        i = bisect_right(starts, line) - 1
        for hunk in self.hunks[max(i - 1, 0) : i + 1][::-1]:  # an empty hunk may share a start
            if hunk.shows(line):
                return hunk
        return None


def anchorable(fd: FileDiff, line: int, end_line: int) -> bool:
    """True when line..end_line lie on the new side of one and the same hunk."""
    if line > end_line:
        return False
    hunk = fd.hunk_for(line)
    return hunk is not None and hunk.shows(end_line)


# ---------------------------------------------------------------------------- parsing

_HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)")
_EXTENDED = re.compile(
    r"(old mode|new mode|deleted file mode|new file mode|copy from|copy to|rename from"
    r"|rename to|rename old|rename new|similarity index|dissimilarity index|index) (.*)"
)
_PLAIN_BINARY = re.compile(r"Binary files (.+) and (.+) differ")
_OCTAL = re.compile(r"[0-7]{3}")
_PERCENT = re.compile(r"([0-9]{1,3})%")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
_PREFIXES = "abciow12"  # a/ b/, mnemonic i/ w/ c/ o/, --no-index 1/ 2/


def _bad(message: str) -> UsageError:
    return UsageError(f"not a unified diff: {message}", _FIX)


def parse(text: str) -> list[FileDiff]:
    """Parse a unified diff as produced by ``git diff`` (also accepts plain ``diff -u``)."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    if "\r" in text:  # CRLF content (or a CRLF patch file): the \r is never part of a line
        lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    files: list[FileDiff] = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if line.startswith("diff --git "):
            fd, i = _git_file(lines, i)
            files.append(fd)
        elif line.startswith(("diff --cc ", "diff --combined ")):
            raise UsageError(
                "not a unified diff: combined (merge) diffs are not supported",
                "diff against one parent, e.g. `git diff HEAD^1 HEAD`",
            )
        elif line.startswith("--- ") and i + 1 < n and lines[i + 1].startswith("+++ "):
            fd, i = _plain_file(lines, i)
            files.append(fd)
        elif (binary := _PLAIN_BINARY.fullmatch(line)) is not None:
            files.append(_plain_binary(binary.group(1), binary.group(2), line))
            i += 1
        else:
            i += 1  # preamble: commit message, `diff -r` command lines, "Only in ..."
    if not files and text.strip():
        raise _bad("no 'diff --git' or '---'/'+++' file header found")
    return files


@dataclass
class _Header:
    """Mutable scratch state while reading one file's extended header."""

    lines: list[str]
    old: str | None = None
    new: str | None = None
    status: str = "modified"
    old_mode: str | None = None
    new_mode: str | None = None
    similarity: int | None = None
    is_copy: bool = False
    is_binary: bool = False


def _git_file(lines: list[str], i: int) -> tuple[FileDiff, int]:
    first = lines[i]
    head = _Header(lines=[first])
    split = _split_git_header(first[len("diff --git ") :])
    left, right = split or ("", "")
    prefixed = _has_prefixes(left, right)
    i += 1
    n = len(lines)
    while i < n and (m := _EXTENDED.fullmatch(lines[i])) is not None:
        head.lines.append(m.group(0))
        _extended(head, m.group(1), m.group(2))
        i += 1
    if i + 1 < n and lines[i].startswith("--- ") and lines[i + 1].startswith("+++ "):
        old_token, new_token = _file_token(lines[i][4:]), _file_token(lines[i + 1][4:])
        head.lines += [lines[i], lines[i + 1]]
        prefixed = prefixed if split else _has_prefixes(old_token, new_token)
        head.old = head.old or _strip(old_token, prefixed)
        head.new = head.new or _strip(new_token, prefixed)
        i += 2
    elif i < n and lines[i].startswith(("Binary files ", "GIT binary patch")):
        head.lines.append(lines[i])
        head.is_binary = True
        i = _skip_binary_payload(lines, i + 1)
    hunks, i = _hunks(lines, i)
    if split is None and not (head.old and head.new):
        raise _bad(f"cannot read paths from {first[:80]!r}")
    old = head.old or _strip(left, prefixed)
    new = head.new or _strip(right, prefixed)
    return _finish(head, old, new, hunks), i


def _extended(head: _Header, key: str, value: str) -> None:
    if key in ("rename from", "rename old", "copy from"):
        head.old = _path_value(value)
    elif key in ("rename to", "rename new", "copy to"):
        head.new = _path_value(value)
        head.is_copy = key == "copy to"
        head.status = "added" if head.is_copy else "renamed"
    elif key == "new file mode":
        head.status, head.new_mode = "added", value
    elif key == "deleted file mode":
        head.status, head.old_mode = "deleted", value
    elif key == "old mode":
        head.old_mode = value
    elif key == "new mode":
        head.new_mode = value
    elif key == "similarity index":
        percent = _PERCENT.fullmatch(value)
        head.similarity = int(percent.group(1)) if percent else None
    elif key == "index" and " " in value:
        mode = value.rsplit(" ", 1)[1]
        head.old_mode = head.old_mode or mode
        head.new_mode = head.new_mode or mode


def _finish(head: _Header, old: str, new: str, hunks: tuple[Hunk, ...]) -> FileDiff:
    path = old if head.status == "deleted" else new
    return FileDiff(
        path=path,
        old_path=None if head.status == "added" and not head.is_copy else old,
        status=head.status,
        is_binary=head.is_binary,
        hunks=hunks,
        header="".join(f"{line}\n" for line in head.lines),
        old_mode=head.old_mode,
        new_mode=head.new_mode,
        similarity=head.similarity,
        is_copy=head.is_copy,
    )


def _skip_binary_payload(lines: list[str], i: int) -> int:
    """Skip a ``GIT binary patch`` body (base85 lines never contain a space)."""
    n = len(lines)
    while i < n and not lines[i].startswith("diff "):
        i += 1
    return i


def _plain_file(lines: list[str], i: int) -> tuple[FileDiff, int]:
    """A ``diff -u`` file: ``---``/``+++`` lines and hunks, no git header."""
    old = _file_token(lines[i][4:])
    new = _file_token(lines[i + 1][4:])
    head = _Header(lines=[lines[i], lines[i + 1]])
    hunks, i = _hunks(lines, i + 2)
    old, new = _strip_plain(old, new)
    if old == "/dev/null" or (len(hunks) == 1 and hunks[0].old_start == hunks[0].old_len == 0):
        head.status = "added"
    elif new == "/dev/null" or (len(hunks) == 1 and hunks[0].new_start == hunks[0].new_len == 0):
        head.status = "deleted"
    if new == "/dev/null":
        new = old
    return _finish(head, old, new, hunks), i


def _plain_binary(left: str, right: str, line: str) -> FileDiff:
    old, new = _strip_plain(_path_value(left), _path_value(right))
    head = _Header(lines=[line], is_binary=True)
    if old == "/dev/null":
        head.status = "added"
    elif new == "/dev/null":
        head.status, new = "deleted", old
    return _finish(head, old, new, ())


def _strip_plain(old: str, new: str) -> tuple[str, str]:
    """Drop the first path component when both sides share the rest (``patch -p1``)."""
    if old == "/dev/null" or new == "/dev/null":
        side = new if old == "/dev/null" else old
        rest = side.split("/", 1)[1] if "/" in side and side[:2] in ("a/", "b/") else side
        return (old if old == "/dev/null" else rest), (new if new == "/dev/null" else rest)
    if "/" in old and "/" in new and old.split("/", 1)[1] == new.split("/", 1)[1]:
        return old.split("/", 1)[1], new.split("/", 1)[1]
    return old, new


# ------------------------------------------------------------------------------ hunks


def _hunks(lines: list[str], i: int) -> tuple[tuple[Hunk, ...], int]:
    hunks: list[Hunk] = []
    n = len(lines)
    while i < n and lines[i].startswith("@@ "):
        hunk, i = _hunk(lines, i)
        hunks.append(hunk)
    return tuple(hunks), i


def _hunk(lines: list[str], i: int) -> tuple[Hunk, int]:
    m = _HUNK.match(lines[i])
    if m is None:
        raise _bad(f"bad hunk header at line {i + 1}: {lines[i][:80]!r}")
    old_len = 1 if m.group(2) is None else int(m.group(2))
    new_len = 1 if m.group(4) is None else int(m.group(4))
    old_no, new_no = int(m.group(1)), int(m.group(3))
    old_end, new_end = old_no + old_len, new_no + new_len
    out: list[Line] = []
    append, make = out.append, Line
    start, n = i, len(lines)
    i += 1
    while old_no < old_end or new_no < new_end:
        if i >= n:
            raise _bad(f"hunk at line {start + 1} is cut short")
        raw = lines[i]
        kind = raw[:1]
        if kind == "+":
            append(make("+", None, new_no, raw[1:]))
            new_no += 1
        elif kind == "-":
            append(make("-", old_no, None, raw[1:]))
            old_no += 1
        elif kind == " " or not raw:
            append(make(" ", old_no, new_no, raw[1:]))
            old_no += 1
            new_no += 1
        elif kind == "\\":
            _mark_no_newline(out, i)
        else:
            raise _bad(f"line {i + 1} inside the hunk at line {start + 1}: {raw[:80]!r}")
        i += 1
    if old_no > old_end or new_no > new_end:
        raise _bad(f"hunk at line {start + 1} is longer than its header says")
    while i < n and lines[i].startswith("\\"):
        _mark_no_newline(out, i)
        i += 1
    hunk = Hunk(int(m.group(1)), old_len, int(m.group(3)), new_len, m.group(5), tuple(out))
    return hunk, i


def _mark_no_newline(out: list[Line], i: int) -> None:
    if not out:
        raise _bad(f"'\\ No newline' marker at line {i + 1} follows no line")
    out[-1] = dataclasses.replace(out[-1], no_newline=True)


# ------------------------------------------------------------------------------ paths


def _unquote(s: str) -> tuple[str, str]:
    """Decode git's C-style quoted path at the start of ``s``; return it and the rest."""
    buf = bytearray()
    i, n = 1, len(s)
    while i < n:
        c = s[i]
        if c == '"':
            return buf.decode("utf-8", "surrogateescape"), s[i + 1 :]
        if c != "\\":
            buf += c.encode("utf-8", "surrogateescape")
            i += 1
        elif _OCTAL.match(s, i + 1):
            buf.append(int(s[i + 1 : i + 4], 8) & 0xFF)
            i += 4
        elif s[i + 1 : i + 2] in _ESCAPES:
            buf.append(_ESCAPES[s[i + 1]])
            i += 2
        else:
            raise _bad(f"bad escape in quoted path {s[:80]!r}")
    raise _bad(f"unterminated quoted path {s[:80]!r}")


def _path_value(value: str) -> str:
    """A whole-value path, as in ``rename from P``: quoted or taken verbatim."""
    return _unquote(value)[0] if value.startswith('"') else value


def _file_token(value: str) -> str:
    """The path on a ``---``/``+++`` line, without a trailing tab and timestamp."""
    if value.startswith('"'):
        return _unquote(value)[0]
    return value.split("\t", 1)[0]


def _split_git_header(rest: str) -> tuple[str, str] | None:
    """Split ``a/x b/y`` from a ``diff --git`` line; the halves may be quoted."""
    if rest.startswith('"'):
        left, tail = _unquote(rest)
        tail = tail.lstrip(" ")
        return left, _path_value(tail)
    if rest.endswith('"') and ' "' in rest:
        left, _, right = rest.partition(' "')
        return left, _unquote('"' + right)[0]
    half = (len(rest) - 1) // 2
    if len(rest) % 2 == 1 and rest[half] == " ":
        left, right = rest[:half], rest[half + 1 :]
        if left == right or left[2:] == right[2:]:
            return left, right
    for sep in (" b/", " w/", " i/", " 2/", " "):
        if sep in rest:
            left, _, right = rest.partition(sep)
            return left, sep[1:] + right
    return None


def _has_prefixes(left: str, right: str) -> bool:
    """Whether git used a/ b/ (or mnemonic) prefixes; false for ``--no-prefix``."""
    return (
        left[1:2] == "/"
        and right[1:2] == "/"
        and left[:1] in _PREFIXES
        and right[:1] in _PREFIXES
        and left[:1] != right[:1]
    )


def _strip(path: str, prefixed: bool) -> str:
    return path[2:] if prefixed and path != "/dev/null" else path
