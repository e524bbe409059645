"""Placeholder lines: where a model means "keep what is there" instead of writing it.

A comment that starts with an ellipsis (``# ... existing code ...``, ``// ...``,
``# …rest unchanged``), or one that starts by naming what it stands for and says it is
unchanged or left out (``# (rest of the class unchanged)``, ``# other methods remain the
same``, ``# existing code here``, ``# keep existing imports``). A comment that merely uses
such a word (``# return the value unchanged if all checks pass``) is code's own comment.
Such a line is never written into a file.
"""

from __future__ import annotations

import re

_COMMENT = re.compile(r"^\s*(?:#|//|--|;|/\*|<!--)\s*(?P<text>.*?)\s*(?:\*/|-->)?\s*$")
_ELLIPSIS = re.compile(r"^[\[(]?\s*(?:\.{3}|…)")
_STANDS_FOR = re.compile(
    r"^[\[(]?\s*(?:(?:the|your|all|any)\s+)?(?:rest|remainder|existing|other|remaining|previous|"
    r"everything|same|original)\b.*\b(?:unchanged|as before|as is|omitted|for brevity|"
    r"remains? the same|stays? the same|not shown|kept|here|code|methods?|functions?|imports?|"
    r"tests?|fields?|classes?|lines?|content|implementation|file|class|module)\W*$",
    re.IGNORECASE,
)
_ALONE = re.compile(r"^[\[(]?\s*(?:unchanged|omitted|same as before|no changes?)\W*$", re.I)
_KEEP = re.compile(r"^[\[(]?\s*keeps?\s+(?:the\s+)?(?:existing|rest|other|remaining)\b", re.I)


def is_placeholder(line: str) -> bool:
    """``line`` is a comment standing for code the model left out."""
    match = _COMMENT.match(line)
    if match is None:
        return False
    text = match["text"]
    if _ELLIPSIS.match(text):
        return True
    if len(text.split()) > 10:
        return False
    return any(p.match(text) for p in (_STANDS_FOR, _ALONE, _KEEP))
