"""The usage ledger: one entry per model call, shared by every stage of a command."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from relay_git.types import LedgerEntry


@dataclass(frozen=True)
class ParseOutcome:
    """Whether a structured reply validated first time, after retries, or never."""

    stage: str
    model: str
    attempts: int
    ok: bool


@dataclass(frozen=True)
class ModelTotals:
    model: str
    calls: int
    prompt_tokens: int
    output_tokens: int
    seconds: float

    @property
    def tokens_per_second(self) -> float:
        return self.output_tokens / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "calls": self.calls,
            "prompt_tokens": self.prompt_tokens,
            "output_tokens": self.output_tokens,
            "seconds": round(self.seconds, 3),
            "tokens_per_second": round(self.tokens_per_second, 2),
        }


def totals(entries: Iterable[LedgerEntry]) -> list[ModelTotals]:
    """Per-model sums, in order of first appearance."""
    by_model: dict[str, list[LedgerEntry]] = {}
    for entry in entries:
        by_model.setdefault(entry.model, []).append(entry)
    return [
        ModelTotals(
            model=model,
            calls=len(rows),
            prompt_tokens=sum(r.prompt_tokens for r in rows),
            output_tokens=sum(r.output_tokens for r in rows),
            seconds=sum(r.seconds for r in rows),
        )
        for model, rows in by_model.items()
    ]


class Ledger:
    """Thread-safe: chunks of a review are sent concurrently."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LedgerEntry] = []
        self._outcomes: list[ParseOutcome] = []

    def record(self, entry: LedgerEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def record_outcome(self, outcome: ParseOutcome) -> None:
        with self._lock:
            self._outcomes.append(outcome)

    @property
    def entries(self) -> tuple[LedgerEntry, ...]:
        with self._lock:
            return tuple(self._entries)

    @property
    def outcomes(self) -> tuple[ParseOutcome, ...]:
        with self._lock:
            return tuple(self._outcomes)

    def totals(self) -> list[ModelTotals]:
        return totals(self.entries)

    def model_seconds(self) -> float:
        return sum(e.seconds for e in self.entries)

    def to_dict(self) -> dict[str, Any]:
        return {
            "entries": [e.to_dict() for e in self.entries],
            "totals": [t.to_dict() for t in self.totals()],
        }
