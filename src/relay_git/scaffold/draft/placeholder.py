"""Placeholder lines: where a model means "keep what is there" instead of writing it.

A comment that starts with an ellipsis (``# ... existing code ...``, ``// ...``,
``# …rest unchanged``), or a short comment saying the code is unchanged or omitted
(``# (rest of the class unchanged)``, ``# other methods remain the same``). Such a line is
never written into a file.
"""

from __future__ import annotations

import re

_COMMENT = re.compile(r"^\s*(?:#|//|--|;|/\*|<!--)\s*(?P<text>.*?)\s*(?:\*/|-->)?\s*$")
_ELLIPSIS = re.compile(r"^[\[(]?\s*(?:\.{3}|…)")
_SAYS = re.compile(
    r"\b(?:unchanged|as before|omitted|for brevity|remains? the same|stays? the same|"
    r"same as before|not shown|kept as is)\b",
    re.IGNORECASE,
)
_WHAT = re.compile(
    r"\b(?:rest|existing|other|remaining|previous|code|methods?|functions?|class|file|"
    r"module|imports?|tests?|body|everything|all)\b",
    re.IGNORECASE,
)


def is_placeholder(line: str) -> bool:
    """``line`` is a comment standing for code the model left out."""
    match = _COMMENT.match(line)
    if match is None:
        return False
    text = match["text"]
    if _ELLIPSIS.match(text):
        return True
    return len(text.split()) <= 10 and bool(_SAYS.search(text)) and bool(_WHAT.search(text))
