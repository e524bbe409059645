"""The scaffold report as a value: what was built, how it was tested and judged, and what it
cost — with the headline: the small model's share of the writing and the time the large
model alone would have needed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from relay_git.models.ledger import (
    NoComparison,
    ParseOutcome,
    Rates,
    Savings,
    large_alone,
    rates,
)
from relay_git.reporters.ledger import render_table
from relay_git.scaffold.verify.gate import Outcome
from relay_git.scaffold.verify.testrun import Status
from relay_git.types import LedgerEntry, totals


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    stage: str
    author: str
    subject: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "sha": self.sha,
            "stage": self.stage,
            "author": self.author,
            "subject": self.subject,
        }


@dataclass(frozen=True)
class Headline:
    small_model: str
    large_model: str
    output_tokens: int
    small_output_tokens: int
    tokens_per_second: tuple[tuple[str, float], ...]
    large_alone_seconds: float | None  # models/ledger.large_alone: prefill + decode rates
    model_seconds: float
    rates: tuple[Rates, ...] = ()
    no_comparison: str = ""  # why large_alone_seconds is None

    @property
    def small_share(self) -> float:
        return self.small_output_tokens / self.output_tokens if self.output_tokens else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "small_model": self.small_model,
            "large_model": self.large_model,
            "output_tokens": self.output_tokens,
            "small_output_tokens": self.small_output_tokens,
            "small_share": round(self.small_share, 4),
            "tokens_per_second": {m: round(t, 2) for m, t in self.tokens_per_second},
            "rates": [r.to_dict() for r in self.rates],
            "large_alone_seconds": (
                None if self.large_alone_seconds is None else round(self.large_alone_seconds, 2)
            ),
            "no_comparison": self.no_comparison or None,
            "model_seconds": round(self.model_seconds, 2),
        }


def headline(entries: Sequence[LedgerEntry], small: str, large: str) -> Headline:
    sums = {t.model: t for t in totals(entries)}
    alone = large_alone(entries, large)
    return Headline(
        small_model=small,
        large_model=large,
        output_tokens=sum(e.output_tokens for e in entries),
        small_output_tokens=sums[small].output_tokens if small in sums and small != large else 0,
        tokens_per_second=tuple((m, t.tokens_per_second) for m, t in sums.items()),
        large_alone_seconds=alone.alone_seconds if isinstance(alone, Savings) else None,
        model_seconds=sum(e.seconds for e in entries),
        rates=tuple(rates(entries).values()),
        no_comparison=alone.reason if isinstance(alone, NoComparison) else "",
    )


@dataclass(frozen=True)
class Report:
    task: str
    branch: str
    worktree: str
    base: str
    dry_run: bool
    large_only: bool
    commits: tuple[CommitInfo, ...]
    tests: dict[str, Any]
    verdict: str
    summary: str
    notes: str
    plan: dict[str, Any] | None
    edits: str  # the diff of the changes (dry run) or base..head
    ledger: tuple[LedgerEntry, ...]
    headline: Headline
    wall_seconds: float
    problems: tuple[str, ...] = ()  # what did not go to plan, said plainly
    outcomes: tuple[ParseOutcome, ...] = ()  # each structured reply: attempts, validated or not
    outcome: Outcome = Outcome.NOT_DONE  # DONE only when the gate and the reviewer say so
    reasons: tuple[str, ...] = ()  # why it is not done
    plan_problems: tuple[str, ...] = ()  # what the plan check repaired
    test_names: tuple[str, ...] = ()  # the model-drafted tests the branch keeps
    pinned: int = 0  # of them, with expected values from agreeing drafts
    support: int = 0  # CodeT score of the committed draft: agreeing drafts x tests passed
    model_load_seconds: dict[str, float] | None = None

    @property
    def exit_code(self) -> int:
        """0 only for a done run: a real change, passing tests, approved; a dry run that
        drafted a change did what it was asked. 1 otherwise."""
        if self.dry_run:
            return 0 if self.edits.strip() else 1
        return 0 if self.outcome is Outcome.DONE else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "branch": self.branch,
            "worktree": self.worktree,
            "base": self.base,
            "dry_run": self.dry_run,
            "large_only": self.large_only,
            "commits": [c.to_dict() for c in self.commits],
            "tests": self.tests,
            "verdict": self.verdict,
            "summary": self.summary,
            "notes": self.notes,
            "plan": self.plan,
            "diff": self.edits,
            "outcome": self.outcome,
            "exit_code": self.exit_code,
            "reasons": list(self.reasons),
            "problems": list(self.problems),
            "plan_problems": list(self.plan_problems),
            "test_names": list(self.test_names),
            "pinned_tests": self.pinned,
            "support": self.support,
            "model_load_seconds": self.model_load_seconds or {},
            "outcomes": [asdict(o) for o in self.outcomes],
            "ledger": [e.to_dict() for e in self.ledger],  # a list, as in review --json
            "totals": [t.to_dict() for t in totals(self.ledger)],
            "headline": self.headline.to_dict(),
            "wall_seconds": round(self.wall_seconds, 2),
        }


def _short(model: str, width: int = 34) -> str:
    return model if len(model) <= width else "…" + model[-(width - 1) :]


def _speed(r: Rates) -> str:
    def tps(value: float | None) -> str:
        return "?" if value is None else f"{value:.1f}"

    return f"{_short(r.model, 60)} prefill {tps(r.prefill_tps)}, decode {tps(r.decode_tps)} tok/s"


def _headline_lines(h: Headline, wall: float) -> list[str]:
    speeds = "; ".join(_speed(r) for r in h.rates)
    lines = [
        f"Small model wrote {h.small_share:.0%} of {h.output_tokens} output tokens "
        f"({h.small_output_tokens} by {h.small_model}).",
        f"Measured speed: {speeds or 'no model calls'}.",
    ]
    spent = f"this run spent {h.model_seconds:.1f}s in models ({wall:.1f}s wall)"
    if h.large_alone_seconds is not None:
        lines.append(
            f"The large model alone would need ~{h.large_alone_seconds:.1f}s (its prefill of "
            f"what it would read, and the output at its decode rate); {spent}."
        )
    elif h.no_comparison:
        lines.append(f"The large model alone: not estimated ({h.no_comparison}); {spent}.")
    return lines


def render_text(r: Report) -> str:
    out = [f"relay-git scaffold: {r.task}"]
    if r.dry_run:
        out.append("Dry run: nothing was committed; the worktree was removed.")
    else:
        out += [f"Branch:   {r.branch}", f"Worktree: {r.worktree}", f"Base:     {r.base[:12]}"]
    if r.plan is not None:
        out += ["", "Spec:"] + [f"  {line}" for line in _plan_lines(r.plan)]
    if r.dry_run and r.edits:
        out += ["", "Edits:", r.edits.rstrip()]
    if r.commits:
        out += ["", "Commits:"] + [f"  {c.sha[:10]} {c.stage:<10} {c.author}" for c in r.commits]
    status = r.tests.get("status", "not run")
    out += ["", f"Tests: {status}" + _tests_detail(r.tests)]
    if r.verdict:
        out.append(f"Review: {r.verdict}" + (f" — {r.summary}" if r.summary else ""))
    if r.notes:
        out += ["", "Review notes (git notes --ref=relay):"] + [
            f"  {line}" for line in r.notes.rstrip().splitlines()
        ]
    if r.plan_problems:
        out += ["", "Plan repaired:"] + [f"  - {p}" for p in r.plan_problems]
    if r.problems:
        out += ["", "Problems:"] + [f"  - {p}" for p in r.problems]
    if r.test_names:
        pinned = f", {r.pinned} with expected values from agreeing drafts" if r.pinned else ""
        support = f" (support {r.support}: agreeing drafts x tests passed)" if r.support else ""
        out += ["", f"Tests written: {len(r.test_names)}{pinned}{support}"]
    out += ["", _outcome_line(r)] + [f"  - {why}" for why in r.reasons]
    out += ["", render_table(r.ledger).rstrip()]
    out += ["", *_headline_lines(r.headline, r.wall_seconds)]
    return "\n".join(out) + "\n"


def _outcome_line(r: Report) -> str:
    if r.dry_run:
        if r.exit_code:
            return "Outcome: DRY RUN — the draft changed nothing; nothing committed (exit 1)."
        return "Outcome: DRY RUN — the plan and draft are shown above; nothing committed (exit 0)."
    if r.outcome is Outcome.DONE:
        return f"Outcome: DONE — {r.branch} holds a tested, approved change (exit 0)."
    return f"Outcome: NOT DONE (exit {r.exit_code}):"


def _tests_detail(tests: dict[str, Any]) -> str:
    if tests.get("status") == Status.SKIPPED:
        return f" ({tests.get('reason', '')})"
    if tests.get("command"):
        where = {"none": ", UNSANDBOXED"}.get(tests.get("sandbox", ""), "")
        where = where or (f", sandbox: {tests['sandbox']}" if tests.get("sandbox") else "")
        return f" ({tests['command']}, fix rounds: {tests.get('rounds', 0)}{where})"
    return ""


def _plan_lines(plan: dict[str, Any]) -> list[str]:
    lines = [f"{plan.get('summary', '')}".strip()] if plan.get("summary") else []
    lines += [f"- {f['path']}: {f['change']}".rstrip(": ") for f in plan.get("files", [])]
    lines += [f"test: {t}" for t in plan.get("tests", [])]
    if plan.get("review"):
        lines.append(f"reviewer: {plan['review']}")
    return lines
