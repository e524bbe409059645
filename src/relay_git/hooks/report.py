"""What a hook run prints: one line when nothing blocks, the blocking findings when
something does, and the warning of a review that could not be done (a budget overrun is
errors.NotBlocking, worded where the CLI maps errors). Pure strings; the click layer
(commands/review.py) writes them."""

from __future__ import annotations

from collections.abc import Iterable

from relay_git.review.findings import reaches
from relay_git.types import Review
from relay_git.util.text import one_line


def names(items: Iterable[str], limit: int = 5) -> str:
    """``a, b, c and 4 more``: short enough for one terminal line."""
    seq = list(items)
    head = ", ".join(seq[:limit])
    return head + (f" and {len(seq) - limit} more" if len(seq) > limit else "")


def summary(result: Review, what: str) -> str:
    """One line: verdict, what was reviewed, counts, and any part that was not reviewed."""
    cov = result.coverage
    counts = {
        s: sum(1 for f in result.findings if f.severity.value == s)
        for s in ("error", "warning", "info")
    }
    found = (
        ", ".join(f"{n} {s}{'s' if n > 1 else ''}" for s, n in counts.items() if n) or "no findings"
    )
    line = (
        f"relay-git: {result.verdict.value} — {what}: {len(cov.reviewed)} file(s) reviewed, {found}"
    )
    if cov.chunks and not result.ledger:
        line += " (from cache)"
    limited = [s for s in cov.skipped if s.unseen]  # budget limits and gaps (binary, ...)
    if limited or cov.hunks_reviewed < cov.hunks_total:
        reasons = names(sorted({s.reason for s in limited}))
        line += f"; PARTIAL: not reviewed {names(s.path for s in limited)} ({reasons})"
    elif cov.skipped:
        line += f"; skipped {len(cov.skipped)} ({names(sorted({s.reason for s in cov.skipped}))})"
    return line


def verdict(result: Review, fail_on: str, what: str, push: bool) -> tuple[str, int]:
    """Blocking findings as ``path:line: severity: message``, else the one-line summary;
    and the hook's exit code."""
    blocking = [f for f in result.findings if reaches([f], fail_on)]
    if not blocking:
        return summary(result, what), 0
    lines = [f"{f.path}:{f.line}: {f.severity.value}: {one_line(f.message)}" for f in blocking]
    action = "push" if push else "commit"
    lines.append(
        f"relay-git: {action} blocked by {len(blocking)} finding(s) at or above {fail_on} "
        f"(fix them, or RELAY_GIT_SKIP=1 to {action} anyway)"
    )
    return "\n".join(lines), 1


def waiting(reviewer: str, budget: float | None) -> str:
    """Said once, on the first model call (never on a cache hit): what the wait is for."""
    limit = f", budget {budget:g} s" if budget else ""
    return f"relay-git: reviewing with {reviewer}{limit} (RELAY_GIT_SKIP=1 skips)…"


def skipped(why: str) -> str:
    return f"relay-git: review skipped ({why})"


def not_done(err: Exception) -> str:
    """A review that could not be done, in a hook that fails open."""
    return (
        f"relay-git: warning: review not done: {err}\n"
        "relay-git: not blocking (use --strict to fail instead)"
    )
