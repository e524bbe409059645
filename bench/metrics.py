"""Pure arithmetic over scaffold runs: token shares, speeds, the seed's prediction, rates.

Nothing here runs a process or reads a file; every function takes plain values, so the
figures in the report can be checked by a fast test.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from relay_git.models.ledger import Rates, Savings, large_alone, rates
from relay_git.types import LedgerEntry

LARGE_SHARE_TARGET = 0.10  # the large model writes at most 10% of output tokens in relay mode
RATIO_TOLERANCE = 0.20  # measured wall ratio within 20% of the predicted one
OVERHEAD_TARGET = 0.05  # non-model time under 5% of scaffold wall time
TIMED_OUT = -1  # exit code the bench gives a run it had to stop


@dataclass(frozen=True)
class Call:
    """One ledger entry, as the scaffold's JSON reports it."""

    stage: str
    role: str
    model: str
    prompt_tokens: int
    output_tokens: int
    seconds: float
    done_reason: str = ""  # "stop" | "length" | "repetition" ..., when the ledger says
    max_tokens: int | None = None  # the cap the call was given, when the ledger says
    cached_tokens: int = 0
    ttft_seconds: float | None = None  # time to first token, when the backend timed it
    decode_seconds: float | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Call:
        cap = d.get("max_tokens")
        return cls(
            str(d["stage"]),
            str(d["role"]),
            str(d["model"]),
            int(d["prompt_tokens"]),
            int(d["output_tokens"]),
            float(d["seconds"]),
            str(d.get("done_reason") or ""),
            int(cap) if isinstance(cap, int) else None,
            int(d.get("cached_tokens") or 0),
            _seconds(d.get("ttft_seconds")),
            _seconds(d.get("decode_seconds")),
        )

    def entry(self) -> LedgerEntry:
        """The call as the ledger holds it, for models/ledger.py's rates and estimate."""
        return LedgerEntry(
            self.stage, self.role, self.model, self.prompt_tokens, self.output_tokens,
            self.seconds, 0, self.cached_tokens, self.done_reason or "stop",
            self.max_tokens or 0, self.ttft_seconds, self.decode_seconds,
        )  # fmt: skip

    @property
    def cut(self) -> bool | None:
        """The reply ran to its cap or was stopped as a loop; None when the ledger can't say."""
        if self.done_reason:
            return self.done_reason != "stop"
        if self.max_tokens:
            return self.output_tokens >= self.max_tokens
        return None


