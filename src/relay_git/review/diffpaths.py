"""Paths in diff headers: git's C quoting, the a/ b/ (or any) prefixes, plain-diff names.

Pure helpers for :mod:`relay_git.review.diff`, which is the only caller.
"""

from __future__ import annotations

import re
from datetime import datetime

from relay_git.errors import UsageError

_OCTAL = re.compile(r"[0-7]{3}")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
_PREFIXES = "abciow12"  # a/ b/, mnemonic i/ w/ c/ o/, --no-index 1/ 2/
_BINARY_HEAD, _BINARY_TAIL, _AND = "Binary files ", " differ", " and "
# GNU diff -N names a missing file with the epoch as its time: ISO (-u) or ctime (-c) style.
_ISO_TIME = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.\d+)? ([+-]\d{4})")
_EPOCH_CTIME = re.compile(r"\w{3} \w{3} +1 \d\d:\d\d:\d\d 19(69|70)")

FIX = "pass the unmodified output of `git diff`"


def bad(message: str) -> UsageError:
    return UsageError(f"not a unified diff: {message}", FIX)


def unquote(s: str) -> tuple[str, str]:
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
            raise bad(f"bad escape in quoted path {s[:80]!r}")
    raise bad(f"unterminated quoted path {s[:80]!r}")


def path_value(value: str) -> str:
    """A whole-value path, as in ``rename from P``: quoted or taken verbatim."""
    return unquote(value)[0] if value.startswith('"') else value


def file_token(value: str) -> str:
    """The path on a ``---``/``+++`` line, without a trailing tab and timestamp."""
    if value.startswith('"'):
        return unquote(value)[0]
    return value.split("\t", 1)[0]


def split_git_header(rest: str) -> tuple[str, str] | None:
    """Split ``a/x b/y`` from a ``diff --git`` line; the halves may be quoted."""
    if rest.startswith('"'):
        left, tail = unquote(rest)
        tail = tail.lstrip(" ")
        return left, path_value(tail)
    if rest.endswith('"') and ' "' in rest:
        left, _, right = rest.partition(' "')
        return left, unquote('"' + right)[0]
    half = (len(rest) - 1) // 2
    if len(rest) % 2 == 1 and rest[half] == " ":
        left, right = rest[:half], rest[half + 1 :]
        if left == right or _common_tail(left, right) > 0:
            return left, right
    return _best_space_split(rest)


def _best_space_split(rest: str, tries: int = 64) -> tuple[str, str] | None:
    """Split at the space that leaves the longest common tail (the same path on both
    sides, after prefixes of different lengths); the first few spaces only, so a long
    line stays linear."""
    best: tuple[int, int] | None = None
    at = rest.find(" ")
    while at != -1 and tries > 0:
        tail = _common_tail(rest[:at], rest[at + 1 :])
        if best is None or tail > best[0]:
            best = (tail, at)
        at, tries = rest.find(" ", at + 1), tries - 1
    if best is None:
        return None
    for sep in (" b/", " w/", " i/", " 2/"):
        if best[0] == 0 and sep in rest:  # nothing shared: a rename; git's own prefixes
            left, _, right = rest.partition(sep)
            return left, sep[1:] + right
    return rest[: best[1]], rest[best[1] + 1 :]


def _common_tail(left: str, right: str) -> int:
    """Length of the longest common suffix."""
    n = 0
    for a, b in zip(reversed(left), reversed(right), strict=False):
        if a != b:
            break
        n += 1
    return n


def _plausible(prefix: str) -> bool:
    """A prefix git could have been given: none, one word, or ending in a slash."""
    return "/" not in prefix or prefix.endswith("/")


def prefixes(left: str, right: str, old: str | None, new: str | None) -> tuple[str, str]:
    """The src/dst prefixes of a ``diff --git LEFT RIGHT`` line (``--src-prefix``, ...).

    ``old``/``new`` are the real paths when a rename or copy line named them. Otherwise
    both sides name the same path, so the prefixes are what is left of each side once
    their longest common tail is removed (a tail's leading slash belongs to the prefix).
    Prefixes that end in the same directory name (``x/a/``, ``y/a/``) cannot be told
    from the path and keep that name in the path, as ``git apply`` would without ``-p``.
    """
    if old and new and left.endswith(old) and right.endswith(new):
        return left[: len(left) - len(old)], right[: len(right) - len(new)]
    if _conventional(left, right):
        return left[:2], right[:2]
    if left == right:
        return "", ""
    path = left[len(left) - _common_tail(left, right) :].lstrip("/")
    src, dst = left[: len(left) - len(path)], right[: len(right) - len(path)]
    if path and _plausible(src) and _plausible(dst):
        return src, dst
    return "", ""


def _conventional(left: str, right: str) -> bool:
    """Whether git used a/ b/ (or mnemonic, or --no-index) prefixes."""
    return (
        left[1:2] == "/"
        and right[1:2] == "/"
        and left[:1] in _PREFIXES
        and right[:1] in _PREFIXES
        and left[:1] != right[:1]
    )


def strip(path: str, prefix: str) -> str:
    if path == "/dev/null" or not path.startswith(prefix):
        return path
    return path[len(prefix) :]


def strip_plain(old: str, new: str) -> tuple[str, str]:
    """Drop the first path component when both sides share the rest (``patch -p1``)."""
    if old == "/dev/null" or new == "/dev/null":
        side = new if old == "/dev/null" else old
        rest = side.split("/", 1)[1] if "/" in side and side[:2] in ("a/", "b/") else side
        return (old if old == "/dev/null" else rest), (new if new == "/dev/null" else rest)
    if "/" in old and "/" in new and old.split("/", 1)[1] == new.split("/", 1)[1]:
        return old.split("/", 1)[1], new.split("/", 1)[1]
    return old, new


def is_epoch(header_value: str) -> bool:
    """Whether a ``---``/``+++`` value is dated at the epoch, as GNU ``diff -N`` marks a
    missing file."""
    if "\t" not in header_value:
        return False
    stamp = header_value.rsplit("\t", 1)[1].strip()
    iso = _ISO_TIME.fullmatch(stamp)
    if iso is not None:
        when = datetime.strptime(f"{iso.group(1)} {iso.group(2)}", "%Y-%m-%d %H:%M:%S %z")
        return when.timestamp() == 0
    return _EPOCH_CTIME.fullmatch(stamp) is not None


def split_binary_line(line: str) -> tuple[str, str] | None:
    """``Binary files L and R differ`` -> (L, R), in linear time.

    A name may itself contain `` and ``: the split that gives two equal names after their
    prefixes wins, else the last `` and `` (as a greedy pattern would choose).
    """
    if not (line.startswith(_BINARY_HEAD) and line.endswith(_BINARY_TAIL)):
        return None
    middle = line[len(_BINARY_HEAD) : len(line) - len(_BINARY_TAIL)]
    half = (len(middle) - len(_AND)) // 2
    if half > 0 and middle[half : half + len(_AND)] == _AND:
        left, right = middle[:half], middle[half + len(_AND) :]
        if left[2:] == right[2:]:
            return left, right
    left, sep, right = middle.rpartition(_AND)
    if not sep or not left or not right:
        return None
    return left, right
