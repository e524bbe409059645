"""Markdown reporter: layout, suggestion blocks, escaping, ledger table."""

from __future__ import annotations

import pytest

from relay_git.reporters import markdown
from relay_git.types import Category, Coverage, Finding, Review, Severity, Verdict

CELL_CASES = [
    ("plain", "plain"),
    ("a | b", "a \\| b"),
    ("line1\nline2", "line1<br>line2"),
    ("crlf\r\nline", "crlf<br>line"),
    ("<script>x</script>", "&lt;script&gt;x&lt;/script&gt;"),
    ("a \\| b", "a \\\\\\| b"),
    ("  padded \n", "padded"),
]


@pytest.mark.parametrize(("raw", "escaped"), CELL_CASES)
def test_cell_escaping(raw: str, escaped: str) -> None:
    assert markdown.cell(raw) == escaped


def test_findings_table_rows_stay_one_line(review: Review) -> None:
    out = markdown.render(review)
    rows = [line for line in out.splitlines() if line.startswith("| ") and "finding" not in line]
    assert "| info | docs/ä dir/read me.md:1 | security | Token \\| pasted &lt;here&gt; |" in rows
    assert (
        "| error | src/app.py:3 | bug | Off-by-one: range(len(xs) + 1)<br>reads past the end |"
        in rows
    )
    for row in rows:  # every table row has exactly its columns' worth of unescaped pipes
        assert row.replace("\\|", "").count("|") in (5, 9)


def test_heading_summary_and_partial_warning(review: Review) -> None:
    out = markdown.render(review)
    assert out.startswith("## relay-git review: changes needed (`fix`)\n")
    assert "> **PARTIAL REVIEW: 2 of 5 hunks not reviewed; 2 files skipped" in out
    assert "Two real problems.\nFix the loop first." in out
    assert "### Coverage\n\nReviewed 1 file (3 of 5 hunks); skipped: poetry.lock (lockfile)" in out
    assert (
        "### Notes\n\n- The README claims Python 3.8 support\n- Consider a CHANGELOG entry" in out
    )


def test_suggestion_block_under_its_finding(review: Review) -> None:
    out = markdown.render(review)
    block = "#### `src/app.py:14-16`: Loop can be a comprehension\n\n```suggestion\n"
    assert block + "    out = [f(x) for x in xs]\n```" in out
    assert out.count("```suggestion") == 1


def test_suggestion_with_backticks_gets_a_longer_fence() -> None:
    finding = Finding(
        "README.md", 2, 4, Severity.INFO, Category.STYLE, "fence", suggestion="```py\nx\n```\n"
    )
    review = Review(Verdict.APPROVE, "", (finding,), Coverage(("README.md",), (), (), 1, 1))
    out = markdown.render(review)
    assert "````suggestion\n```py\nx\n```\n````" in out


def test_ledger_table(review: Review) -> None:
    out = markdown.render(review)
    assert "| stage | role | model | prompt tok | output tok | seconds | tok/s | ctx |" in out
    assert "| plan | coder | ollama:qwen3-coder:30b | 1200 | 300 | 2.50 | 120.0 | 8192 |" in out
    assert "| **total** | **2 calls** | **ollama:qwen3-coder:30b** | **2000** |" in out


def test_clean_review(clean: Review) -> None:
    out = markdown.render(clean)
    assert out.startswith("## relay-git review: approved (`approve`)")
    assert "PARTIAL" not in out and "### Findings" not in out and "### Notes" not in out
    assert out.rstrip().endswith("### Model usage\n\nNo model calls.")


def test_findings_table_most_severe_first(review: Review) -> None:
    out = markdown.render(review)
    severities = [
        line.split(" | ")[0].lstrip("| ")
        for line in out.splitlines()
        if line.startswith(("| error", "| warning", "| info"))
    ]
    assert severities == ["error", "warning", "info"]