def _seconds(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


@dataclass(frozen=True)
class Outcome:
    stage: str
    model: str
    attempts: int
    ok: bool


@dataclass(frozen=True)
class Run:
    """One ``relay-git scaffold`` process: what the bench measured and what the JSON said."""

    task: str
    mode: str  # "relay" | "large-only"
    wall_seconds: float
    exit_code: int
    calls: tuple[Call, ...] = ()
    outcomes: tuple[Outcome, ...] = ()
    test_seconds: float = 0.0
    error: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    verdict: str = ""  # the review's verdict as the run's report gave it
    done: bool | None = None  # the bench's judgement of the branch; None: never judged
    reasons: tuple[str, ...] = ()  # why not done
    evaluation: Mapping[str, Any] = field(default_factory=dict)  # what the checker found
    load_seconds: float | None = None  # model_load_seconds from the report, when it has it

    @property
    def dishonest(self) -> bool:
        """Said it succeeded (exit 0 or an approval) while the task is not done."""
        return self.done is False and (self.exit_code == 0 or self.verdict == "approve")

    @property
    def timed_out(self) -> bool:
        """Stopped by the bench: its wall time is censored and its last call is not in the
        ledger, so it cannot enter a ratio or the overhead."""
        return self.exit_code == TIMED_OUT

    @property
    def model_seconds(self) -> float:
        return sum(c.seconds for c in self.calls)

    def output_tokens(self, model: str | None = None) -> int:
        return sum(c.output_tokens for c in self.calls if model is None or c.model == model)


# ---------------------------------------------------------------------------- speeds


@dataclass(frozen=True)
class Speed:
    model: str
    output_tokens: int
    prompt_tokens: int
    seconds: float
    calls: int
    decode_tps: float | None = None  # measured (ttft/decode split), else fitted, else None
    prefill_tps: float | None = None
    measured: bool = False  # the rates come from the ledger's timings, not the fit

    @property
    def ledger_tps(self) -> float:
        """Output tokens per call-second, prefill included: what the ledger shows."""
        return self.output_tokens / self.seconds if self.seconds > 0 else 0.0


def split_prefill(calls: Sequence[Call]) -> tuple[float, float] | None:
    """Least squares ``seconds = prompt/P + output/D`` over one model's calls -> (P, D).

    None when the two rates cannot be told apart (too few or collinear calls) or a fitted
    rate comes out non-positive.
    """
    xs = [(float(c.prompt_tokens), float(c.output_tokens), c.seconds) for c in calls]
    spp = sum(p * p for p, _, _ in xs)
    soo = sum(o * o for _, o, _ in xs)
    spo = sum(p * o for p, o, _ in xs)
    sps = sum(p * s for p, _, s in xs)
    sos = sum(o * s for _, o, s in xs)
    det = spp * soo - spo * spo
    if len(xs) < 3 or det <= 1e-9 * max(spp * soo, 1.0):
        return None
    a = (sps * soo - sos * spo) / det  # seconds per prompt token
    b = (sos * spp - sps * spo) / det  # seconds per output token
    if a <= 0 or b <= 0:
        return None
    return 1.0 / a, 1.0 / b


def speeds(runs: Iterable[Run]) -> dict[str, Speed]:
    """Per model, over every call of every run: the rates the ledger measured (time to first
    token and decode apart, models/ledger.rates), else fitted (older ledgers)."""
    by_model: dict[str, list[Call]] = {}
    for run in runs:
        for call in run.calls:
            by_model.setdefault(call.model, []).append(call)
    out: dict[str, Speed] = {}
    for model, calls in by_model.items():
        got = rates(c.entry() for c in calls)[model]
        measured = got.decode_tps is not None
        split = None if measured else split_prefill(calls)
        out[model] = Speed(
            model=model,
            output_tokens=sum(c.output_tokens for c in calls),
            prompt_tokens=sum(c.prompt_tokens for c in calls),
            seconds=sum(c.seconds for c in calls),
            calls=len(calls),
            prefill_tps=got.prefill_tps if measured else (split[0] if split else None),
            decode_tps=got.decode_tps if measured else (split[1] if split else None),
            measured=measured,
        )
    return out


def alone_seconds(relay: Run, large: str, known: Mapping[str, Speed]) -> float | None:
    """What ``large`` alone would need for the relay's calls: models/ledger.large_alone, the
    estimate the scaffold report and ``log --stats`` give, at the bench's speeds."""
    measured = {m: Rates(m, s.prefill_tps, s.decode_tps) for m, s in known.items()}
    result = large_alone([c.entry() for c in relay.calls], large, measured)
    return result.alone_seconds if isinstance(result, Savings) else None


# ------------------------------------------------------------------------ prediction


def seed_ratio(small_out: int, large_out: int, small_tps: float, large_tps: float) -> float:
    """The seed's formula: (Ns/vs + Nl/vl) / ((Ns + Nl)/vl)."""
    total = small_out + large_out
    if total == 0 or small_tps <= 0 or large_tps <= 0:
        return float("nan")
    return (small_out / small_tps + large_out / large_tps) / (total / large_tps)


def prefill_ratio(relay: Run, small: str, large: str, fitted: Mapping[str, Speed]) -> float:
    """The seed's formula with prefill: every relay call costs prompt/P + output/D of its
    model; large-only is the same calls all costed at the large model's P and D."""
    s, g = fitted.get(small), fitted.get(large)
    if not (s and g and s.prefill_tps and s.decode_tps and g.prefill_tps and g.decode_tps):
        return float("nan")
    rates = {small: (s.prefill_tps, s.decode_tps), large: (g.prefill_tps, g.decode_tps)}
    relay_s = sum(
        c.prompt_tokens / rates[c.model][0] + c.output_tokens / rates[c.model][1]
        for c in relay.calls
        if c.model in rates
    )
    alone = sum(
        c.prompt_tokens / g.prefill_tps + c.output_tokens / g.decode_tps for c in relay.calls
    )
    return relay_s / alone if alone > 0 else float("nan")


def within(measured: float, predicted: float, tolerance: float = RATIO_TOLERANCE) -> bool:
    return predicted > 0 and abs(measured - predicted) <= tolerance * predicted


def share(part: float, whole: float) -> float:
    return part / whole if whole > 0 else float("nan")


# ------------------------------------------------------------------------- well-formed


@dataclass(frozen=True)
class Rate:
    stage: str
    model: str
    replies: int
    first_try: int
    eventually: int

    @property
    def first_try_rate(self) -> float:
        return share(self.first_try, self.replies)

    @property
    def eventual_rate(self) -> float:
        return share(self.eventually, self.replies)


def stage_family(stage: str) -> str:
    """``fix-2`` -> ``fix``, ``fix-2:apply`` -> ``fix:apply``: rounds are counted together."""
    return re.sub(r"-\d+(?=$|:)", "", stage)


def wellformed(outcomes: Iterable[Outcome], by_model: bool = True) -> list[Rate]:
    """Per stage (and model): replies that validated first time, and at all."""
    groups: dict[tuple[str, str], list[Outcome]] = {}
    for o in outcomes:
        groups.setdefault((stage_family(o.stage), o.model if by_model else "*"), []).append(o)
    return [
        Rate(
            stage=stage,
            model=model,
            replies=len(rows),
            first_try=sum(1 for o in rows if o.ok and o.attempts == 1),
            eventually=sum(1 for o in rows if o.ok),
        )
        for (stage, model), rows in sorted(groups.items())
    ]


# ---------------------------------------------------------------------------- overhead


def overhead(run: Run, fixed_seconds: float = 0.0) -> float:
    """Non-model share of wall time: (wall - model calls - tests - fixed) / wall.

    ``fixed_seconds`` is time the bench measured separately and chose to exclude
    (model loading, interpreter start); 0 gives the raw figure.
    """
    rest = run.wall_seconds - run.model_seconds - run.test_seconds - fixed_seconds
    return share(max(rest, 0.0), run.wall_seconds)
