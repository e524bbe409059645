"""Text reporter on constructed reviews."""

from __future__ import annotations

import re

from relay_git.reporters import text
from relay_git.types import Review


def test_finding_lines_are_editor_jumpable_most_severe_first(review: Review) -> None:
    out = text.render(review)
    lines = out.splitlines()
    assert lines[:3] == [
        "src/app.py:3: error: Off-by-one: range(len(xs) + 1) reads past the end [bug]",
        "src/app.py:14: warning: Loop can be a comprehension [style]",
        "docs/ä dir/read me.md:1: info: Token | pasted <here> [security]",
    ]


def test_same_severity_by_path_then_line() -> None:
    from relay_git.types import Category, Coverage, Finding, Severity, Verdict

    def warn(path: str, line: int) -> Finding:
        return Finding(path, line, line, Severity.WARNING, Category.BUG, f"{path}@{line}")

    found = (warn("b.py", 1), warn("a.py", 9), warn("a.py", 2))
    out = text.render(Review(Verdict.FIX, "", found, Coverage()))
    assert [ln.split(": ")[0] for ln in out.splitlines()[:3]] == ["a.py:2", "a.py:9", "b.py:1"]


def test_summary_counts_coverage_and_partial_warning(review: Review) -> None:
    out = text.render(review)
    assert "verdict: fix - 3 findings (1 error, 1 warning, 1 info)" in out
    assert "summary: Two real problems.\n         Fix the loop first.\n" in out
    assert (
        "reviewed 1 file (3 of 5 hunks); skipped: poetry.lock (lockfile), logo.png (binary)" in out
    )
    assert "PARTIAL REVIEW: 2 of 5 hunks not reviewed; 2 files skipped" in out


def test_notes_under_a_heading(review: Review) -> None:
    out = text.render(review)
    heading = out.index("notes (not tied to a changed line):")
    assert out.index("  - The README claims Python 3.8 support") > heading
    assert out.index("  - Consider a CHANGELOG entry") > heading


def test_clean_review(clean: Review) -> None:
    out = text.render(clean)
    assert out == (
        "verdict: approve - 0 findings (0 error, 0 warning, 0 info)\nreviewed 2 files (4 hunks)\n"
    )
    assert "PARTIAL" not in out


def test_no_ansi_codes(review: Review) -> None:
    assert not re.search(r"\x1b\[", text.render(review))
