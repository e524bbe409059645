"""GitHub-flavoured Markdown for ``$GITHUB_STEP_SUMMARY`` and ``--format markdown``.

Model text and file names pass through ``mdsafe`` (no HTML, mentions, outside links or
images, or runaway fences); links stay live only into ``site``'s repository.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from relay_git.reporters import ledger as ledger_table
from relay_git.reporters._common import counts, coverage_line, location, ordered, partial_warning
from relay_git.reporters.mdsafe import NO_LINKS, Site, code, fenced, inline, prose
from relay_git.types import Finding, LedgerEntry, Review, Verdict
from relay_git.util.text import one_line

HEADLINE = {
    Verdict.APPROVE: "approved",
    Verdict.FIX: "changes needed",
    Verdict.REJECT: "rejected",
}
_NEWLINES = re.compile(r"\r\n|\r|\n")


def cell(text: str, site: Site = NO_LINKS) -> str:
    """Make ``text`` safe inside one table cell: no pipes, no line breaks, no raw HTML."""
    lines = [inline(line, site) for line in _NEWLINES.split(text.strip())]
    return "<br>".join(lines).replace("|", "\\|")


def render(review: Review, site: Site = NO_LINKS) -> str:
    parts = [
        f"## relay-git review: {HEADLINE[review.verdict]} (`{review.verdict.value}`)",
        counts(review),
    ]
    warning = partial_warning(review.coverage)
    if warning:
        parts.append(f"> [!WARNING]\n> **{warning}**")
    if review.summary.strip():
        parts.append(prose(review.summary, site))
    if review.findings:
        parts.append(_findings(review.findings, site))
        parts.extend(
            _suggestion(f, site) for f in ordered(review.findings) if f.suggestion is not None
        )
    line = coverage_line(review.coverage)
    parts.append(f"### Coverage\n\n{inline(line[:1].upper() + line[1:])}.")
    if review.notes:
        parts.append("### Notes\n\n" + "\n".join(_bullet(n, site) for n in review.notes))
    parts.append("### Model usage\n\n" + table(review.ledger))
    return "\n\n".join(parts) + "\n"


def _findings(findings: Sequence[Finding], site: Site) -> str:
    rows = ["| severity | location | category | message |", "|---|---|---|---|"]
    rows += [
        f"| {f.severity.value} | {cell(location(f))} | {f.category.value}"
        f" | {cell(f.message, site)} |"
        for f in ordered(findings)
    ]
    return f"### Findings ({len(findings)})\n\n" + "\n".join(rows)


def _suggestion(f: Finding, site: Site) -> str:
    body = (f.suggestion or "").rstrip("\n")
    title = inline(one_line(f.message), site)
    return f"#### {code(location(f))}: {title}\n\n{fenced(body, 'suggestion')}"


def _bullet(text: str, site: Site) -> str:
    first, *rest = prose(text, site).splitlines() or [""]
    return "\n".join([f"- {first}", *(f"  {line}" if line else "" for line in rest)])


def table(entries: Sequence[LedgerEntry]) -> str:
    """The ledger as a Markdown table, per-model totals in bold."""
    if not entries:
        return "No model calls."
    header = ledger_table.HEADER
    lines = [
        "| " + " | ".join(header) + " |",
        "|"
        + "|".join("---:" if i in ledger_table.NUMERIC else "---" for i in range(len(header)))
        + "|",
    ]
    for i, row in enumerate(ledger_table.rows(entries)):
        cells = [cell(c) for c in row]
        if i >= len(entries):  # the per-model totals follow the entries
            cells = [f"**{c}**" if c else c for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_failure(message: str, exit_code: int) -> str:
    """No review: say so, with the error (one line, made safe)."""
    return f"## relay-git review: not done\n\n> [!CAUTION]\n> {inline(one_line(message))}\n"
