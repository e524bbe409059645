"""The plan stage (coder by default) and the plan review (reviewer): the spec for the code."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from relay_git.scaffold.plan.schema import (
    COMMENT_CHARS,
    LINE_CHARS,
    MAX_PLAN_FILES,
    MAX_PLAN_TESTS,
    PlanCorrection,
    PlanReply,
    PlanReviewReply,
)
from relay_git.scaffold.relay import (
    CORRECTION_TOKENS,
    PLAN_REVIEW_TOKENS,
    Relay,
    plan_tokens,
)

MAX_LISTED_FILES = 40
_WORD = re.compile(r"[a-z0-9]{3,}")


@dataclass(frozen=True)
class TaskPlan:
    task: str
    summary: str
    files: tuple[tuple[str, str], ...]  # (path, what changes)
    tests: tuple[str, ...]
    review: str = ""  # the reviewer's comments, once reviewed
    approved: bool = False

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(p for p, _ in self.files)

    def text(self) -> str:
        lines = [f"Task: {self.task}"]
        if self.summary:
            lines.append(f"Plan: {self.summary}")
        lines.append("Files:")
        lines += [f"- {path}: {change}" if change else f"- {path}" for path, change in self.files]
        if self.tests:
            lines.append("Tests:")
            lines += [f"- {t}" for t in self.tests]
        if self.review:
            lines.append(f"Reviewer: {self.review}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "summary": self.summary,
            "files": [{"path": p, "change": c} for p, c in self.files],
            "tests": list(self.tests),
            "review": self.review,
            "approved": self.approved,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaskPlan:
        return cls(
            task=str(data["task"]),
            summary=str(data["summary"]),
            files=tuple((str(f["path"]), str(f["change"])) for f in data["files"]),
            tests=tuple(str(t) for t in data["tests"]),
            review=str(data.get("review", "")),
            approved=bool(data.get("approved", False)),
        )


def listing_for(task: str, listing: Sequence[str], limit: int = MAX_LISTED_FILES) -> list[str]:
    """What a planner needs to see: the whole listing of a small repository; of a big one,
    the files the task names or shares a word with, the top-level files and a few tests."""
    if len(listing) <= limit:
        return list(listing)
    words = set(_WORD.findall(task.lower()))
    named = [p for p in listing if p in task]
    related = [p for p in listing if words & set(_WORD.findall(p.lower()))]
    top = [p for p in listing if "/" not in p]
    tests = [p for p in listing if p.startswith(("tests/", "test/"))][:5]
    return list(dict.fromkeys([*named, *related, *top, *tests]))[:limit]


def make_plan(relay: Relay, task: str, listing: Sequence[str]) -> TaskPlan:
    shown = listing_for(task, listing)
    cap = relay.budget(plan_tokens(task))
    messages = relay.messages(
        "plan.system.j2",
        "plan.user.j2",
        task=task,
        files=shown,
        more=max(0, len(listing) - len(shown)),
        line_chars=LINE_CHARS,
        max_files=MAX_PLAN_FILES,
        max_tests=MAX_PLAN_TESTS,
        cap=cap,
    )
    reply = relay.ask(relay.planner, "plan", messages, PlanReply, cap)
    return TaskPlan(
        task=task,
        summary=reply.summary.strip(),
        files=tuple((f.path.strip(), f.change.strip()) for f in reply.files),
        tests=tuple(t.strip() for t in reply.tests if t.strip()),
    )


def review_plan(
    relay: Relay, plan: TaskPlan, listing: Sequence[str], problems: Sequence[str] = ()
) -> TaskPlan:
    """The reviewer approves or corrects the plan; the result is the spec."""
    messages = relay.messages(
        "plan_review.system.j2",
        "plan_review.user.j2",
        task=plan.task,
        plan=plan.text(),
        files=listing_for(plan.task, listing),
        problems=list(problems),
        cap=relay.budget(PLAN_REVIEW_TOKENS),
    )
    reply = relay.ask(
        relay.reviewer, "plan-review", messages, PlanReviewReply, relay.budget(PLAN_REVIEW_TOKENS)
    )
    comments = ""
    if reply.verdict == "revise":
        ask_more = [
            *messages,
            {"role": "assistant", "content": '{"verdict": "revise"}'},
            {
                "role": "user",
                "content": "Give the coder your correction, in at most "
                f"{COMMENT_CHARS} characters, as a JSON object with the key comments.",
            },
        ]
        budget = relay.budget(CORRECTION_TOKENS)
        comments = relay.ask(
            relay.reviewer, "plan-review", ask_more, PlanCorrection, budget
        ).comments
    return TaskPlan(
        task=plan.task,
        summary=plan.summary,
        files=plan.files,
        tests=plan.tests,
        review=comments.strip(),
        approved=reply.verdict == "approve",
    )
