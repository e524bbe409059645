"""`log --stats`: totals per model and the large-model-alone time and cost, from measured speeds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from relay_git.cli import main
from relay_git.config.dirs import config_dir
from relay_git.history.stats import compute
from relay_git.history.store import Run, append, default_path, runs
from relay_git.types import LedgerEntry, Price

SMALL = "ollama:qwen3-coder:30b"
LARGE = "ollama:gpt-oss:120b"


def entry(
    stage: str,
    model: str,
    prompt: int,
    output: int,
    seconds: float,
    ttft: float | None = None,
    decode: float | None = None,
) -> LedgerEntry:
    role = "reviewer" if model == LARGE else "coder"
    return LedgerEntry(
        stage, role, model, prompt, output, seconds, 8192, 0, "stop", 0, ttft, decode
    )


def run(*ledger: LedgerEntry, reviewer: str = LARGE, command: str = "scaffold") -> Run:
    return Run("2026-01-01T00:00:00+00:00", "/r", command, SMALL, reviewer, 0, None, 9.0, ledger)


# The small model reads 3000 tokens in 1 s and writes 1000 in 4 s; the large one reads 4000 in
# 2 s (2000 tok/s) and writes 100 in 2 s (50 tok/s).
RELAY = run(
    entry("generate", SMALL, 3000, 1000, 5.0, 1.0, 4.0),
    entry("review", LARGE, 4000, 100, 4.0, 2.0, 2.0),
)
# Alone: its own review as measured, the small model's prompt at its prefill rate, the small
# model's output at its decode rate.
ALONE = 4.0 + 3000 / 2000 + 1000 / 50


def test_large_alone_is_prefill_plus_decode_not_output_over_call_seconds() -> None:
    stats = compute([RELAY], {})
    small, large = stats.models
    assert (small.model, small.prefill_tps, small.decode_tps) == (SMALL, 3000.0, 250.0)
    assert (large.prefill_tps, large.decode_tps) == (2000.0, 50.0)
    assert stats.relay_seconds == pytest.approx(9.0)
    assert stats.alone_seconds == pytest.approx(ALONE)
    old_formula = 1100 / (100 / 4.0)  # all output over the large model's whole-call tok/s
    assert stats.alone_seconds != pytest.approx(old_formula)
    assert stats.no_comparison == "" and stats.scaffold_runs == 1


def test_large_rates_measured_in_a_review_run_serve_a_scaffold_run() -> None:
    review_only = run(entry("review", LARGE, 1000, 50, 1.5, 0.5, 1.0), command="review")
    coder_only = run(entry("generate", SMALL, 10, 300, 1.0, 0.1, 0.9), reviewer="gpt-oss:120b")
    stats = compute([review_only, coder_only], {})
    assert stats.scaffold_runs == 1
    assert stats.alone_seconds == pytest.approx(10 / 2000 + 300 / 50)


def test_review_only_history_has_no_scaffold_runs_to_compare(
    capsys: pytest.CaptureFixture[str],
) -> None:
    append(default_path(dict(os.environ)), run(RELAY.ledger[1], command="review"))
    stats = compute(runs(default_path(dict(os.environ))), {})
    assert stats.alone_seconds is None and stats.no_comparison == "no scaffold runs"
    assert main(["log", "--stats", "--all-repos"]) == 0
    out = capsys.readouterr().out
    assert "not compared (no scaffold runs)" in out
    assert "0.0 s" not in out and "1.0x" not in out


def test_a_large_model_without_decode_timing_is_named_not_guessed() -> None:
    untimed = run(entry("generate", SMALL, 10, 300, 1.0, 0.1, 0.9), reviewer="openai:gpt-4.1")
    stats = compute([untimed, run(entry("review", "openai:gpt-4.1", 900, 40, 3.0))], {})
    assert stats.alone_seconds is None
    assert stats.no_comparison == "no decode timing for openai:gpt-4.1"


def test_dollars_from_prices_per_million_tokens() -> None:
    prices = {SMALL: Price(0.1, 1.0), LARGE: Price(1.0, 10.0)}
    stats = compute([RELAY], prices)
    assert stats.cost == pytest.approx((3000 * 0.1 + 1000 * 1.0 + 4000 * 1.0 + 100 * 10.0) / 1e6)
    assert stats.cost_if_large == pytest.approx((7000 * 1.0 + 1100 * 10.0) / 1e6)
    assert compute([RELAY], {LARGE: Price(1.0, 10.0)}).cost is None  # the small one is unpriced


def test_log_stats_prices_come_from_the_config_by_full_spec(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The user config names the large model bare; its price still applies (one Price)."""
    user = config_dir(dict(os.environ)) / "config.toml"
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text('[prices."gpt-oss:120b"]\ninput = 1\noutput = 10\n', encoding="utf-8")
    append(default_path(dict(os.environ)), RELAY)
    assert main(["log", "--stats", "--json", "--all-repos"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    expected = compute([RELAY], {LARGE: Price(1.0, 10.0)}).models[1].cost
    assert [m["cost_usd"] for m in data["models"]] == [None, round(expected or -1, 6)]
    assert expected


def test_log_stats_cli(capsys: pytest.CaptureFixture[str]) -> None:
    path = default_path(dict(os.environ))
    append(path, RELAY)
    assert [r.ledger for r in runs(path)] == [RELAY.ledger]
    assert main(["log", "--stats", "--all-repos"]) == 0
    out = capsys.readouterr().out
    assert "prefill/s" in out and "decode/s" in out
    assert (
        "1 scaffold run(s): the relay took 9.0 s of model time; the large model alone would "
        "have taken 25.5 s (2.8x)" in out
    )
    assert main(["log", "--stats", "--json", "--all-repos"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    assert data["runs"] == 1 and data["seconds_if_large"] == ALONE
    assert [m["model"] for m in data["models"]] == [SMALL, LARGE]
    assert data["models"][1]["decode_tps"] == 50.0


def test_empty_history(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["log", "--stats", "--all-repos"]) == 0
    assert "no model calls logged yet" in capsys.readouterr().out
    assert main(["log"]) == 0
    assert "no runs logged in " in capsys.readouterr().out  # this repository


def test_text_shows_dollars_when_priced() -> None:
    from relay_git.reporters.history import stats as render

    text = render(compute([RELAY], {SMALL: Price(0.1, 1.0), LARGE: Price(1.0, 10.0)}), Path("h"))
    assert "if large $" in text and "$0.0063" in text and "$0.0180" in text
