"""Plain immutable values shared by every layer."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

PER_TOKENS = 1_000_000  # prices are USD per million tokens


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


class Category(enum.StrEnum):
    BUG = "bug"
    SECURITY = "security"
    TESTS = "tests"
    DESIGN = "design"
    STYLE = "style"
    PERF = "perf"


class Verdict(enum.StrEnum):
    APPROVE = "approve"
    FIX = "fix"
    REJECT = "reject"


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    end_line: int
    severity: Severity
    category: Category
    message: str
    side: str = "new"
    suggestion: str | None = None
    fingerprint: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "end_line": self.end_line,
            "side": self.side,
            "severity": self.severity.value,
            "category": self.category.value,
            "message": self.message,
            "suggestion": self.suggestion,
            "fingerprint": self.fingerprint,
        }


@dataclass(frozen=True)
class Price:
    """A model's price in USD per million tokens, as the config's ``prices`` sets it."""

    __pydantic_config__: ClassVar[dict[str, str]] = {"extra": "forbid"}  # validated as config
    input: float
    output: float

    def cost(self, prompt_tokens: int, output_tokens: int) -> float:
        return (prompt_tokens * self.input + output_tokens * self.output) / PER_TOKENS


@dataclass(frozen=True)
class LedgerEntry:
    stage: str
    role: str
    model: str
    prompt_tokens: int
    output_tokens: int
    seconds: float
    context: int
    cached_tokens: int = 0  # prompt tokens the engine reused from its prefix cache
    done_reason: str = "stop"  # "stop" | "length" | "repetition" | backend-specific
    max_tokens: int = 0  # the output bound the call was given
    # Time to first token (prefill, plus the first token) and the decoding after it; None
    # when the backend could not tell them apart (then no rate is derived from the call).
    ttft_seconds: float | None = None
    decode_seconds: float | None = None

    @property
    def tokens_per_second(self) -> float:
        """Output over the whole call, prefill included: what the table shows, not a rate
        to estimate with (models/ledger.py rates() gives the prefill and decode rates)."""
        return self.output_tokens / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self, *, exact: bool = False) -> dict[str, Any]:
        """The one serialisation of an entry, which :meth:`from_dict` reads back.

        As JSON shows it (the run state too): DESIGN's keys first, seconds to the
        millisecond, ``tokens_per_second`` derived. ``exact``: every field as it is and
        nothing derived, as the history stores it, one column a field.
        """
        if exact:
            return dataclasses.asdict(self)
        return {
            "stage": self.stage,
            "role": self.role,
            "model": self.model,
            "prompt_tokens": self.prompt_tokens,
            "output_tokens": self.output_tokens,
            "seconds": round(self.seconds, 3),
            "tokens_per_second": round(self.tokens_per_second, 2),
            "context": self.context,
            "cached_tokens": self.cached_tokens,
            "done_reason": self.done_reason,
            "max_tokens": self.max_tokens,
            "ttft_seconds": _round(self.ttft_seconds),
            "decode_seconds": _round(self.decode_seconds),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LedgerEntry:
        """The entry :meth:`to_dict` wrote, either shape; a key an older relay-git did not
        write takes its default, and derived keys (``tokens_per_second``) are ignored."""
        return cls(
            stage=str(data["stage"]),
            role=str(data["role"]),
            model=str(data["model"]),
            prompt_tokens=int(data["prompt_tokens"]),
            output_tokens=int(data["output_tokens"]),
            seconds=float(data["seconds"]),
            context=int(data["context"]),
            cached_tokens=int(data.get("cached_tokens", 0)),
            done_reason=str(data.get("done_reason", "stop")),
            max_tokens=int(data.get("max_tokens", 0)),
            ttft_seconds=_float(data.get("ttft_seconds")),
            decode_seconds=_float(data.get("decode_seconds")),
        )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


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


@dataclass(frozen=True)
class Listing:
    backend: str
    where: str
    models: tuple[str, ...] = ()  # full specs, e.g. ollama:qwen3-coder:30b
    error: str | None = None  # why the backend could not be asked
    notes: Mapping[str, str] = field(default_factory=dict)  # spec -> remark

    def to_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "where": self.where,
            "models": list(self.models),
            "error": self.error,
            "notes": dict(self.notes),
        }


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str  # binary | deleted | lockfile | generated | excluded | secret | a limit
    limit: bool = False  # skipped for want of budget, not by policy: the review is partial
    gap: bool = False  # changed content nobody chose to leave out (binary, generated, ...)

    @property
    def unseen(self) -> bool:
        """Changed content the review did not see and the user did not exclude."""
        return self.limit or self.gap


@dataclass(frozen=True)
class Coverage:
    reviewed: tuple[str, ...] = ()
    skipped: tuple[SkippedFile, ...] = ()
    split: tuple[str, ...] = ()  # files reviewed in more than one chunk
    hunks_reviewed: int = 0
    hunks_total: int = 0
    cached_chunks: int = 0
    chunks: int = 0

    @property
    def complete(self) -> bool:
        return self.hunks_reviewed == self.hunks_total and not any(s.unseen for s in self.skipped)

    @property
    def within_budget(self) -> bool:
        """Nothing was left out for want of budget (what a cached review must not depend on)."""
        return self.hunks_reviewed == self.hunks_total and not any(s.limit for s in self.skipped)

    def shortfall(self, limit: int = 5) -> str | None:
        """What changed and was not seen (file limit, context, hunks, and the gaps: binary,
        generated, lockfile, secret), or None.

        Only what the user chose to leave out (a trusted ``exclude``, ``--exclude``) and
        what holds no new content (a deletion, a mode change) is not a shortfall.
        """
        limited = [f"{s.path} ({s.reason})" for s in self.skipped if s.unseen]
        missing = self.hunks_total - self.hunks_reviewed
        parts = []
        if limited:
            more = len(limited) - limit
            parts.append(", ".join(limited[:limit]) + (f" and {more} more" if more > 0 else ""))
        if missing:
            parts.append(f"{missing} of {self.hunks_total} hunks")
        return "; ".join(parts) or None

    def to_dict(self) -> dict[str, Any]:
        return {
            "reviewed": list(self.reviewed),
            "skipped": [
                {"path": s.path, "reason": s.reason, "limit": s.limit, "gap": s.gap}
                for s in self.skipped
            ],
            "split": list(self.split),
            "hunks_reviewed": self.hunks_reviewed,
            "hunks_total": self.hunks_total,
            "chunks": self.chunks,
            "cached_chunks": self.cached_chunks,
            "complete": self.complete,
        }


@dataclass(frozen=True)
class Review:
    verdict: Verdict
    summary: str
    findings: tuple[Finding, ...]
    coverage: Coverage
    ledger: tuple[LedgerEntry, ...] = field(default=())
    notes: tuple[str, ...] = ()  # unanchored remarks moved out of findings

    def to_dict(self) -> dict[str, Any]:
        """The review itself, as the JSON report and the review cache both write it (the
        report adds the ledger and its totals after these keys)."""
        return {
            "verdict": self.verdict.value,
            "summary": self.summary,
            "findings": [f.to_dict() for f in self.findings],
            "notes": list(self.notes),
            "coverage": self.coverage.to_dict(),
        }
