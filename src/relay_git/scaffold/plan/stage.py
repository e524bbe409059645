"""The plan stages: the planner's plan, checked against the tree, then the reviewer's
correction of it, checked again; the corrected plan is the spec the code is written to."""

from __future__ import annotations

from dataclasses import replace

from relay_git.errors import ModelOutputError
from relay_git.scaffold.plan.scope import Scope, check_plan, scope_of
from relay_git.scaffold.plan.spec import TaskPlan, make_plan, review_plan
from relay_git.scaffold.relay import Relay
from relay_git.scaffold.state import RunState


def plan_stage(relay: Relay, state: RunState) -> bool:
    """Plan: the planner's plan, checked against the tree (what was repaired is kept)."""
    listing = relay.listing()
    drafted = planned(relay, state.task, listing, state.problems)
    checked, repaired = check_plan(drafted, listing, relay.opts.allow_paths)
    state.plan = checked
    state.plan_problems = repaired
    return True


def plan_review_stage(relay: Relay, state: RunState) -> bool:
    """Plan review: the reviewer's correction, checked again; the result is the spec."""
    assert state.plan is not None  # the plan stage ran
    listing = relay.listing()
    corrected = reviewed(relay, state.plan, listing, state)
    spec, repaired = check_plan(corrected, listing, relay.opts.allow_paths)  # checked too
    state.plan_problems += [p for p in repaired if p not in state.plan_problems]
    state.spec = spec
    return True


def spec_of(state: RunState) -> TaskPlan:
    assert state.spec is not None  # the plan stages ran
    return state.spec


def run_scope(relay: Relay, state: RunState) -> Scope:
    """What the spec means for the tree the branch started from."""
    return scope_of(spec_of(state), relay.base_listing())


def planned(relay: Relay, task: str, listing: list[str], problems: list[str]) -> TaskPlan:
    """The drafted plan; one that never validates is replaced by the checker's own."""
    try:
        return make_plan(relay, task, listing)
    except ModelOutputError as err:
        problems.append(f"the planner gave no valid plan; planned from the task: {err.message}")
        return TaskPlan(task, "", (), ())


def reviewed(relay: Relay, plan: TaskPlan, listing: list[str], state: RunState) -> TaskPlan:
    """The reviewed spec; a reviewer that never gives a valid reply leaves the plan standing,
    unreviewed and said so, rather than throwing away the coder's work."""
    try:
        return review_plan(relay, plan, listing, state.plan_problems)
    except ModelOutputError as err:
        state.problems.append(f"plan review failed, the plan stands unreviewed: {err.message}")
        return replace(plan, review="(not reviewed: the reviewer gave no valid reply)")
