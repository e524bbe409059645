"""Test + fix: which round comes next. Failing output goes back to the coder for a bounded
number of rounds (``stages.fix``), then one escalation round to the reviewer, then stop."""

from __future__ import annotations


def next_stage(rounds_done: int, max_rounds: int, escalated: bool) -> str | None:
    """The next fix stage after ``rounds_done`` coder rounds, or None when out of rounds."""
    if rounds_done < max_rounds:
        return f"fix-{rounds_done + 1}"
    if not escalated:
        return "escalate"
    return None
