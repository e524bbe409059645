"""What the logged runs cost, and what the same output would have cost on the large model.

Pure: runs and prices in, numbers out. The large model of a run is its reviewer. Its
speed is *measured*: its output tokens over its wall seconds, summed over every call
it made in the history. A call the small model made would have taken
``output_tokens / large tok/s`` on the large one; a call the large model made took what
it took. A reviewer the history never saw answer (every review came from the cache)
has no measured speed, so the calls of its runs count as "not comparable".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from relay_git.errors import UsageError
from relay_git.history.store import Run
from relay_git.models.base import parse_spec
from relay_git.models.ledger import ModelTotals, totals
from relay_git.types import LedgerEntry

PER = 1_000_000  # prices are USD per million tokens


@dataclass(frozen=True)
class Price:
    input: float
    output: float

    def cost(self, prompt_tokens: int, output_tokens: int) -> float:
        return (prompt_tokens * self.input + output_tokens * self.output) / PER


@dataclass(frozen=True)
class ModelStats(ModelTotals):
    """A model's totals over the history, and the same calls on the large model."""

    seconds_if_large: float | None = None  # None: no measured speed for a run's large model
    cost: float | None = None  # None: no price for this model
    cost_if_large: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "seconds_if_large": _round(self.seconds_if_large, 3),
            "cost_usd": _round(self.cost, 6),
            "cost_if_large_usd": _round(self.cost_if_large, 6),
        }


@dataclass(frozen=True)
class Stats:
    runs: int
    models: tuple[ModelStats, ...]
    unmeasured: tuple[str, ...]  # large models with no measured speed

    @property
    def seconds(self) -> float:
        return sum(m.seconds for m in self.models)

    @property
    def seconds_if_large(self) -> float | None:
        return _sum_or_none(m.seconds_if_large for m in self.models)

    @property
    def cost(self) -> float | None:
        return _sum_or_none(m.cost for m in self.models)

    @property
    def cost_if_large(self) -> float | None:
        return _sum_or_none(m.cost_if_large for m in self.models)

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "models": [m.to_dict() for m in self.models],
            "seconds": round(self.seconds, 3),
            "seconds_if_large": _round(self.seconds_if_large, 3),
            "cost_usd": _round(self.cost, 6),
            "cost_if_large_usd": _round(self.cost_if_large, 6),
            "unmeasured": list(self.unmeasured),
        }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _sum_or_none(values: Iterable[float | None]) -> float | None:
    items = list(values)
    return None if not items or any(v is None for v in items) else sum(v or 0.0 for v in items)


def canonical(spec: str) -> str:
    """``gpt-oss:120b`` and ``ollama:gpt-oss:120b`` name the same model."""
    try:
        return parse_spec(spec).full
    except UsageError:
        return spec


def prices_from(raw: Mapping[str, Any] | None) -> dict[str, Price]:
    """Config ``prices`` ({spec: {input, output}} or objects with those attributes)."""
    out: dict[str, Price] = {}
    for spec, value in (raw or {}).items():
        get = value.get if isinstance(value, Mapping) else lambda k, v=value: getattr(v, k, None)
        try:
            out[canonical(spec)] = Price(float(get("input") or 0), float(get("output") or 0))
        except (TypeError, ValueError):
            continue  # the config layer validates; a bad entry here just has no price
    return out


def _if_large(entry: LedgerEntry, large: str, rates: Mapping[str, float]) -> float | None:
    """Seconds this call would have taken on ``large`` (None: its speed was never measured)."""
    if entry.model == large:
        return entry.seconds
    rate = rates.get(large, 0.0)
    return entry.output_tokens / rate if rate > 0 else None


def compute(history: Sequence[Run], prices: Mapping[str, Price]) -> Stats:
    entries = [e for run in history for e in run.ledger]
    rates = {t.model: t.tokens_per_second for t in totals(entries)}
    acc: dict[str, list[float | None]] = {}  # model -> [if_large s, cost, cost if large]
    unmeasured: set[str] = set()
    for run in history:
        large = canonical(run.reviewer)
        for e in run.ledger:
            seconds = _if_large(e, large, rates)
            if seconds is None:
                unmeasured.add(large)
            own, big = prices.get(e.model), prices.get(large)
            row = acc.setdefault(e.model, [0.0, 0.0, 0.0])
            for i, value in enumerate(
                (
                    seconds,
                    own.cost(e.prompt_tokens, e.output_tokens) if own else None,
                    big.cost(e.prompt_tokens, e.output_tokens) if big else None,
                )
            ):
                current = row[i]
                row[i] = None if current is None or value is None else current + value
    models = tuple(
        ModelStats(t.model, t.calls, t.prompt_tokens, t.output_tokens, t.seconds, *acc[t.model])
        for t in totals(entries)
    )
    return Stats(len(history), models, tuple(sorted(unmeasured)))
