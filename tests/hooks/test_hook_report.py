"""What a hook prints (hooks/report.py), over literal reviews: a table per message."""

from __future__ import annotations

import pytest

from relay_git.hooks import report
from relay_git.types import Category, Coverage, Finding, Review, Severity, SkippedFile, Verdict


def finding(severity: Severity, message: str = "m\n  two") -> Finding:
    return Finding("a.py", 3, 3, severity, Category.BUG, message)


@pytest.mark.parametrize(
    ("items", "text"),
    [
        ([], ""),
        (["a"], "a"),
        (list("abcde"), "a, b, c, d, e"),
        (list("abcdefg"), "a, b, c, d, e and 2 more"),
    ],
)
def test_names(items: list[str], text: str) -> None:
    assert report.names(items) == text


@pytest.mark.parametrize(
    ("coverage", "findings", "line"),
    [
        (Coverage(("a.py",)), (), "relay-git: approve — staged: 1 file(s) reviewed, no findings"),
        (
            Coverage(("a.py",), chunks=1),
            (finding(Severity.WARNING), finding(Severity.WARNING)),
            "relay-git: approve — staged: 1 file(s) reviewed, 2 warnings (from cache)",
        ),
        (
            Coverage(("a.py",), (SkippedFile("b.lock", "lockfile"),)),
            (finding(Severity.INFO),),
            "relay-git: approve — staged: 1 file(s) reviewed, 1 info; skipped 1 (lockfile)",
        ),
        (
            Coverage((), (SkippedFile("big.py", "max-files", limit=True),)),
            (),
            "relay-git: approve — staged: 0 file(s) reviewed, no findings; "
            "PARTIAL: not reviewed big.py (max-files)",
        ),
    ],
)
def test_summary(coverage: Coverage, findings: tuple[Finding, ...], line: str) -> None:
    assert report.summary(Review(Verdict.APPROVE, "s", findings, coverage), "staged") == line


@pytest.mark.parametrize(
    ("fail_on", "push", "text", "code"),
    [
        ("never", False, "relay-git: fix — staged: 0 file(s) reviewed, 1 error", 0),
        (
            "error",
            False,
            "a.py:3: error: m two\nrelay-git: commit blocked by 1 finding(s) at or above error "
            "(fix them, or RELAY_GIT_SKIP=1 to commit anyway)",
            1,
        ),
        (
            "warning",
            True,
            "a.py:3: error: m two\nrelay-git: push blocked by 1 finding(s) at or above warning "
            "(fix them, or RELAY_GIT_SKIP=1 to push anyway)",
            1,
        ),
    ],
)
def test_verdict_blocks_at_fail_on(fail_on: str, push: bool, text: str, code: int) -> None:
    result = Review(Verdict.FIX, "s", (finding(Severity.ERROR),), Coverage())
    assert report.verdict(result, fail_on, "staged", push) == (text, code)


def test_warnings_of_a_run_that_fails_open() -> None:
    assert report.waiting("ollama:big", 60.0) == (
        "relay-git: reviewing with ollama:big, budget 60 s (RELAY_GIT_SKIP=1 skips)…"
    )
    assert report.waiting("ollama:big", None).endswith("big (RELAY_GIT_SKIP=1 skips)…")
    assert report.not_done(RuntimeError("down")).splitlines() == [
        "relay-git: warning: review not done: down",
        "relay-git: not blocking (use --strict to fail instead)",
    ]
    assert report.skipped("SKIP contains x") == "relay-git: review skipped (SKIP contains x)"
