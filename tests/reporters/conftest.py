"""Constructed Review values shared by the reporter tests."""

from __future__ import annotations

import pytest

from relay_git.types import (
    Category,
    Coverage,
    Finding,
    LedgerEntry,
    Review,
    Severity,
    SkippedFile,
    Verdict,
)

FINDINGS = (
    Finding(
        path="src/app.py",
        line=14,
        end_line=16,
        severity=Severity.WARNING,
        category=Category.STYLE,
        message="Loop can be a comprehension",
        suggestion="    out = [f(x) for x in xs]\n",
        fingerprint="fp-style-1",
    ),
    Finding(
        path="src/app.py",
        line=3,
        end_line=3,
        severity=Severity.ERROR,
        category=Category.BUG,
        message="Off-by-one: range(len(xs) + 1)\nreads past the end",
        fingerprint="fp-bug-1",
    ),
    Finding(
        path="docs/ä dir/read me.md",
        line=1,
        end_line=1,
        severity=Severity.INFO,
        category=Category.SECURITY,
        message="Token | pasted <here>",
        fingerprint="fp-sec-1",
    ),
)
LEDGER = (
    LedgerEntry("plan", "coder", "ollama:qwen3-coder:30b", 1200, 300, 2.5, 8192),
    LedgerEntry("review", "reviewer", "ollama:gpt-oss:120b", 9000, 400, 8.0, 32768),
    LedgerEntry("fix", "coder", "ollama:qwen3-coder:30b", 800, 200, 1.5, 8192),
)
COMPLETE = Coverage(
    reviewed=("src/app.py", "docs/ä dir/read me.md"), hunks_reviewed=4, hunks_total=4
)
PARTIAL = Coverage(
    reviewed=("src/app.py",),
    skipped=(
        SkippedFile("poetry.lock", "lockfile", gap=True),
        SkippedFile("logo.png", "binary", gap=True),
    ),
    split=("src/app.py",),
    hunks_reviewed=3,
    hunks_total=5,
)


@pytest.fixture
def review() -> Review:
    return Review(
        verdict=Verdict.FIX,
        summary="Two real problems.\nFix the loop first.",
        findings=FINDINGS,
        coverage=PARTIAL,
        ledger=LEDGER,
        notes=("The README claims Python 3.8 support", "Consider a CHANGELOG entry"),
    )


@pytest.fixture
def clean() -> Review:
    return Review(verdict=Verdict.APPROVE, summary="", findings=(), coverage=COMPLETE)
