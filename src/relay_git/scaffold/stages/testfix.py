"""Test + fix: failing output goes back to the coder for a bounded number of rounds, then one
escalation round to the reviewer, then stop. Each round is one step of the test-fix stage,
committed when it changed something; the pipeline saves the state after it."""

from __future__ import annotations

from dataclasses import replace

from relay_git.models.call import retry_temperature
from relay_git.scaffold.relay import Relay
from relay_git.scaffold.stages.commit import commit, discard_protected
from relay_git.scaffold.stages.first import failure_text
from relay_git.scaffold.stages.plan import run_scope, spec_of
from relay_git.scaffold.state import RunState
from relay_git.scaffold.verify.testrun import TestOutcome
from relay_git.scaffold.write import rounds
from relay_git.scaffold.write.writer import Ask


def next_stage(rounds_done: int, max_rounds: int, escalated: bool) -> str | None:
    """The next fix stage after ``rounds_done`` coder rounds, or None when out of rounds."""
    if rounds_done < max_rounds:
        return f"fix-{rounds_done + 1}"
    if not escalated:
        return "escalate"
    return None


def fix_stage(relay: Relay, state: RunState) -> RunState:
    """One fix round while the tests fail; complete once they pass or the rounds are spent."""
    outcome = state.tests if state.tests and state.tests.command else None
    if relay.command is None or outcome is None or not outcome.failed:
        return state.complete("test-fix")
    stage = next_stage(state.rounds, relay.opts.max_rounds, state.escalated)
    if stage is None:
        said = f"tests still fail after {state.rounds} fix round(s) and an escalation"
        return state.noted([said]).complete("test-fix")
    return _round(relay, state, stage, outcome)


def _round(relay: Relay, state: RunState, stage: str, outcome: TestOutcome) -> RunState:
    seat = relay.reviewer if stage == "escalate" else relay.coder
    written = _written(relay, state, stage, outcome)
    state = replace(
        state,
        escalated=state.escalated or stage == "escalate",
        rounds=state.rounds + (stage != "escalate"),
        fix_problems=tuple(p.split(": ", 1)[-1] for p in written.problems),
    ).noted(written.problems)
    if written.outcome is None:
        relay.bench.reset()
    else:
        state = discard_protected(relay, state)
        body = f"Failing: {relay.command}\n\n{outcome.output[-400:]}".strip()
        subject = f"relay({stage}): make the tests pass"
        state = commit(relay, state, stage, seat, subject, body, list(written.files))
        outcome = written.outcome
    return state.tested(outcome)


def _written(relay: Relay, state: RunState, stage: str, outcome: TestOutcome) -> rounds.Written:
    seat = relay.reviewer if stage == "escalate" else relay.coder
    spec, target = spec_of(state), run_scope(relay, state)
    if relay.opts.drafts is None:  # by need: one request for the files, shown the failure
        how = Ask(  # never the same request twice: what the last round did, hotter
            stage,
            failure=failure_text(outcome),
            problems=state.fix_problems,
            repairs=state.plan_problems,
            temperature=retry_temperature(min(state.rounds + 1, 3)),
            seed=state.rounds + 1,
        )
        code = list(target.code)
        return rounds.rewrite(relay, seat, spec, target, code, how)
    count = 1 if stage == "escalate" else relay.opts.drafts
    return rounds.fix(relay, seat, stage, spec, target, outcome, count)
