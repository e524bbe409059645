"""`log --stats`: totals per model and the large-model-alone time and cost, from measured speeds."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from relay_git.cli import main
from relay_git.history.stats import Price, compute, prices_from
from relay_git.history.store import Run, append, default_path, runs
from relay_git.types import LedgerEntry

SMALL = "ollama:qwen3-coder:30b"
LARGE = "ollama:gpt-oss:120b"


def entry(stage: str, model: str, prompt: int, output: int, seconds: float) -> LedgerEntry:
    role = "reviewer" if model == LARGE else "coder"
    return LedgerEntry(stage, role, model, prompt, output, seconds, 8192)


def run(*ledger: LedgerEntry, reviewer: str = LARGE, command: str = "scaffold") -> Run:
    return Run("2026-01-01T00:00:00+00:00", "/r", command, SMALL, reviewer, 0, None, 9.0, ledger)


# The small model writes 1000 tokens at 200 tok/s; the large one 100 at 50 tok/s.
RELAY = run(entry("generate", SMALL, 3000, 1000, 5.0), entry("review", LARGE, 4000, 100, 2.0))


def test_small_output_is_priced_at_the_measured_large_speed() -> None:
    stats = compute([RELAY], {})
    small, large = stats.models
    assert (small.model, small.tokens_per_second, small.seconds) == (SMALL, 200.0, 5.0)
    assert small.seconds_if_large == pytest.approx(1000 / 50)
    assert large.seconds_if_large == pytest.approx(2.0)
    assert stats.seconds == pytest.approx(7.0)
    assert stats.seconds_if_large == pytest.approx(22.0)
    assert stats.cost is None and stats.unmeasured == ()


def test_bare_reviewer_name_and_speed_measured_in_another_run() -> None:
    review_only = run(entry("review", LARGE, 1000, 50, 1.0), command="review")
    coder_only = run(entry("generate", SMALL, 10, 300, 1.0), reviewer="gpt-oss:120b")
    stats = compute([review_only, coder_only], {})
    assert stats.models[0].seconds_if_large == pytest.approx(1.0)
    assert stats.models[1].seconds_if_large == pytest.approx(300 / 50)


def test_unmeasured_large_model_is_named_not_guessed() -> None:
    stats = compute([run(entry("generate", SMALL, 10, 300, 1.0), reviewer="openai:gpt-4.1")], {})
    assert stats.seconds_if_large is None
    assert stats.unmeasured == ("openai:gpt-4.1",)


def test_dollars_from_prices_per_million_tokens() -> None:
    prices = {SMALL: Price(0.1, 1.0), LARGE: Price(1.0, 10.0)}
    stats = compute([RELAY], prices)
    assert stats.cost == pytest.approx((3000 * 0.1 + 1000 * 1.0 + 4000 * 1.0 + 100 * 10.0) / 1e6)
    assert stats.cost_if_large == pytest.approx((7000 * 1.0 + 1100 * 10.0) / 1e6)
    assert compute([RELAY], {LARGE: Price(1.0, 10.0)}).cost is None  # the small one is unpriced


def test_prices_from_config_dicts_objects_and_bare_names() -> None:
    raw = {
        "gpt-oss:120b": {"input": 1, "output": 10},
        "openai:gpt-4.1": SimpleNamespace(input=2.0, output=8.0),
        "bad": {"input": "x"},
    }
    assert prices_from(raw) == {LARGE: Price(1.0, 10.0), "openai:gpt-4.1": Price(2.0, 8.0)}
    assert prices_from(None) == {}


def test_log_stats_cli(capsys: pytest.CaptureFixture[str]) -> None:
    path = default_path(dict(os.environ))
    append(path, RELAY)
    assert [r.ledger for r in runs(path)] == [RELAY.ledger]
    assert main(["log", "--stats"]) == 0
    out = capsys.readouterr().out
    assert "if large" in out
    assert (
        "the relay took 7.0 s of model time; the large model alone would have taken 22.0 s" in out
    )
    assert main(["log", "--stats", "--json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    assert data["runs"] == 1 and data["seconds_if_large"] == 22.0
    assert [m["model"] for m in data["models"]] == [SMALL, LARGE]


def test_empty_history(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["log", "--stats"]) == 0
    assert "no model calls logged yet" in capsys.readouterr().out
    assert main(["log"]) == 0
    assert "no runs logged yet" in capsys.readouterr().out


def test_text_shows_dollars_when_priced() -> None:
    from relay_git.reporters.history import stats as render

    text = render(compute([RELAY], {SMALL: Price(0.1, 1.0), LARGE: Price(1.0, 10.0)}), Path("h"))
    assert "if large $" in text and "$0.0063" in text and "$0.0180" in text
