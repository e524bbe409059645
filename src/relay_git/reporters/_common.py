"""Wording shared by the reporters: counts, coverage and the partial-review warning."""

from __future__ import annotations

from collections.abc import Iterable

from relay_git.types import Coverage, Finding, Review, Severity


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Most severe first (error, warning, info), then by file and line: an info never
    comes before an error, and within a severity readers walk the diff top to bottom."""
    return sorted(findings, key=lambda f: (-f.severity.rank, f.path, f.line, f.end_line))


def counts(review: Review) -> str:
    """``3 findings (1 error, 2 warning, 0 info)``."""
    n = len(review.findings)
    per = ", ".join(
        f"{sum(1 for f in review.findings if f.severity is s)} {s.value}" for s in Severity
    )
    return f"{n} finding{'' if n == 1 else 's'} ({per})"


def coverage_line(cov: Coverage) -> str:
    """``reviewed 3 files (5 hunks); skipped: a.lock (lockfile), logo.png (binary)``."""
    files = len(cov.reviewed)
    plural = "" if cov.hunks_total == 1 else "s"
    hunks = (
        f"{cov.hunks_reviewed} hunk{plural}"
        if cov.hunks_reviewed == cov.hunks_total
        else f"{cov.hunks_reviewed} of {cov.hunks_total} hunk{plural}"
    )
    line = f"reviewed {files} file{'' if files == 1 else 's'} ({hunks})"
    if cov.skipped:
        line += "; skipped: " + ", ".join(f"{s.path} ({s.reason})" for s in cov.skipped)
    if cov.split:
        line += "; split into chunks: " + ", ".join(cov.split)
    if cov.cached_chunks:
        line += f"; {cov.cached_chunks} of {cov.chunks} chunks from cache"
    return line


def partial_warning(cov: Coverage) -> str | None:
    """A one-line warning when the review did not see the whole diff, else None."""
    if cov.complete:
        return None
    parts = []
    missing = cov.hunks_total - cov.hunks_reviewed
    if missing:
        parts.append(f"{missing} of {cov.hunks_total} hunks not reviewed")
    unseen = [f"{s.path} ({s.reason})" for s in cov.skipped if s.unseen]
    if unseen:
        n = len(unseen)
        more = f" and {n - 5} more" if n > 5 else ""
        parts.append(f"{n} file{'' if n == 1 else 's'} skipped: {', '.join(unseen[:5])}{more}")
    return (
        "PARTIAL REVIEW: "
        + "; ".join(parts)
        + " - findings and verdict cover only what was reviewed"
    )


def location(f: Finding) -> str:
    return f"{f.path}:{f.line}" if f.end_line == f.line else f"{f.path}:{f.line}-{f.end_line}"
