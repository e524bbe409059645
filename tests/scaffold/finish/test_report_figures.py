"""The figures the benchmark reads from a scaffold run: parse outcomes and test-command time,
in the JSON report and in the saved run state (which is all a failed run leaves)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.scaffold.support import CODER, PYTEST, REVIEWER, Relay, Script, kind, run_json

from relay_git.errors import BackendUnavailable
from relay_git.models.base import ChatRequest

TASK = "add a slugify() helper with tests"
TASK_NO_TESTS = "add a slugify() helper"


def test_outcomes_count_schema_retries_and_drafts_without_a_code_block(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    script = Script().install(relay)
    seen = {"plan": 0, "code": 0}

    def coder(request: ChatRequest) -> str:
        what = kind(request)
        seen[what] = seen.get(what, 0) + 1
        if what == "plan" and seen["plan"] == 1:
            return "not json at all"  # a schema retry
        if what == "code" and seen["code"] == 2:
            return "Sure! Here is the code: def slugify"  # no fenced block: an unusable draft
        return script.coder(request)

    relay.coder.default = coder
    report = run_json(relay, repo, capsys, "--drafts", "3", "--test-cmd", PYTEST, TASK)
    outcomes = [(o["stage"], o["model"], o["attempts"], o["ok"]) for o in report["outcomes"]]
    assert outcomes == [
        ("plan", CODER, 2, True),
        ("plan-review", REVIEWER, 1, True),
        ("generate:draft", CODER, 1, True),
        ("generate:draft", CODER, 1, False),
        ("generate:draft", CODER, 1, True),
        *[("tests:draft", CODER, 1, True)] * 3,
        ("review", REVIEWER, 1, True),
    ]


def test_total_test_seconds_sum_every_run_of_the_test_command(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    script = Script(files={"slug.py": "def slugify(t):\n    return t\n"}).install(relay)
    good = Script()
    relay.coder.default = lambda r: (
        good.coder(r) if "fail" in r.messages[-1]["content"] else script.coder(r)
    )
    command = "sleep 0.2 && grep -q lower slug.py"
    report = run_json(
        relay,
        repo,
        capsys,
        "--drafts",
        "3",
        "--test-cmd",
        command,
        "--max-rounds",
        "1",
        TASK_NO_TESTS,
    )
    tests = report["tests"]
    assert tests["status"] == "passed" and tests["rounds"] == 1
    assert [c["stage"] for c in report["commits"]] == ["generate", "fix-1"]
    assert tests["total_seconds"] >= 0.6 > tests["seconds"] >= 0.2  # three runs (one on the
    # base tree first), the last one


def test_a_failed_run_leaves_its_ledger_and_outcomes_in_the_state(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    script = Script().install(relay)
    calls = {"code": 0}

    def coder(request: ChatRequest) -> str:
        if kind(request) != "code":
            return script.coder(request)
        calls["code"] += 1
        if calls["code"] > 3:  # the hotter second round of drafts: the server goes away
            raise BackendUnavailable("coder server went away")
        return "junk, no code block"

    relay.coder.default = coder
    assert relay(repo, "--json", "-q", "--test-cmd", PYTEST, TASK) == 3
    assert capsys.readouterr().out == ""  # no report: the state is all the run leaves
    (state_file,) = (repo / ".git").glob("worktrees/*/relay-state.json")
    state = json.loads(state_file.read_text())
    assert [e["stage"] for e in state["ledger"]] == ["plan", "plan-review", *["generate"] * 3]
    assert state["outcomes"][-1] == {
        "stage": "generate:draft",
        "model": CODER,
        "attempts": 1,
        "ok": False,
    }
