"""Terminal text: ``path:line: severity: message [category]`` lines editors can jump to."""

from __future__ import annotations

from relay_git.reporters._common import counts, coverage_line, ordered, partial_warning
from relay_git.types import Review
from relay_git.util.text import one_line


def render(review: Review) -> str:
    lines = [
        f"{f.path}:{f.line}: {f.severity.value}: {one_line(f.message)} [{f.category.value}]"
        for f in ordered(review.findings)
    ]
    if lines:
        lines.append("")
    lines.append(f"verdict: {review.verdict.value} - {counts(review)}")
    if review.summary.strip():
        lines.extend(_indented("summary:", review.summary))
    lines.append(coverage_line(review.coverage))
    warning = partial_warning(review.coverage)
    if warning:
        lines.append(warning)
    if review.notes:
        lines.append("")
        lines.append("notes (not tied to a changed line):")
        for note in review.notes:
            lines.extend(_indented("  -", note))
    return "\n".join(lines) + "\n"


def _indented(label: str, text: str) -> list[str]:
    """``label first line`` then the remaining lines indented under it."""
    first, *rest = text.strip().splitlines() or [""]
    pad = " " * (len(label) + 1)
    return [f"{label} {first}", *(f"{pad}{line}".rstrip() for line in rest)]
