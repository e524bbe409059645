"""Test + fix: run the tests; failing output goes back to the coder for bounded rounds,
then one escalation round to the reviewer, then stop and say so."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from relay_git.errors import ModelOutputError, UnsafeEdit
from relay_git.scaffold.env import Seat, StageEnv
from relay_git.scaffold.generate import Applied, ask_edits, context_budget, select_context
from relay_git.scaffold.plan import Plan
from relay_git.scaffold.testrun import TestOutcome


@dataclass(frozen=True)
class FixAttempt:
    stage: str  # "fix-N" | "escalate"
    applied: Applied | None
    problem: str = ""  # why no edits were applied


def fix_round(
    env: StageEnv,
    seat: Seat,
    stage: str,
    spec: Plan,
    outcome: TestOutcome,
    root: Path,
    changed: Sequence[str],
) -> FixAttempt:
    """One round: the failing tail and the branch's files go to ``seat``; its edits are applied."""
    skeleton = env.render(
        "fix.user.j2", spec=spec.text(), command=outcome.command, output=outcome.output, files=[]
    )
    budget = context_budget(env, seat, skeleton)
    count = env.backend(seat).count_tokens
    shown = env.readable(seat, changed)
    files = select_context(root, shown, shown, "", budget, count)
    messages = env.messages(
        "generate.system.j2",
        "fix.user.j2",
        spec=spec.text(),
        command=outcome.command,
        output=outcome.output,
        files=files,
    )
    try:
        return FixAttempt(stage, ask_edits(env, seat, stage, messages, root))
    except (ModelOutputError, UnsafeEdit) as err:
        return FixAttempt(stage, None, str(err))


def next_stage(rounds_done: int, max_rounds: int, escalated: bool) -> str | None:
    """The next fix stage after ``rounds_done`` coder rounds, or None when out of rounds."""
    if rounds_done < max_rounds:
        return f"fix-{rounds_done + 1}"
    if not escalated:
        return "escalate"
    return None


RunTests = Callable[[], TestOutcome]
