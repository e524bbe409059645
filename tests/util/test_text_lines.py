"""util/text: the one ``one_line`` and ``printable``, as parametrized tables."""

from __future__ import annotations

import pytest

from relay_git.util.text import one_line, printable


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("a\n\n  b\tc ", 0, "a b c"),
        ("x" * 50, 10, "x" * 9 + "…"),
        ("x" * 10, 10, "x" * 10),  # exactly at the limit: not cut
        ("  spaced   out  ", 300, "spaced out"),
        ("", 80, ""),
    ],
)
def test_one_line(text: str, limit: int, expected: str) -> None:
    assert one_line(text, limit) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain\ttab\nnewline", "plain\ttab\nnewline"),
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
        ("a\u202eb", "a\\u202eb"),  # a bidi override (Trojan Source) is shown, not obeyed
        ("del\x7f", "del\\x7f"),
    ],
)
def test_printable(text: str, expected: str) -> None:
    assert printable(text) == expected
