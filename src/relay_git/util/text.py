"""Text for a terminal line: whitespace folded (:func:`one_line`), control characters escaped
(:func:`printable`)."""

from __future__ import annotations

import re

# Control characters (but tab and newline) and bidi overrides: a file name from a hostile
# diff or a model's reply could otherwise move the cursor, retitle the terminal or write
# the clipboard (Trojan Source).
UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def one_line(text: str, limit: int = 0) -> str:
    """Whitespace folded to single spaces; cut to ``limit`` characters (with …) if given."""
    line = " ".join(text.split())
    return line[: limit - 1] + "…" if limit and len(line) > limit else line


def printable(text: str) -> str:
    """Control characters shown escaped, as git shows them in quoted paths."""
    return UNPRINTABLE.sub(lambda m: ascii(m.group())[1:-1], text)
