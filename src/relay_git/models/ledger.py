"""The usage ledger: one entry per model call, shared by every stage of a command."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from relay_git.types import LedgerEntry, ModelTotals, totals


@dataclass(frozen=True)
class ParseOutcome:
    """Whether a structured reply validated first time, after retries, or never."""

    stage: str
    model: str
    attempts: int
    ok: bool


@dataclass(frozen=True)
class Rates:
    """A model's measured speeds: prefill (prompt tokens read per second of time to first
    token) and decode (output tokens per second after it); None where no call could tell."""

    model: str
    prefill_tps: float | None
    decode_tps: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "prefill_tps": _round(self.prefill_tps),
            "decode_tps": _round(self.decode_tps),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _read(entry: LedgerEntry) -> int:
    """Prompt tokens the model evaluated: those its prefix cache served cost no prefill."""
    return max(entry.prompt_tokens - entry.cached_tokens, 0)


def _rate(tokens: int, seconds: float) -> float | None:
    return tokens / seconds if tokens > 0 and seconds > 0 else None


def rates(entries: Iterable[LedgerEntry]) -> dict[str, Rates]:
    """Per model, from the calls whose backend timed them apart (ttft, decode seconds)."""
    by_model: dict[str, list[LedgerEntry]] = {}
    for entry in entries:
        by_model.setdefault(entry.model, []).append(entry)
    out = {}
    for model, rows in by_model.items():
        first = [e for e in rows if e.ttft_seconds is not None]
        rest = [e for e in rows if e.decode_seconds is not None]
        out[model] = Rates(
            model,
            _rate(sum(_read(e) for e in first), sum(e.ttft_seconds or 0.0 for e in first)),
            _rate(sum(e.output_tokens for e in rest), sum(e.decode_seconds or 0.0 for e in rest)),
        )
    return out


@dataclass(frozen=True)
class Savings:
    """A relay's calls beside the large model doing all of them alone.

    Alone, the large model would make its own calls as they were measured, and for every
    other model's call read that call's prompt at its prefill rate and write its output at
    its decode rate — never output over whole-call seconds, which counts prefill as writing.
    """

    large: str
    relay_seconds: float  # what every call took
    large_seconds: float  # of which the large model's own calls
    read_tokens: int  # prompt tokens the other models' calls evaluated
    output_tokens: int  # output tokens the other models wrote
    prefill_tps: float
    decode_tps: float

    @property
    def alone_seconds(self) -> float:
        read = self.read_tokens / self.prefill_tps if self.read_tokens else 0.0
        return self.large_seconds + read + self.output_tokens / self.decode_tps

    @property
    def ratio(self) -> float:
        return self.alone_seconds / self.relay_seconds if self.relay_seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "large_model": self.large,
            "relay_seconds": round(self.relay_seconds, 3),
            "alone_seconds": round(self.alone_seconds, 3),
            "read_tokens": self.read_tokens,
            "output_tokens": self.output_tokens,
            "prefill_tps": round(self.prefill_tps, 2),
            "decode_tps": round(self.decode_tps, 2),
        }


@dataclass(frozen=True)
class NoComparison:
    """Why there is nothing to compare, said instead of a made-up figure."""

    reason: str


def large_alone(
    entries: Iterable[LedgerEntry], large: str, measured: Mapping[str, Rates] | None = None
) -> Savings | NoComparison:
    """What ``large`` alone would need for ``entries`` (rates measured over ``measured``'s
    calls, by default these); the one computation the scaffold report, ``log --stats`` and
    the bench share."""
    calls = list(entries)
    others = [e for e in calls if e.model != large]
    if not others:
        return NoComparison("no small-model calls to compare")
    speed = (rates(calls) if measured is None else measured).get(large)
    if speed is None or speed.decode_tps is None:
        return NoComparison(f"no decode timing for {large}")
    read = sum(_read(e) for e in others)
    if read and speed.prefill_tps is None:
        return NoComparison(f"no prefill timing for {large}")
    return Savings(
        large=large,
        relay_seconds=sum(e.seconds for e in calls),
        large_seconds=sum(e.seconds for e in calls if e.model == large),
        read_tokens=read,
        output_tokens=sum(e.output_tokens for e in others),
        prefill_tps=speed.prefill_tps or 0.0,
        decode_tps=speed.decode_tps,
    )


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
