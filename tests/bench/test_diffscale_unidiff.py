"""bench/diffscale.py measures unidiff beside our parser, and the long binary line."""

from __future__ import annotations

import importlib.util

import pytest

from bench import diffscale


@pytest.mark.skipif(importlib.util.find_spec("unidiff") is None, reason="pip install '.[bench]'")
def test_case_times_unidiff_on_the_same_text() -> None:
    result = diffscale.measure(diffscale.Case("spread", 1000, 50), repeats=1)
    assert result.unidiff_s is not None and result.unidiff_s > 0
    verdict = diffscale._vs_unidiff([result])
    assert verdict["measured"] == round(result.parse_s / result.unidiff_s, 2)
    assert "vs" in verdict["display"] and isinstance(verdict["met"], bool)


def test_without_unidiff_the_comparison_says_so() -> None:
    row = diffscale.CaseResult("dense", 10, 1, 1, 0.1, 0.1, 0, 0, 0, 0.1, 1, 1, 1, 1, None)
    verdict = diffscale._vs_unidiff([row])
    assert verdict["met"] is False and verdict["display"] == "unidiff not installed"


@pytest.mark.timeout(20)
def test_binary_line_is_timed_through_parse() -> None:
    assert diffscale.binary_line_seconds(kb=80, repeats=1) > 0
