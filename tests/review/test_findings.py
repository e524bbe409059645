from __future__ import annotations

import pytest

from relay_git.review.diff import parse
from relay_git.review.findings import Proposed, anchor, dedupe, fingerprint, reaches
from relay_git.types import Category, Finding, Severity

DIFF = (
    "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n"
    "@@ -1,3 +1,4 @@\n import os\n+import sys\n def f():\n-    return 1\n+    return 2\n"
    "@@ -20,2 +21,3 @@\n x = 1\n+y = 2\n z = 3\n"
)
FILES = {fd.path: fd for fd in parse(DIFF)}


def p(line: int, end: int | None = None, path: str = "app.py", sev: str = "error") -> Proposed:
    return Proposed(path, line, end, Severity(sev), Category.BUG, "msg")


@pytest.mark.parametrize(
    ("proposed", "anchored_at"),
    [
        (p(2), (2, 2)),
        (p(1, 4), (1, 4)),  # context lines on the new side count
        (p(2, 30), (2, 2)),  # a range overshooting its hunk keeps its start
        (p(22), (22, 22)),
        (p(2, path="b/app.py"), (2, 2)),  # a/ b/ prefixes are forgiven
    ],
)
def test_anchored(proposed: Proposed, anchored_at: tuple[int, int]) -> None:
    found, notes = anchor([proposed], FILES)
    assert notes == []
    assert (found[0].line, found[0].end_line) == anchored_at


@pytest.mark.parametrize("proposed", [p(10), p(5), p(1, path="other.py"), p(25)])
def test_unanchorable_become_notes(proposed: Proposed) -> None:
    found, notes = anchor([proposed], FILES)
    assert found == []
    assert notes == [f"{proposed.path}:{proposed.line}: error: msg"]


def test_fingerprint_ignores_whitespace_and_line_shift() -> None:
    assert fingerprint("a.py", "x  =  1\n", Category.BUG) == fingerprint(
        "a.py", "x = 1", Category.BUG
    )
    assert fingerprint("a.py", "x = 1", Category.BUG) != fingerprint("b.py", "x = 1", Category.BUG)
    assert fingerprint("a.py", "x = 1", Category.BUG) != fingerprint(
        "a.py", "x = 1", Category.STYLE
    )


def test_dedupe_keeps_most_severe_and_orders() -> None:
    def f(sev: Severity, fp: str, line: int) -> Finding:
        return Finding("a.py", line, line, sev, Category.BUG, "m", fingerprint=fp)

    out = dedupe([f(Severity.INFO, "x", 1), f(Severity.ERROR, "x", 1), f(Severity.WARNING, "y", 5)])
    assert [(x.severity, x.fingerprint) for x in out] == [
        (Severity.ERROR, "x"),
        (Severity.WARNING, "y"),
    ]


@pytest.mark.parametrize(
    ("sevs", "fail_on", "expected"),
    [
        (["warning"], "error", False),
        (["warning"], "warning", True),
        (["info"], "warning", False),
        (["error"], "never", False),
        ([], "info", False),
    ],
)
def test_reaches(sevs: list[str], fail_on: str, expected: bool) -> None:
    findings = [Finding("a", 1, 1, Severity(s), Category.BUG, "m") for s in sevs]
    assert reaches(findings, fail_on) is expected
