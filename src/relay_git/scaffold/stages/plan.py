"""The plan stages: the planner's plan (coder by default), checked against the tree, then
the reviewer's correction of it, checked again; the corrected plan is the spec the code is
written to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from relay_git.errors import ModelOutputError
from relay_git.scaffold.plan.schema import (
    COMMENT_CHARS,
    LINE_CHARS,
    MAX_PLAN_FILES,
    MAX_PLAN_TESTS,
    PlanCorrection,
    PlanReply,
    PlanReviewReply,
)
from relay_git.scaffold.plan.scope import Scope, check_plan, scope_of
from relay_git.scaffold.plan.spec import TaskPlan, listing_for
from relay_git.scaffold.relay import CORRECTION_TOKENS, PLAN_REVIEW_TOKENS, Relay, plan_tokens
from relay_git.scaffold.state import RunState


def plan_stage(relay: Relay, state: RunState) -> RunState:
    """Plan: the planner's plan, checked against the tree (what was repaired is kept)."""
    listing = relay.listing()
    drafted, said = planned(relay, state.task, listing)
    checked, repaired = check_plan(drafted, listing, relay.opts.allow_paths)
    done = replace(state, plan=checked, plan_problems=tuple(repaired))
    return done.noted(said).complete("plan")


def plan_review_stage(relay: Relay, state: RunState) -> RunState:
    """Plan review: the reviewer's correction, checked again; the result is the spec."""
    assert state.plan is not None  # the plan stage ran
    listing = relay.listing()
    corrected, said = reviewed(relay, state.plan, listing, state.plan_problems)
    spec, repaired = check_plan(corrected, listing, relay.opts.allow_paths)  # checked too
    more = tuple(p for p in repaired if p not in state.plan_problems)
    done = replace(state, spec=spec, plan_problems=(*state.plan_problems, *more))
    return done.noted(said).complete("plan-review")


def spec_of(state: RunState) -> TaskPlan:
    assert state.spec is not None  # the plan stages ran
    return state.spec


def run_scope(relay: Relay, state: RunState) -> Scope:
    """What the spec means for the tree the branch started from."""
    return scope_of(spec_of(state), relay.base_listing())


def planned(relay: Relay, task: str, listing: list[str]) -> tuple[TaskPlan, list[str]]:
    """The drafted plan; one that never validates is replaced by the checker's own (and
    said so, in the problems returned with it)."""
    try:
        return make_plan(relay, task, listing), []
    except ModelOutputError as err:
        said = f"the planner gave no valid plan; planned from the task: {err.message}"
        return TaskPlan(task, "", (), ()), [said]


def reviewed(
    relay: Relay, plan: TaskPlan, listing: list[str], repairs: Sequence[str]
) -> tuple[TaskPlan, list[str]]:
    """The reviewed spec; a reviewer that never gives a valid reply leaves the plan standing,
    unreviewed and said so (in the problems returned with it), rather than throwing away
    the coder's work."""
    try:
        return review_plan(relay, plan, listing, repairs), []
    except ModelOutputError as err:
        said = f"plan review failed, the plan stands unreviewed: {err.message}"
        return replace(plan, review="(not reviewed: the reviewer gave no valid reply)"), [said]


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
