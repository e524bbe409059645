"""Diff review with the same engine as ``relay-git review``; suggestions become edits.

A finding with a suggestion is a replacement of its line..end_line on the new side; the
rest (findings without one, overlapping or non-applying suggestions, unanchored remarks)
is left as review notes.
"""

from __future__ import annotations

from relay_git.review.suggest import ReviewFix, apply_suggestions
from relay_git.types import Review

__all__ = ["ReviewFix", "apply_suggestions", "notes_text"]  # applying lives in review/suggest


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
