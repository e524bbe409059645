"""Stopping a reply while it streams: when it loops, or when the one code block is complete.

A tiny model that starts repeating itself goes on to its token cap; stopping at the third
repeat of the same stretch costs a few tokens instead of hundreds. Both checks look only
at the tail of the text, so they stay cheap at every streamed token. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable

MIN_PERIOD = 12  # characters: shorter repeats are ordinary code (`    ` runs, `))))`)
MAX_PERIOD = 240
REPEATS = 3
LINE_REPEATS = 4  # the same non-trivial line this often is a loop, even with lines between
_FENCE_OPEN = re.compile(r"^[ \t]*```[\w+.-]*[ \t]*$", re.M)
_FENCE_CLOSE = re.compile(r"^[ \t]*```[ \t]*$", re.M)

StopWhen = Callable[[str], "str | None"]


def looping(text: str) -> bool:
    """True when the text ends in the same stretch three times over, or repeats a line."""
    tail = text[-REPEATS * MAX_PERIOD :]
    for period in range(MIN_PERIOD, min(MAX_PERIOD, len(tail) // REPEATS) + 1):
        unit = tail[-period:]
        if not unit.strip():
            continue
        if tail.endswith(unit * REPEATS):
            return True
    return _repeated_line(text)


def _repeated_line(text: str) -> bool:
    if not text.endswith("\n"):
        return False
    lines = text.rstrip("\n").split("\n")
    last = lines[-1].strip()
    if len(last) < 12:
        return False
    return sum(1 for line in lines[-40:] if line.strip() == last) >= LINE_REPEATS


def block_closed(text: str) -> bool:
    """True once the first fenced block has its closing fence."""
    opened = _FENCE_OPEN.search(text)
    if opened is None:
        return False
    return _FENCE_CLOSE.search(text, opened.end() + 1) is not None


def for_code_block(text: str) -> str | None:
    """stop_when for a reply that is one fenced code block."""
    if block_closed(text):
        return "stop"
    return "repetition" if looping(text) else None


def for_json(text: str) -> str | None:
    """stop_when for a structured (JSON) reply: only loops stop it early."""
    return "repetition" if looping(text) else None
