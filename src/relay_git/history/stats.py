"""What the logged runs cost, and what their scaffold runs would have taken on the large model.

Pure: runs and prices in, numbers out. The large model of a run is its reviewer. Each
model's prefill and decode rates are *measured* over every call of the history that its
backend timed apart (models/ledger.rates); a scaffold run's calls on the large model alone
come from models/ledger.large_alone, the formula the scaffold report uses too. Review runs
measure rates but have nothing to compare; with no scaffold run, or no decode timing for a
run's large model, the comparison says why instead of showing a figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from relay_git.errors import UsageError
from relay_git.history.store import Run
from relay_git.models.base import parse_spec
from relay_git.models.ledger import NoComparison, Rates, large_alone, rates
from relay_git.types import ModelTotals, Price, totals


@dataclass(frozen=True)
class ModelStats(ModelTotals):
    """A model's totals over the history, its measured rates, and what its calls cost."""

    prefill_tps: float | None = None
    decode_tps: float | None = None
    cost: float | None = None  # None: no price for this model
    cost_if_large: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "prefill_tps": _round(self.prefill_tps, 2),
            "decode_tps": _round(self.decode_tps, 2),
            "cost_usd": _round(self.cost, 6),
            "cost_if_large_usd": _round(self.cost_if_large, 6),
        }


@dataclass(frozen=True)
class Stats:
    runs: int
    models: tuple[ModelStats, ...]
    scaffold_runs: int = 0
    relay_seconds: float | None = None  # model seconds of the scaffold runs compared
    alone_seconds: float | None = None  # the same runs' calls on their large model alone
    no_comparison: str = ""  # why there is no comparison ("no scaffold runs", ...)

    @property
    def seconds(self) -> float:
        return sum(m.seconds for m in self.models)

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
            "scaffold_runs": self.scaffold_runs,
            "relay_seconds": _round(self.relay_seconds, 3),
            "seconds_if_large": _round(self.alone_seconds, 3),
            "no_comparison": self.no_comparison or None,
            "cost_usd": _round(self.cost, 6),
            "cost_if_large_usd": _round(self.cost_if_large, 6),
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


def _costs(history: Sequence[Run], prices: Mapping[str, Price]) -> dict[str, list[float | None]]:
    """Per model: [cost, cost had the run's large model made the call] (None: unpriced)."""
    acc: dict[str, list[float | None]] = {}
    for run in history:
        big = prices.get(canonical(run.reviewer))
        for e in run.ledger:
            own = prices.get(e.model)
            row = acc.setdefault(e.model, [0.0, 0.0])
            for i, price in enumerate((own, big)):
                value = price.cost(e.prompt_tokens, e.output_tokens) if price else None
                current = row[i]
                row[i] = None if current is None or value is None else current + value
    return acc


def _comparison(
    history: Sequence[Run], measured: Mapping[str, Rates]
) -> tuple[int, float | None, float | None, str]:
    """(scaffold runs, relay seconds, large-alone seconds, why not): each scaffold run's
    calls on its own reviewer, at the rates measured over the whole history."""
    scaffolds = [r for r in history if r.command == "scaffold" and r.ledger]
    if not scaffolds:
        return 0, None, None, "no scaffold runs"
    relay = alone = 0.0
    for run in scaffolds:
        result = large_alone(run.ledger, canonical(run.reviewer), measured)
        if isinstance(result, NoComparison):
            return len(scaffolds), None, None, result.reason
        relay += result.relay_seconds
        alone += result.alone_seconds
    return len(scaffolds), relay, alone, ""


def compute(history: Sequence[Run], prices: Mapping[str, Price]) -> Stats:
    """The history's figures; ``prices`` keyed by full spec, as the config's ``prices``."""
    entries = [e for run in history for e in run.ledger]
    measured = rates(entries)
    costs = _costs(history, prices)
    models = tuple(
        ModelStats(
            t.model,
            t.calls,
            t.prompt_tokens,
            t.output_tokens,
            t.seconds,
            measured[t.model].prefill_tps,
            measured[t.model].decode_tps,
            *costs[t.model],
        )
        for t in totals(entries)
    )
    return Stats(len(history), models, *_comparison(history, measured))
