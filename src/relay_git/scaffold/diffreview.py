"""Diff review with the same engine as ``relay-git review``; suggestions become edits.

A finding with a suggestion is a replacement of its line..end_line on the new side; the
rest (findings without one, overlapping or non-applying suggestions, unanchored remarks)
is left as review notes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from relay_git.errors import UnsafeEdit
from relay_git.git.edits import EditFailed, apply_edits, line_edits, plan_edits
from relay_git.types import Finding, Review


@dataclass(frozen=True)
class ReviewFix:
    applied: tuple[Finding, ...]
    unapplied: tuple[tuple[Finding, str], ...]  # (finding, why it stays a note)
    written: tuple[str, ...]


def _non_overlapping(findings: Sequence[Finding]) -> tuple[list[Finding], list[Finding]]:
    kept: list[Finding] = []
    dropped: list[Finding] = []
    for f in sorted(findings, key=lambda f: (f.path, f.line)):
        last = kept[-1] if kept else None
        if last is not None and last.path == f.path and f.line <= last.end_line:
            dropped.append(f)
        else:
            kept.append(f)
    return kept, dropped


def apply_suggestions(root: Path, review: Review, allow: Sequence[str] = ()) -> ReviewFix:
    """Apply every suggestion that applies on its own; report the others with the reason."""
    with_text = [f for f in review.findings if f.suggestion is not None]
    kept, overlapping = _non_overlapping(with_text)
    unapplied: list[tuple[Finding, str]] = [(f, "overlaps another suggestion") for f in overlapping]
    good: list[Finding] = []
    for f in kept:
        edit = line_edits([(f.path, f.line, f.end_line, f.suggestion or "")])
        try:
            plan_edits(root, edit, allow)
        except (EditFailed, UnsafeEdit) as err:
            unapplied.append((f, str(err)))
            continue
        good.append(f)
    written: list[str] = []
    if good:
        edits = line_edits([(f.path, f.line, f.end_line, f.suggestion or "") for f in good])
        written = apply_edits(root, edits, allow)
    return ReviewFix(tuple(good), tuple(unapplied), tuple(dict.fromkeys(written)))


def notes_text(review: Review, fix: ReviewFix | None) -> str:
    """The review note left on the branch head: verdict, summary, and what was not fixed."""
    lines = [f"relay-git review: {review.verdict.value}"]
    if review.summary:
        lines += ["", review.summary.strip()]
    applied = fix.applied if fix else ()
    if applied:
        lines += ["", "Applied by the reviewer:"]
        lines += [f"- {f.path}:{f.line}: {f.message}" for f in applied]
    left = [f for f in review.findings if f not in applied]
    if left:
        lines += ["", "Findings:"]
        why = dict((id(f), reason) for f, reason in (fix.unapplied if fix else ()))
        for f in left:
            extra = f" (suggestion not applied: {why[id(f)]})" if id(f) in why else ""
            lines.append(f"- {f.path}:{f.line}: {f.severity.value}: {f.message}{extra}")
    if review.notes:
        lines += ["", "Notes:"]
        lines += [f"- {n}" for n in review.notes]
    if not review.coverage.complete:
        lines += ["", "Coverage: partial review (see skipped files)."]
    return "\n".join(lines) + "\n"
