"""Prefill and decode rates per model, and the one large-model-alone estimate built on them
(models/ledger.py), as the scaffold report's headline shows it."""

from __future__ import annotations

import pytest

from relay_git.models.ledger import NoComparison, Savings, large_alone, rates
from relay_git.scaffold.finish.report import _headline_lines, headline
from relay_git.scaffold.state import entry_from_dict
from relay_git.types import LedgerEntry

SMALL = "llamacpp:/m/smollm2.gguf"
LARGE = "llamacpp:/m/gemma.gguf"


def call(
    model: str,
    prompt: int,
    output: int,
    ttft: float | None,
    decode: float | None,
    cached: int = 0,
) -> LedgerEntry:
    seconds = (ttft or 0.0) + (decode or 0.0) or 1.0
    return LedgerEntry(
        "s", "r", model, prompt, output, seconds, 4096, cached, "stop", 0, ttft, decode
    )


# The README demo's shape: Gemma reads 600 tokens in 1.5 s (400 tok/s) and writes 60 in 2 s
# (30 tok/s) — 24 tok/s over its whole call, the figure the old headline divided by.
DEMO = (
    call(SMALL, 500, 300, 0.5, 1.5),
    call(SMALL, 900, 200, 0.5, 1.0, cached=400),
    call(LARGE, 600, 60, 1.5, 2.0),
)


def test_rates_come_from_the_split_and_skip_cached_prompt_tokens() -> None:
    measured = rates(DEMO)
    assert measured[SMALL].prefill_tps == pytest.approx((500 + 500) / 1.0)
    assert measured[SMALL].decode_tps == pytest.approx(500 / 2.5)
    assert (measured[LARGE].prefill_tps, measured[LARGE].decode_tps) == (400.0, 30.0)


def test_large_alone_is_its_own_calls_plus_prefill_and_decode_of_the_rest() -> None:
    result = large_alone(DEMO, LARGE)
    assert isinstance(result, Savings)
    assert (result.read_tokens, result.output_tokens) == (1000, 500)
    assert result.alone_seconds == pytest.approx(3.5 + 1000 / 400 + 500 / 30)
    old = sum(e.output_tokens for e in DEMO) / (60 / 3.5)  # all output / whole-call tok/s
    assert old > 1.4 * result.alone_seconds  # the old figure overstated it


def test_no_decode_timing_for_the_large_model_is_said_not_guessed() -> None:
    untimed = (*DEMO[:2], call(LARGE, 600, 60, None, None))
    assert large_alone(untimed, LARGE) == NoComparison(f"no decode timing for {LARGE}")


def test_a_run_without_small_model_calls_has_nothing_to_compare() -> None:
    assert large_alone(DEMO[2:], LARGE) == NoComparison("no small-model calls to compare")


def test_the_headline_uses_it_and_says_why_when_it_cannot() -> None:
    good = headline(DEMO, SMALL, LARGE)
    assert good.large_alone_seconds == pytest.approx(3.5 + 2.5 + 500 / 30)
    text = "\n".join(_headline_lines(good, 10.0))
    assert "gemma.gguf prefill 400.0, decode 30.0 tok/s" in text
    assert f"would need ~{good.large_alone_seconds:.1f}s" in text
    bad = headline((*DEMO[:2], call(LARGE, 600, 60, None, None)), SMALL, LARGE)
    assert bad.large_alone_seconds is None
    assert "not estimated (no decode timing for" in "\n".join(_headline_lines(bad, 10.0))
    assert bad.to_dict()["no_comparison"] == f"no decode timing for {LARGE}"


def test_run_state_keeps_the_split_and_reads_old_entries() -> None:
    entry = DEMO[2]
    assert entry_from_dict(entry.to_dict()) == LedgerEntry(
        "s", "r", LARGE, 600, 60, 3.5, 4096, 0, "stop", 0, 1.5, 2.0
    )
    old = {k: v for k, v in entry.to_dict().items() if k not in ("ttft_seconds", "decode_seconds")}
    assert entry_from_dict(old).decode_seconds is None
