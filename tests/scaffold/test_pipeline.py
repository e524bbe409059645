"""The whole relay driven by scripted fake models on real temporary repositories.

The models are fakes (``Script`` answers each request by what it asks for); git, the
worktree, the sandboxed test runs and pytest are real.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import git
from tests.scaffold.support import (
    CODER,
    GOOD_CODE,
    PYTEST,
    REVIEWER,
    Relay,
    Script,
    asked_path,
    fenced,
    kind,
    plan_reply,
    review_reply,
    run_json,
    snapshot,
    verdict_reply,
)

from relay_git.errors import BackendUnavailable
from relay_git.models.base import ChatRequest

TASK = "add a slugify() helper with tests"
TASK_NO_TESTS = "add a slugify() helper"
GREP = "grep -q lower slug.py"


def trailers(cwd: Path, rev: str) -> str:
    return git(cwd, "log", "-1", "--format=%(trailers)", rev)


HOOKS = ("pre-commit", "commit-msg", "post-commit", "post-checkout", "post-rewrite")


def test_full_relay_leaves_dirty_checkout_untouched_runs_no_hook_and_bounds_every_stage(
    dirty: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    """One relay run, asserted on all sides: the user's checkout, the branch, the commits'
    trailers and authors, the report, the stages' output bounds, and no repository hook run
    by relay commits, notes or the worktree checkout."""
    for hook in HOOKS:
        script = dirty / ".git" / "hooks" / hook
        script.write_text(f"#!/bin/sh\ntouch '{dirty.parent / f'{hook}-ran'}'\n")
        script.chmod(0o755)
    before = snapshot(dirty)
    Script().install(relay)
    report = run_json(relay, dirty, capsys, "--test-cmd", PYTEST, TASK)
    assert snapshot(dirty) == before
    assert report["outcome"] == "done" and report["exit_code"] == 0 and report["reasons"] == []
    branch = report["branch"]
    assert branch == "relay/add-a-slugify-helper-with-tests"
    wt = Path(report["worktree"])
    assert wt.is_relative_to((dirty / ".git").resolve())
    assert (wt / "slug.py").read_text() == GOOD_CODE["slug.py"]
    test_file = git(dirty, "show", f"{branch}:tests/test_slug.py")
    assert "from slug import slugify" in test_file and "assert slugify('A B')" in test_file
    assert report["test_names"] and report["pinned_tests"] == 0
    assert [c["stage"] for c in report["commits"]] == ["generate"]
    text = trailers(dirty, branch)
    assert f"Relay-Coder: {CODER}" in text and f"Relay-Reviewer: {REVIEWER}" in text
    assert "Relay-Stage: generate" in text and "Relay-Tokens: " in text
    author = git(dirty, "log", "-1", "--format=%an <%ae>", branch)
    assert author == f"relay-git coder ({CODER}) <coder@relay-git.invalid>\n"
    body = git(dirty, "log", "-1", "--format=%B", branch)
    assert "tests written: 1" in body and "first draft" in body
    assert report["tests"]["status"] == "passed" and report["verdict"] == "approve"
    assert "relay-git review: approve" in git(dirty, "notes", "--ref=relay", "show", branch)
    stages = [e["stage"] for e in report["ledger"]]
    # by need: one request per file, one for the test file, one verdict; nothing twice
    assert stages == ["plan", "plan-review", "generate", "tests", "review"]
    changed = git(dirty, "diff", "--name-only", "HEAD", branch).split()
    assert changed == ["slug.py", "tests/test_slug.py"]  # nothing the tests left behind
    head = report["headline"]
    assert head["small_model"] == CODER and 0 < head["small_share"] < 1
    _assert_every_stage_bounded(relay)
    assert not [h for h in HOOKS if (dirty.parent / f"{h}-ran").exists()]
    git(dirty, "commit", "-q", "--allow-empty", "-m", "the user's own commit")
    ran = [h for h in HOOKS if (dirty.parent / f"{h}-ran").exists()]
    assert ran == ["pre-commit", "commit-msg", "post-commit"]  # the hooks work


def _assert_every_stage_bounded(relay: Relay) -> None:
    bounds = {(kind(r), r.max_tokens) for r in relay.coder.history + relay.reviewer.history}
    assert bounds == {  # a plan's grows with the task, a new file's is NEW_FILE_TOKENS
        ("plan", 512 + 4 * len(TASK.split())),
        ("plan-review", 64),
        ("code", 1024),
        ("tests", 1024),
        ("verdict", 96),
    }
    for request in relay.coder.history + relay.reviewer.history:  # each bound is stated
        assert f"at most {request.max_tokens} tokens" in "".join(
            m["content"] for m in request.messages
        )


def test_text_report_and_plain_progress_lines(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    Script().install(relay)
    assert relay(repo, "--test-cmd", PYTEST, TASK) == 0
    out, err = capsys.readouterr()
    assert "Branch:   relay/add-a-slugify-helper-with-tests" in out
    assert "Outcome: DONE" in out and "Tests written: 1" in out
    assert "Small model wrote" in out
    assert err.startswith("[tests] ")  # the test command, once on the base tree, first
    assert f"[plan] {CODER} · " in err and f"[plan-review] {REVIEWER}" in err
    assert "[generate]" in err and "[tests]" in err and "[review]" in err


def test_drafts_judge_each_other_and_the_agreeing_code_wins(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    """Draft 1 is wrong, drafts 2 and 3 agree: CodeT picks the agreeing pair."""
    script = Script().install(relay)
    wrong = "def slugify(text):\n    return text.upper()\n"
    answers = iter([wrong, GOOD_CODE["slug.py"], GOOD_CODE["slug.py"]])

    def coder(request: ChatRequest) -> str:
        if kind(request) == "code":
            return fenced(next(answers))
        return script.coder(request)

    relay.coder.default = coder
    report = run_json(relay, repo, capsys, "--drafts", "3", "--test-cmd", PYTEST, TASK)
    assert git(repo, "show", f"{report['branch']}:slug.py") == GOOD_CODE["slug.py"]
    asks = [r for r in relay.coder.history if kind(r) == "code"]
    assert asks[0].temperature == 0.0
    seen = {(r.temperature, r.seed, r.messages[-1]["content"]) for r in asks}
    assert len(seen) == 3  # never the same request twice
    assert "File `slug.py`" not in asks[1].messages[-1]["content"] or asks[1].temperature


def test_a_test_that_asserts_nothing_cannot_turn_the_run_green(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    vacuous = "from slug import slugify\n\n\ndef test_slugify():\n    assert slugify('a') or True\n"
    Script(tests=vacuous).install(relay)
    report = run_json(relay, repo, capsys, "--drafts", "3", "--test-cmd", PYTEST, TASK, code=1)
    assert report["outcome"] == "not done" and report["test_names"] == []
    assert any("no drafted test survived" in r for r in report["reasons"])
    assert report["verdict"] == "not reviewed" and relay.reviewer.history[-1:] != []
    assert all(kind(r) != "verdict" for r in relay.reviewer.history)


def test_wrong_expected_values_are_pinned_by_agreeing_drafts(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = (
        "from slug import slugify\n\n\ndef test_slugify():\n    assert slugify('A B') == 'A B'\n"
    )
    Script(tests=wrong).install(relay)
    report = run_json(relay, repo, capsys, "--test-cmd", PYTEST, TASK)
    test_file = git(repo, "show", f"{report['branch']}:tests/test_slug.py")
    assert "assert slugify('A B') == 'a-b'" in test_file and "agreeing" in test_file
    assert report["pinned_tests"] == 1


def test_a_hollow_change_goes_back_to_the_coder_then_ends_non_zero(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    Script(files={"slug.py": "x = 1\n"}).install(relay)
    report = run_json(relay, repo, capsys, "--drafts", "3", "--test-cmd", PYTEST, TASK, code=1)
    assert report["commits"] == [] and report["outcome"] == "not done"
    assert sum(1 for r in relay.coder.history if kind(r) == "code") == 6  # twice k drafts
    assert any("no draft defines slugify" in p for p in report["problems"])
    assert any("empty" in r or "slugify is not defined" in r for r in report["reasons"])
    assert git(repo, "branch", "--list", "relay/*") == ""  # nothing committed: nothing left
    assert len(git(repo, "worktree", "list").splitlines()) == 1
    assert any("removed: no commit" in p for p in report["problems"])


def test_failing_tests_get_fix_rounds_then_escalation(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    script = Script(files={"slug.py": "def slugify(t):\n    return t\n"}).install(relay)
    good = Script()
    relay.reviewer.default = lambda r: good.reviewer(r) if kind(r) == "code" else script.reviewer(r)
    report = run_json(
        relay, repo, capsys, "--test-cmd", GREP, "--max-rounds", "2", "--drafts", "2", TASK_NO_TESTS
    )
    stages = [c["stage"] for c in report["commits"]]
    assert stages == ["generate", "escalate"]
    assert report["tests"]["status"] == "passed"
    assert report["tests"]["rounds"] == 2 and report["tests"]["escalated"] is True
    fix_prompts = [r for r in relay.coder.history if kind(r) == "code"][2:]
    assert (
        GREP in fix_prompts[0].messages[-1]["content"]
        or "fail" in fix_prompts[0].messages[-1]["content"]
    )
    author = git(repo, "log", "-1", "--format=%an", report["branch"])
    assert author.startswith(f"relay-git reviewer ({REVIEWER})")
    assert "Relay-Stage: escalate" in trailers(repo, report["branch"])
    assert report["outcome"] == "done"


def test_still_failing_after_escalation_is_reported_honestly(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    Script(files={"slug.py": "def slugify(t):\n    return t\n"}).install(relay)
    report = run_json(
        relay, repo, capsys, "--test-cmd", "false", "--max-rounds", "1", TASK_NO_TESTS, code=1
    )
    assert report["tests"]["status"] == "failed" and report["outcome"] == "not done"
    assert any("still fail" in p for p in report["problems"])
    assert any("the tests fail" in r for r in report["reasons"])
    assert report["verdict"] == "not reviewed"  # a failing branch costs the reviewer nothing


def test_review_fix_applies_suggestions_as_reviewer_and_notes_the_rest(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    findings: list[dict[str, Any]] = [
        {
            "path": "slug.py",
            "line": 2,
            "end_line": 2,
            "severity": "error",
            "category": "bug",
            "message": "does not strip",
            "suggestion": "    return '-'.join(text.lower().split()).strip('-')",
        },
        {
            "path": "tests/test_slug.py",
            "line": 5,
            "severity": "warning",
            "category": "tests",
            "message": "one case only",
        },
    ]
    Script(verdict=verdict_reply("fix"), review=review_reply("fix", findings)).install(relay)
    args = ("--review-rounds", "0", "--test-cmd", PYTEST, TASK)  # the reviewer's last resort
    report = run_json(relay, repo, capsys, *args, code=1)
    assert [c["stage"] for c in report["commits"]] == ["generate", "review-fix"]
    branch = report["branch"]
    assert "strip('-')" in git(repo, "show", f"{branch}:slug.py")
    assert git(repo, "log", "-1", "--format=%ae", branch) == "reviewer@relay-git.invalid\n"
    note = git(repo, "notes", "--ref=relay", "show", branch)
    assert "one case only" in note and "Applied by the reviewer" in note
    assert report["verdict"] == "fix" and report["outcome"] == "not done"
    assert any("did not approve" in r for r in report["reasons"])
    review_prompt = next(r for r in relay.reviewer.history if kind(r) == "review")
    assert TASK in review_prompt.messages[-1]["content"]  # the task beside the diff


def test_large_only_puts_the_reviewer_in_every_seat(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    Script().install(relay)
    report = run_json(relay, repo, capsys, "--large-only", "--test-cmd", PYTEST, TASK)
    assert relay.coder.history == []
    assert {e["model"] for e in report["ledger"]} == {REVIEWER}
    assert report["headline"]["small_share"] == 0
    assert f"Relay-Coder: {REVIEWER}" in trailers(repo, report["branch"])


def test_plan_with_large_uses_the_reviewer_for_the_plan(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    Script().install(relay)
    report = run_json(relay, repo, capsys, "--plan-with", "large", "--test-cmd", PYTEST, TASK)
    plan = report["ledger"][0]
    assert (plan["stage"], plan["model"], plan["role"]) == ("plan", REVIEWER, "reviewer")


def test_a_revised_plan_costs_a_correction_that_reaches_the_coder(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    Script(plan_review={"verdict": "revise"}).install(relay)
    report = run_json(relay, repo, capsys, "--test-cmd", PYTEST, TASK)
    kinds = [kind(r) for r in relay.reviewer.history]
    assert kinds == ["plan-review", "plan-correction", "verdict"]
    assert report["plan"]["review"] == "name it slugify"
    code_prompt = next(r for r in relay.coder.history if kind(r) == "code")
    assert "Reviewer: name it slugify" in code_prompt.messages[-1]["content"]


def test_dry_run_commits_nothing_and_removes_the_worktree(
    dirty: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(dirty)
    Script().install(relay)
    report = run_json(relay, dirty, capsys, "--dry-run", TASK)  # it did as asked: exit 0
    assert report["dry_run"] is True and report["commits"] == [] and report["exit_code"] == 0
    assert "+def slugify(text):" in report["diff"]
    assert git(dirty, "branch", "--list", "relay/*") == ""
    assert len(git(dirty, "worktree", "list").splitlines()) == 1
    assert snapshot(dirty) == before


def test_dry_run_text_says_it_was_a_dry_run(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    Script().install(relay)
    assert relay(repo, "-q", "--dry-run", TASK) == 0
    out = capsys.readouterr().out
    assert out.count("Dry run: nothing was committed") == 1
    assert "Outcome: DRY RUN" in out and "(exit 0)" in out and "NOT DONE" not in out


def test_the_same_task_again_is_refused_unless_new(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    """A taken relay/<slug> is refused, as `git worktree add -b` does; --new takes -2."""
    git(repo, "branch", "relay/add-a-slugify-helper-with-tests")
    Script().install(relay)
    assert relay(repo, "-q", "--test-cmd", PYTEST, TASK) == 2
    err = capsys.readouterr().err
    assert "relay/add-a-slugify-helper-with-tests already exists" in err
    assert "--new" in err and "Traceback" not in err
    assert relay.coder.history == []  # refused before any model call
    assert relay(repo, "--json", "-q", "--test-cmd", PYTEST, "--new", TASK) == 0
    said = capsys.readouterr()
    assert json.loads(said.out)["branch"] == "relay/add-a-slugify-helper-with-tests-2"
    assert "relay/add-a-slugify-helper-with-tests exists (an earlier run)" in said.err


def test_no_test_command_is_never_done(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    """Zero evidence is never done (issue 17): without a test command nothing shows the
    change works, and the report says how to give one."""
    Script().install(relay)
    report = run_json(relay, repo, capsys, TASK_NO_TESTS, code=1)
    assert report["tests"]["status"] == "skipped"
    assert "no tests/ folder" in report["tests"]["reason"]
    assert report["outcome"] == "not done" and report["commits"]
    assert any("nothing shows the change works" in r for r in report["reasons"])


def test_unsafe_planned_paths_never_reach_the_disk(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = plan_reply(("../escape.py", ".git/config", "slug.py", "tests/test_slug.py"))
    Script(plan=plan).install(relay)
    report = run_json(relay, repo, capsys, "--test-cmd", PYTEST, TASK)
    assert not (repo.parent / "escape.py").exists()
    assert git(repo, "config", "--get", "core.bare").strip() == "false"
    assert any("unsafe path" in p for p in report["plan_problems"])
    asked = {asked_path(r) for r in relay.coder.history if kind(r) == "code"}
    assert asked == {"slug.py"}


def test_backend_crash_mid_stage_keeps_last_good_commit_then_resume(
    dirty: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(dirty)
    script = Script(files={"slug.py": "def slugify(t):\n    return t\n"}).install(relay)
    calls = {"fix": 0}

    def coder(request: ChatRequest) -> str:
        if kind(request) == "code" and "fail" in request.messages[-1]["content"]:
            calls["fix"] += 1
            raise BackendUnavailable("coder server went away")
        return script.coder(request)

    relay.coder.default = coder
    code = relay(dirty, "-q", "--drafts", "2", "--test-cmd", GREP, TASK_NO_TESTS)
    err = capsys.readouterr().err
    assert code == 3 and "coder server went away" in err and "--resume" in err
    assert snapshot(dirty) == before
    branch = "relay/add-a-slugify-helper"
    assert git(dirty, "log", "-1", "--format=%s", branch).startswith("relay: add a slugify")
    relay.coder.default = Script().coder
    args = ("--resume", "--drafts", "2", "--test-cmd", GREP, TASK_NO_TESTS)
    report = run_json(relay, dirty, capsys, *args)
    assert [c["stage"] for c in report["commits"]] == ["generate", "fix-1"]
    stages = [e["stage"] for e in report["ledger"]]
    assert stages[:2] == ["plan", "plan-review"] and stages[-1] == "review"
    assert "fix-1" in stages and report["outcome"] == "done"
    assert snapshot(dirty) == before


def test_ctrl_c_mid_stage_leaves_the_checkout_alone(
    dirty: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(dirty)
    script = Script().install(relay)

    def coder(request: ChatRequest) -> str:
        if kind(request) == "code":
            raise KeyboardInterrupt
        return script.coder(request)

    relay.coder.default = coder
    assert relay(dirty, "-q", TASK) == 130
    assert snapshot(dirty) == before
    branch = "relay/add-a-slugify-helper-with-tests"
    assert git(dirty, "rev-parse", branch) == git(dirty, "rev-parse", "HEAD")


def test_a_model_server_that_is_down_costs_no_branch(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    def down() -> None:
        raise BackendUnavailable("cannot reach the coder", "start it")

    relay.coder.check = down  # type: ignore[method-assign]
    assert relay(repo, "-q", TASK) == 3
    assert "cannot reach the coder" in capsys.readouterr().err
    assert git(repo, "branch", "--list", "relay/*") == ""
    assert len(git(repo, "worktree", "list").splitlines()) == 1


def test_resume_without_an_interrupted_run_is_a_usage_error(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    assert relay(repo, "-q", "--resume", TASK) == 2
    assert "no interrupted relay run" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        ("empty", (), "no commits yet"),
        ("protected", (), "protected pattern 'relay/*'"),
        ("ok", ("--base", "nope"), "unknown revision 'nope'"),
        ("ok", ("--worktree", "inside"), "inside your working tree"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    tmp_path: Path,
    relay: Relay,
    capsys: pytest.CaptureFixture[str],
    setup: str,
    args: tuple[str, ...],
    message: str,
) -> None:
    root = tmp_path / "r"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    if setup != "empty":
        (root / "f.txt").write_text("x\n")
        git(root, "add", ".")
        git(root, "commit", "-q", "-m", "one")
    if setup == "protected":
        (root / ".relay-git.toml").write_text('protected = ["main", "relay/*"]\n')
    worktree_args = tuple(str(root / a) if a == "inside" else a for a in args)
    assert relay(root, "-q", *worktree_args, TASK) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    if setup != "empty":
        assert git(root, "branch", "--list", "relay/*") == ""


def test_custom_worktree_path(
    repo: Path, tmp_path: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    Script().install(relay)
    where = tmp_path / "elsewhere"
    report = run_json(relay, repo, capsys, "--worktree", str(where), "--test-cmd", PYTEST, TASK)
    assert Path(report["worktree"]) == where.resolve()
    assert (where / "slug.py").is_file()


def test_max_tokens_lowers_every_stage_bound(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    """--max-tokens caps every stage (their own bounds: the full relay test)."""
    Script().install(relay)
    run_json(relay, repo, capsys, "--max-tokens", "80", "--test-cmd", PYTEST, TASK_NO_TESTS)
    capped = {r.max_tokens for r in relay.coder.history + relay.reviewer.history}
    assert max(capped) == 80 and 64 in capped


def test_reviewer_without_valid_replies_leaves_work_unreviewed_and_says_so(
    dirty: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(dirty)
    script = Script().install(relay)
    relay.reviewer.default = lambda r: (
        "rambling, not JSON" if kind(r) != "code" else script.reviewer(r)
    )
    report = run_json(relay, dirty, capsys, "--test-cmd", PYTEST, TASK, code=1)
    assert snapshot(dirty) == before
    assert [c["stage"] for c in report["commits"]] == ["generate"]
    assert report["verdict"] == "unreviewed" and report["outcome"] == "not done"
    problems = " | ".join(report["problems"])
    assert "plan review failed, the plan stands unreviewed" in problems
    assert "diff review failed, the branch is NOT reviewed" in problems
    assert len(relay.reviewer.history) == 6  # plan review 3 tries, verdict 3 tries


def test_tests_a_code_draft_carries_are_drafts_too(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    carried = GOOD_CODE["slug.py"] + "\n\ndef test_slugify():\n    assert slugify('A B') == 'a-b'\n"
    Script(files={"slug.py": carried}, tests="nothing = 1\n").install(relay)
    report = run_json(relay, repo, capsys, "--test-cmd", PYTEST, TASK)
    assert report["outcome"] == "done" and report["support"] == 3  # 3 drafts x 1 test
    test_file = git(repo, "show", f"{report['branch']}:tests/test_slug.py")
    assert "assert slugify('A B') == 'a-b'" in test_file
    assert "def test_" not in git(repo, "show", f"{report['branch']}:slug.py")


CRASHES = "def slugify(text):\n    raise ValueError(text)\n"


@pytest.mark.parametrize(("second", "done"), [(GOOD_CODE["slug.py"], True), (CRASHES, False)])
def test_one_draft_passing_one_test_asks_one_more_batch(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str], second: str, done: bool
) -> None:
    """Batch one: one good draft and two that crash, so one draft passes one test (a single
    witness). Batch two either agrees with it (done, support 4) or not (unconfirmed)."""
    script = Script().install(relay)
    asked = iter([GOOD_CODE["slug.py"], CRASHES, CRASHES, second, second, second])
    relay.coder.default = lambda r: fenced(next(asked)) if kind(r) == "code" else script.coder(r)
    args = ("--drafts", "3", "--test-cmd", PYTEST, TASK)
    report = run_json(relay, repo, capsys, *args, code=0 if done else 1)
    assert sum(1 for r in relay.coder.history if kind(r) == "code") == 6
    assert report["support"] == (4 if done else 1)
    assert (report["outcome"] == "done") is done
    assert any(r.startswith("unconfirmed") for r in report["reasons"]) is not done


LOOPS = "def slugify(text):\n    while True:\n        pass\n"


def test_a_draft_that_loops_costs_the_probe_limit_not_the_test_timeout(
    repo: Path,
    relay: Relay,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The looping draft's scratch test run is cut at PROBE_TIMEOUT (here 8 s, long enough
    for a good draft's run on a loaded CI machine), not at the project's test timeout (here
    120 s): the run's summed test time shows which applied."""
    from relay_git.scaffold.verify import workbench

    monkeypatch.setattr(workbench, "PROBE_TIMEOUT", 8.0)
    monkeypatch.setenv("RELAY_GIT_TEST_TIMEOUT", "120")
    script = Script().install(relay)
    asked = iter([LOOPS, GOOD_CODE["slug.py"], GOOD_CODE["slug.py"]])
    relay.coder.default = lambda r: fenced(next(asked)) if kind(r) == "code" else script.coder(r)
    report = run_json(relay, repo, capsys, "--drafts", "3", "--test-cmd", PYTEST, TASK)
    assert report["outcome"] == "done" and report["support"] == 2
    assert report["tests"]["total_seconds"] < 60


def test_a_test_the_project_already_had_vouches_for_a_single_witness(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    """One draft passing one drafted test is unconfirmed, unless a test the project already
    had calls what the task names (found by git grep over the base commit)."""
    (repo / "tests").mkdir()
    (repo / "tests" / "test_done.py").write_text(
        "from slug import slugify\n\n\ndef test_done():\n    assert slugify('X Y') == 'x-y'\n"
    )
    git(repo, "add", "tests")
    git(repo, "commit", "-q", "-m", "the test that defines done")
    script = Script().install(relay)
    asked = iter([GOOD_CODE["slug.py"], *[CRASHES] * 5])
    relay.coder.default = lambda r: fenced(next(asked)) if kind(r) == "code" else script.coder(r)
    report = run_json(relay, repo, capsys, "--drafts", "3", "--test-cmd", PYTEST, TASK)
    assert report["support"] == 1
    assert report["outcome"] == "done" and report["reasons"] == []
