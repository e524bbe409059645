"""Each stage of the relay on its own: ``stage(relay, state)`` on a real relay worktree (the
hermetic ``repo`` fixture), with the scripted stand-in models of tests/scaffold/support.py
in the seats. The pipeline runs these in order (test_pipeline.py runs them end to end)."""

from __future__ import annotations

import json
import os
from dataclasses import FrozenInstanceError, replace
from pathlib import Path

import pytest
from tests.conftest import git
from tests.fakes import factory
from tests.scaffold.support import CODER, PYTEST, REVIEWER, Script
from tests.scaffold.support import Relay as Stand

from relay_git.app import build
from relay_git.git import runstate
from relay_git.git import worktree as wtmod
from relay_git.safety.sandbox import Kind
from relay_git.scaffold import pipeline
from relay_git.scaffold.relay import Options, Relay
from relay_git.scaffold.stages.first import generate_stage
from relay_git.scaffold.stages.plan import plan_review_stage, plan_stage, spec_of
from relay_git.scaffold.stages.review import review_stage
from relay_git.scaffold.stages.testfix import fix_stage
from relay_git.scaffold.state import RunState
from relay_git.scaffold.verify.gate import Outcome
from relay_git.scaffold.verify.testrun import Status, TestOutcome
from relay_git.scaffold.verify.workbench import Workbench

pytestmark = pytest.mark.slow  # stages run on real worktrees, with real test runs

TASK = "add a slugify() helper with tests"


def start(repo: Path, stand: Stand, command: str | None = PYTEST, max_rounds: int = 3) -> Relay:
    """A relay on a fresh branch of ``repo``, tests run unsandboxed (the stages are under
    test here, not the sandbox: tests/hardening covers it)."""
    overrides = {"coder": CODER, "reviewer": REVIEWER}
    make = factory(stand.coder, stand.reviewer)
    app = build(repo, dict(os.environ), overrides, make, need_repo=True)
    options = Options(TASK, test_cmd=command, unsandboxed_tests=True, max_rounds=max_rounds)
    relay = Relay.start(app, options, lambda *_: None)
    base = relay.repo.resolve("HEAD")
    wt = wtmod.create(relay.repo, "relay/stage-test", base, None)
    bench = Workbench(wt, dict(os.environ), Kind.NONE, 120.0, command=command)
    return relay.at(bench)


def fresh(relay: Relay) -> RunState:
    wt = relay.wt
    return RunState(TASK, "stage-test", wt.branch, wt.base, str(wt.path))


def planned(relay: Relay) -> RunState:
    state = plan_review_stage(relay, plan_stage(relay, fresh(relay)))
    assert state.completed == ("plan", "plan-review")
    return state


@pytest.fixture
def stand() -> Stand:
    stand = Stand()
    Script().install(stand)
    return stand


def test_plan_stage_keeps_the_checked_plan(repo: Path, stand: Stand) -> None:
    relay = start(repo, stand)
    state = plan_stage(relay, fresh(relay))
    assert state.done("plan") and state.plan is not None
    assert state.plan.paths == ("slug.py", "tests/test_slug.py")
    assert state.spec is None  # the spec is the review's to set


def test_a_planner_without_a_valid_plan_is_replaced_by_the_checker(
    repo: Path, stand: Stand
) -> None:
    stand.coder.default = "no plan here"
    relay = start(repo, stand)
    state = plan_stage(relay, fresh(relay))
    assert state.done("plan")
    assert any("the planner gave no valid plan" in p for p in state.problems)
    assert state.plan is not None and state.plan.task == TASK


def test_plan_review_sets_the_spec_and_a_silent_reviewer_leaves_the_plan(
    repo: Path, stand: Stand
) -> None:
    relay = start(repo, stand)
    state = planned(relay)
    assert spec_of(state).paths == ("slug.py", "tests/test_slug.py")
    stand.reviewer.default = "not json"
    state = planned(relay)
    assert any("the plan stands unreviewed" in p for p in state.problems)
    assert "not reviewed" in spec_of(state).review


def test_generate_stage_commits_a_first_draft_that_stands(repo: Path, stand: Stand) -> None:
    relay = start(repo, stand)
    state = planned(relay)
    state = generate_stage(relay, state)
    assert state.done("generate")
    assert [c.stage for c in state.commits] == ["generate"]
    assert state.tests and state.tests.status is Status.PASSED
    assert state.test_names == ("test_slugify",)
    tree = git(repo, "ls-tree", "-r", "--name-only", relay.wt.branch).split()
    assert "slug.py" in tree and "tests/test_slug.py" in tree


def test_fix_stage_is_complete_when_the_tests_pass(repo: Path, stand: Stand) -> None:
    relay = start(repo, stand)
    state = fresh(relay).tested(TestOutcome(Status.PASSED, PYTEST))
    asked = len(stand.coder.history)
    state = fix_stage(relay, state)
    assert state.done("test-fix")
    assert len(stand.coder.history) == asked and state.rounds == 0


def test_fix_stage_stops_when_the_rounds_are_spent(repo: Path, stand: Stand) -> None:
    relay = start(repo, stand, max_rounds=0)
    state = replace(fresh(relay), escalated=True).tested(
        TestOutcome(Status.FAILED, PYTEST, 1, "boom")
    )
    state = fix_stage(relay, state)
    assert state.done("test-fix")
    assert state.problems == ("tests still fail after 0 fix round(s) and an escalation",)


