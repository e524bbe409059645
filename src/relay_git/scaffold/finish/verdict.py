"""The diff review's first question, asked of the large model: does this diff do the task?

Verdict first and bounded, so an approval costs a handful of tokens; findings are asked
for only when it does not approve. The reviewer always sees the task and the test result
beside the diff. A diff too large for one call goes to the review engine, which splits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from relay_git.scaffold.plan.schema import VerdictReply
from relay_git.scaffold.relay import VERDICT_TOKENS, Relay

MAX_VERDICT_DIFF_CHARS = 24_000


@dataclass(frozen=True)
class ReviewerVerdict:
    verdict: str  # approve | fix | reject
    summary: str


def tests_line(tests: Mapping[str, object], test_names: tuple[str, ...]) -> str:
    status = str(tests.get("status", "not run"))
    command = str(tests.get("command") or "")
    line = f"{status}" + (f" ({command})" if command else "")
    if test_names:
        line += f"; tests added by this change: {', '.join(test_names[:8])}"
    return line


def ask_verdict(
    relay: Relay, task: str, diff: str, tests: Mapping[str, object], names: tuple[str, ...]
) -> ReviewerVerdict | None:
    """The reviewer's verdict, or None when the review engine must do it: a diff too large
    for one call, or a reviewer off this machine (the engine keeps secret files from it)."""
    if len(diff) > MAX_VERDICT_DIFF_CHARS or not relay.is_local(relay.reviewer):
        return None
    messages = relay.messages(
        "verdict.system.j2",
        "verdict.user.j2",
        task=task,
        tests=tests_line(tests, names),
        diff=diff,
        cap=relay.budget(VERDICT_TOKENS),
    )
    reply = relay.ask(
        relay.reviewer, "review", messages, VerdictReply, relay.budget(VERDICT_TOKENS)
    )
    summary = "the reviewer approved" if reply.verdict == "approve" else ""
    return ReviewerVerdict(reply.verdict, summary)
