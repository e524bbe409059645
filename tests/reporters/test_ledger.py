"""Plain-text ledger table."""

from __future__ import annotations

from tests.reporters.conftest import LEDGER

from relay_git.reporters import ledger


def test_empty() -> None:
    assert ledger.render_table([]) == "no model calls\n"


def test_rows_and_totals() -> None:
    lines = ledger.render_table(LEDGER).splitlines()
    assert lines[0].split() == [
        "stage", "role", "model", "prompt", "tok", "output", "tok", "seconds", "tok/s", "ctx"
    ]  # fmt: skip
    assert lines[1].split() == [
        "plan", "coder", "ollama:qwen3-coder:30b", "1200", "300", "2.50", "120.0", "8192"
    ]  # fmt: skip
    assert lines[4].split() == [
        "total", "2", "calls", "ollama:qwen3-coder:30b", "2000", "500", "4.00", "125.0"
    ]  # fmt: skip
    assert lines[5].split()[:3] == ["total", "1", "call"]
    assert len(lines) == 6


def test_numbers_right_aligned() -> None:
    lines = ledger.render_table(LEDGER).splitlines()
    ends = {line.index("8192") + 4 for line in lines[1:4] if "8192" in line}
    assert ends == {len(lines[0])}  # ctx column ends where its header ends
