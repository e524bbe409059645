"""The reviewer's suggestion blocks as edits: a finding's ``suggestion`` replaces its
line..end_line on the new side.

Shared by the relay's review-fix commit (``scaffold/diffreview.py``) and ``relay-git review
--fix`` (``fix.py``). Each suggestion applies on its own or not at all, with the reason:
overlapping another, refused by a caller's ``check`` (stale, binary), or by the edit checks
of ``git/edits.py`` (a path outside the tree, a protected path, a range past the file's end).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from relay_git.errors import UnsafeEdit
from relay_git.git.edits import EditFailed, apply_edits, line_edits, plan_edits
from relay_git.types import Finding, Review

# Why a finding's suggestion must not be applied, or None when it may be.
Check = Callable[[Finding], str | None]


@dataclass(frozen=True)
class ReviewFix:
    applied: tuple[Finding, ...]
    unapplied: tuple[tuple[Finding, str], ...]  # (finding, why it was not applied)
    written: tuple[str, ...]


def non_overlapping(findings: Sequence[Finding]) -> tuple[list[Finding], list[Finding]]:
    """(kept, dropped): in file and line order, a range that overlaps the one kept before
    it is dropped."""
    kept: list[Finding] = []
    dropped: list[Finding] = []
    for f in sorted(findings, key=lambda f: (f.path, f.line)):
        last = kept[-1] if kept else None
        if last is not None and last.path == f.path and f.line <= last.end_line:
            dropped.append(f)
        else:
            kept.append(f)
    return kept, dropped


def _edit(f: Finding) -> tuple[str, int, int, str]:
    return (f.path, f.line, f.end_line, f.suggestion or "")


def apply_suggestions(
    root: Path, review: Review, allow: Sequence[str] = (), check: Check | None = None
) -> ReviewFix:
    """Apply every suggestion that applies on its own; report the others with the reason."""
    with_text = [f for f in review.findings if f.suggestion is not None]
    kept, overlapping = non_overlapping(with_text)
    unapplied: list[tuple[Finding, str]] = [(f, "overlaps another suggestion") for f in overlapping]
    good: list[Finding] = []
    for f in kept:
        why = check(f) if check is not None else None
        if why is None:
            try:
                plan_edits(root, line_edits([_edit(f)]), allow)
            except (EditFailed, UnsafeEdit) as err:
                why = str(err)
        if why is None:
            good.append(f)
        else:
            unapplied.append((f, why))
    written: list[str] = []
    if good:
        written = apply_edits(root, line_edits(_edit(f) for f in good), allow)
    return ReviewFix(tuple(good), tuple(unapplied), tuple(dict.fromkeys(written)))
