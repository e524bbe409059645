"""Stopping a reply while it streams: when it loops, or when the one code block is complete.

A tiny model that starts repeating itself goes on to its token cap; stopping at the third
repeat of the same stretch costs a few tokens instead of hundreds. Both checks look only
at the tail of the text, so they stay cheap at every streamed token. Pure.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

MIN_PERIOD = 12  # characters: shorter repeats are ordinary code (`    ` runs, `))))`)
MAX_PERIOD = 240
REPEATS = 3
RUN = 160  # one character repeated this often is a loop (a `# ----` ruler is shorter)
LINE_REPEATS = 4  # the same non-trivial line this often is a loop, even with lines between
MAX_UNIT_LINES = 16  # a run of up to this many lines, three times over, is a loop
MIN_UNIT_CHARS = 40  # ... when it holds this much text (a few closing brackets are not)
_TAIL_CHARS = 8000  # what the line checks read: enough for the longest unit three times
_FENCE_OPEN = re.compile(r"^[ \t]*```[\w+.-]*[ \t]*$", re.M)
_FENCE_CLOSE = re.compile(r"^[ \t]*```[ \t]*$", re.M)

StopWhen = Callable[[str], "str | None"]


def looping(text: str) -> bool:
    """True when the text ends in the same stretch three times over, repeats a line, or
    repeats a run of lines."""
    tail = text[-REPEATS * MAX_PERIOD :]
    for period in range(MIN_PERIOD, min(MAX_PERIOD, len(tail) // REPEATS) + 1):
        unit = tail[-period:]
        if not unit.strip() or (len(set(unit)) == 1 and not tail.endswith(unit[0] * RUN)):
            continue  # blank, or a ruler such as `# ------...` that is not yet a runaway
        if tail.endswith(unit * REPEATS):
            return True
    return _repeated_line(text) or repeated_run(text)


def repeated_run(text: str) -> bool:
    """The last complete lines are one run of 2 to 16 lines three times over, each line
    compared without its indentation or blank lines between.

    A tiny model nesting the same few definitions ever deeper writes no stretch of text
    twice (the indentation grows) and no single line every other line; its lines, read
    without their indentation, repeat. Code a capable model writes does not: repeated
    structure differs in its names or values.
    """
    complete = text[-_TAIL_CHARS:].rpartition("\n")[0]
    lines = [line.strip() for line in complete.split("\n") if line.strip()]
    lines = lines[-REPEATS * MAX_UNIT_LINES :]
    for size in range(2, MAX_UNIT_LINES + 1):
        if len(lines) < REPEATS * size:
            return False
        unit = lines[-size:]
        if sum(map(len, unit)) < MIN_UNIT_CHARS:
            continue
        starts = range(len(lines) - REPEATS * size, len(lines) - size, size)
        if all(lines[start : start + size] == unit for start in starts):
            return True
    return False


def _repeated_line(text: str) -> bool:
    """The last line came back at least every other line, LINE_REPEATS times over.

    A line that recurs further apart is structure, not a loop: `"action": "write"` in
    each item of an indented JSON list, `return result` closing several functions.
    """
    if not text.endswith("\n"):
        return False
    lines = [line.strip() for line in text.split("\n")[-40:] if line.strip()]
    last = lines[-1] if lines else ""
    if len(last) < 12:
        return False
    at = [i for i, line in enumerate(lines) if line == last][-LINE_REPEATS:]
    return len(at) == LINE_REPEATS and all(b - a <= 2 for a, b in itertools.pairwise(at))


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
