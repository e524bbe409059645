"""The bench's speeds come from the ledger's prefill/decode split when it has one, and its
large-model-alone estimate is the scaffold report's (models/ledger.large_alone)."""

from __future__ import annotations

import pytest

from bench import metrics
from relay_git.models.ledger import Savings, large_alone

SMALL, LARGE = "llamacpp:/m/small.gguf", "llamacpp:/m/large.gguf"


def timed(model: str, prompt: int, out: int, ttft: float, decode: float) -> metrics.Call:
    return metrics.Call.from_dict(
        {"stage": "s", "role": "r", "model": model, "prompt_tokens": prompt,
         "output_tokens": out, "seconds": ttft + decode, "ttft_seconds": ttft,
         "decode_seconds": decode}
    )  # fmt: skip


RELAY = metrics.Run(
    "t", "relay", 10.0, 0,
    calls=(timed(SMALL, 400, 200, 0.2, 1.0), timed(LARGE, 800, 40, 2.0, 2.0)),
)  # fmt: skip


def test_speeds_are_measured_not_fitted_when_the_ledger_splits_them() -> None:
    speeds = metrics.speeds([RELAY])  # two calls: too few to fit, but measured
    assert speeds[LARGE].measured and speeds[LARGE].decode_tps == pytest.approx(20.0)
    assert speeds[LARGE].prefill_tps == pytest.approx(400.0)


def test_the_bench_estimate_is_the_report_estimate() -> None:
    expected = large_alone([c.entry() for c in RELAY.calls], LARGE)
    assert isinstance(expected, Savings)
    got = metrics.alone_seconds(RELAY, LARGE, metrics.speeds([RELAY]))
    assert got == pytest.approx(expected.alone_seconds) == pytest.approx(4.0 + 1.0 + 10.0)


def test_no_decode_timing_means_no_estimate() -> None:
    untimed = metrics.Run("t", "relay", 1.0, 0, calls=(metrics.Call("s", "r", LARGE, 9, 9, 1.0),))
    assert metrics.alone_seconds(untimed, LARGE, metrics.speeds([untimed])) is None
