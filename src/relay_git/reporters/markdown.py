"""GitHub-flavoured Markdown for ``$GITHUB_STEP_SUMMARY`` and PR comments."""

from __future__ import annotations

import re
from collections.abc import Sequence

from relay_git.reporters import ledger as ledger_table
from relay_git.reporters._common import counts, coverage_line, location, ordered, partial_warning
from relay_git.types import Finding, LedgerEntry, Review, Verdict

HEADLINE = {
    Verdict.APPROVE: "approved",
    Verdict.FIX: "changes needed",
    Verdict.REJECT: "rejected",
}
_NEWLINES = re.compile(r"\r\n|\r|\n")


def cell(text: str) -> str:
    """Make ``text`` safe inside one table cell: no pipes, no line breaks, no raw HTML."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return _NEWLINES.sub("<br>", text.strip())


def render(review: Review) -> str:
    parts = [
        f"## relay-git review: {HEADLINE[review.verdict]} (`{review.verdict.value}`)",
        counts(review),
    ]
    warning = partial_warning(review.coverage)
    if warning:
        parts.append(f"> [!WARNING]\n> **{warning}**")
    if review.summary.strip():
        parts.append(review.summary.strip())
    if review.findings:
        parts.append(_findings(review.findings))
        parts.extend(_suggestion(f) for f in ordered(review.findings) if f.suggestion is not None)
    line = coverage_line(review.coverage)
    parts.append(f"### Coverage\n\n{line[:1].upper()}{line[1:]}.")
    if review.notes:
        parts.append("### Notes\n\n" + "\n".join(_bullet(n) for n in review.notes))
    parts.append("### Model usage\n\n" + table(review.ledger))
    return "\n\n".join(parts) + "\n"


def _findings(findings: Sequence[Finding]) -> str:
    rows = ["| severity | location | category | message |", "|---|---|---|---|"]
    rows += [
        f"| {f.severity.value} | {cell(location(f))} | {f.category.value} | {cell(f.message)} |"
        for f in ordered(findings)
    ]
    return f"### Findings ({len(findings)})\n\n" + "\n".join(rows)


def _suggestion(f: Finding) -> str:
    body = f.suggestion or ""
    fence = "`" * max(3, _longest_backtick_run(body) + 1)
    title = _NEWLINES.sub(" ", f.message.strip())
    return f"#### `{location(f)}`: {title}\n\n{fence}suggestion\n{body.rstrip(chr(10))}\n{fence}"


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


def _bullet(text: str) -> str:
    first, *rest = text.strip().splitlines() or [""]
    return "\n".join([f"- {first}", *(f"  {line}" for line in rest)])


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