def test_fix_stage_runs_one_round_per_step(repo: Path, stand: Stand) -> None:
    """A failing branch: one step is one coder round, committed; the stage goes on while
    the tests fail (the pipeline saves the state after each step)."""
    relay = start(repo, stand)
    state = planned(relay)
    (relay.wt.path / "tests").mkdir()
    (relay.wt.path / "tests" / "test_slug.py").write_text(
        "from slug import slugify\n\n\ndef test_slugify():\n    assert slugify('A B') == 'a-b'\n"
    )
    git(relay.wt.path, "add", "tests")
    git(relay.wt.path, "commit", "-q", "-m", "a test first")
    failing = relay.bench.run(PYTEST)
    assert failing.failed
    state = fix_stage(relay, state.tested(failing))
    assert state.rounds == 1 and [c.stage for c in state.commits] == ["fix-1"]
    assert not state.done("test-fix") and state.tests and state.tests.status is Status.PASSED
    assert state.test_record()["rounds"] == 1
    assert fix_stage(relay, state).done("test-fix")  # passing now: complete


def test_review_stage_of_an_empty_branch_is_not_done_and_not_reviewed(
    repo: Path, stand: Stand
) -> None:
    relay = start(repo, stand)
    state = planned(relay)
    asked = len(stand.reviewer.history)
    state = review_stage(relay, state)
    assert state.done("review")
    assert state.outcome is Outcome.NOT_DONE and state.finished
    assert state.verdict == "not reviewed" and len(stand.reviewer.history) == asked
    assert "the change is empty: the branch holds no change" in state.reasons


def test_review_stage_after_generate_is_done_when_the_reviewer_approves(
    repo: Path, stand: Stand
) -> None:
    relay = start(repo, stand)
    state = planned(relay)
    state = review_stage(relay, generate_stage(relay, state))
    assert state.done("generate") and state.done("review")
    assert state.verdict == "approve" and state.outcome is Outcome.DONE, state.reasons


def test_the_state_is_saved_and_read_back_with_its_outcome(repo: Path, stand: Stand) -> None:
    relay = start(repo, stand)
    state = replace(planned(relay), outcome=Outcome.DONE)
    state = state.tested(TestOutcome(Status.PASSED, PYTEST, 0, "1 passed", 0.5))
    pipeline.save(relay, state)
    raw = runstate.read_state(relay.wt.path) or {}
    assert json.loads(json.dumps(raw))["outcome"] == "done"
    again = RunState.from_dict(raw)
    assert again.outcome is Outcome.DONE and again.spec == state.spec
    assert again.tests == state.tests and again.test_record() == state.test_record()
    assert again.ledger and again.ledger[0]["stage"] == "plan"


def test_a_stage_returns_a_new_state_and_leaves_the_old_one(repo: Path, stand: Stand) -> None:
    relay = start(repo, stand)
    before = fresh(relay)
    after = plan_stage(relay, before)
    assert after.done("plan") and after.plan is not None
    assert before.completed == () and before.plan is None and before.problems == ()
    with pytest.raises(FrozenInstanceError):
        before.rounds = 1  # type: ignore[misc]


def test_an_older_saved_state_still_loads() -> None:
    """A state saved before the stage results were immutable: JSON lists, and "" for an
    outcome not yet decided."""
    raw = {
        "task": TASK,
        "slug": "s",
        "branch": "relay/s",
        "base": "abc",
        "worktree": "/nowhere",
        "completed": ["plan", "plan-review"],
        "problems": ["one"],
        "reasons": [],
        "commits": [{"sha": "1" * 40, "stage": "generate", "author": "a", "subject": "s"}],
        "tests": {},
        "outcome": "",
        "gone": "a field this version no longer has",
    }
    state = RunState.from_dict(raw)
    assert state.completed == ("plan", "plan-review") and state.problems == ("one",)
    assert state.done("plan-review") and not state.done("generate")
    assert state.outcome is None and state.tests is None and state.commits[0].stage == "generate"
    again = state.to_dict()
    assert again["completed"] == ["plan", "plan-review"] and again["reasons"] == []
    assert RunState.from_dict(json.loads(json.dumps(again))) == state


def test_the_pipeline_is_the_list_of_stages_in_the_workflow_order() -> None:
    assert [name for name, _ in pipeline.STAGES] == [
        "plan",
        "plan-review",
        "generate",
        "test-fix",
        "review",
    ]


def test_a_stage_that_changes_nothing_stops_the_run_instead_of_looping(
    repo: Path, stand: Stand, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stage that neither marks itself done nor changes the state would be run forever by
    the pipeline's loop; the loop stops at the first such step and names the stage."""
    relay = start(repo, stand)
    calls: list[int] = []

    def stuck(_relay: Relay, state: RunState) -> RunState:
        calls.append(1)
        return state

    monkeypatch.setattr(pipeline, "STAGES", (("plan", stuck),))
    with pytest.raises(RuntimeError, match="the plan stage changed nothing"):
        pipeline._run(relay, fresh(relay))
    assert calls == [1]
