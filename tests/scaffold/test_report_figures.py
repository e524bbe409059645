"""The figures the benchmark reads from a scaffold run: parse outcomes and test-command time,
in the JSON report and in the saved run state (which is all a failed run leaves)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.scaffold.support import (
    CODER,
    GOOD_CODE,
    REVIEWER,
    Relay,
    approve_plan,
    edits_reply,
    plan_reply,
    review_reply,
    run_json,
)

TASK = "add a slugify() helper with tests"


def test_outcomes_count_schema_retries_and_edits_that_did_not_apply(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    relay.coder.enqueue(
        "not json at all",
        plan_reply(),
        edits_reply({"../outside.py": "x = 1\n"}),  # valid JSON, refused when applied
        edits_reply(GOOD_CODE),
    )
    relay.reviewer.enqueue(approve_plan(), review_reply("approve"))
    report = run_json(relay, repo, capsys, "--test-cmd", "test -f slug.py", TASK)
    outcomes = [(o["stage"], o["model"], o["attempts"], o["ok"]) for o in report["outcomes"]]
    assert outcomes == [
        ("plan", CODER, 2, True),
        ("plan-review", REVIEWER, 1, True),
        ("generate", CODER, 1, True),
        ("generate", CODER, 1, True),
        ("generate:apply", CODER, 2, True),
        ("review", REVIEWER, 1, True),
    ]


def test_total_test_seconds_sum_every_run_of_the_test_command(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    relay.coder.enqueue(
        plan_reply(), edits_reply({"slug.py": "broken = 1\n"}), edits_reply(GOOD_CODE, "fixed")
    )
    relay.reviewer.enqueue(approve_plan(), review_reply("approve"))
    command = "sleep 0.2 && grep -q 'def slugify' slug.py"
    report = run_json(relay, repo, capsys, "--test-cmd", command, "--max-rounds", "1", TASK)
    tests = report["tests"]
    assert tests["status"] == "passed" and tests["rounds"] == 1
    assert tests["total_seconds"] >= 0.4 > tests["seconds"] >= 0.2  # two runs, the last one


def test_a_failed_run_leaves_its_ledger_and_outcomes_in_the_state(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    relay.coder.enqueue(plan_reply(), "junk", "more junk", "still junk")
    relay.reviewer.enqueue(approve_plan())
    assert relay(repo, "--json", "-q", "--test-cmd", "true", TASK) == 3
    capsys.readouterr()
    (state_file,) = (repo / ".git").glob("worktrees/*/relay-state.json")
    state = json.loads(state_file.read_text())
    assert [e["stage"] for e in state["ledger"]] == ["plan", "plan-review", *["generate"] * 3]
    assert state["outcomes"][-1] == {
        "stage": "generate",
        "model": CODER,
        "attempts": 3,
        "ok": False,
    }
