"""The whole relay driven by scripted fake models on real temporary repositories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import git
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
    snapshot,
)

from relay_git.errors import BackendUnavailable

TASK = "add a slugify() helper with tests"
PASS = "test -f slug.py"


def script_happy(relay: Relay) -> None:
    relay.coder.enqueue(plan_reply(), edits_reply(GOOD_CODE))
    relay.reviewer.enqueue(approve_plan(), review_reply("approve"))


def trailers(cwd: Path, rev: str) -> str:
    return git(cwd, "log", "-1", "--format=%(trailers)", rev)


def test_full_relay_leaves_dirty_checkout_untouched(
    dirty: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(dirty)
    script_happy(relay)
    report = run_json(relay, dirty, capsys, "--test-cmd", PASS, TASK)
    assert snapshot(dirty) == before
    branch = report["branch"]
    assert branch == "relay/add-a-slugify-helper-with-tests"
    wt = Path(report["worktree"])
    assert wt.is_relative_to((dirty / ".git").resolve())
    assert (wt / "slug.py").read_text() == GOOD_CODE["slug.py"]
    assert [c["stage"] for c in report["commits"]] == ["generate"]
    text = trailers(dirty, branch)
    assert f"Relay-Coder: {CODER}" in text
    assert f"Relay-Reviewer: {REVIEWER}" in text
    assert "Relay-Stage: generate" in text
    assert "Relay-Tokens: " in text
    author = git(dirty, "log", "-1", "--format=%an <%ae>", branch)
    assert author == f"relay-git coder ({CODER}) <coder@relay-git.invalid>\n"
    body = git(dirty, "log", "-1", "--format=%B", branch)
    assert "Reviewer: looks right" in body and "tests/test_slug.py" in body
    assert report["tests"]["status"] == "passed"
    assert report["verdict"] == "approve"
    note = git(dirty, "notes", "--ref=relay", "show", branch)
    assert "relay-git review: approve" in note
    stages = [e["stage"] for e in report["ledger"]]
    assert stages == ["plan", "plan-review", "generate", "review"]
    head = report["headline"]
    assert head["small_model"] == CODER and 0 < head["small_share"] < 1
    assert head["large_alone_seconds"] > 0


def test_text_report_and_plain_progress_lines(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    script_happy(relay)
    assert relay(repo, "--test-cmd", PASS, TASK) == 0
    out, err = capsys.readouterr()
    assert "Branch:   relay/add-a-slugify-helper-with-tests" in out
    assert "Small model wrote" in out and "large model alone would need" in out
    assert f"[plan] {CODER} · 0s" in err and f"[plan-review] {REVIEWER}" in err
    assert "[generate]" in err and "[review]" in err


def test_failing_tests_get_fix_rounds_then_escalation(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    relay.coder.enqueue(
        plan_reply(),
        edits_reply({"slug.py": "broken = 1\n"}),
        edits_reply({"slug.py": "broken = 2\n"}, "fix one"),
        edits_reply({"slug.py": "broken = 3\n"}, "fix two"),
    )
    relay.reviewer.enqueue(
        approve_plan(),
        edits_reply({"slug.py": "def slugify(t):\n    return t\n"}, "reviewer fix"),
        review_reply("approve"),
    )
    report = run_json(
        relay,
        repo,
        capsys,
        "--test-cmd",
        "grep -q 'def slugify' slug.py",
        "--max-rounds",
        "2",
        TASK,
    )
    stages = [c["stage"] for c in report["commits"]]
    assert stages == ["generate", "fix-1", "fix-2", "escalate"]
    assert report["tests"]["status"] == "passed"
    assert report["tests"]["rounds"] == 2 and report["tests"]["escalated"] is True
    fix_prompt = relay.coder.history[2].messages[-1]["content"]
    assert "grep -q 'def slugify' slug.py" in fix_prompt and "broken = 1" in fix_prompt
    author = git(repo, "log", "-1", "--format=%an", report["branch"])
    assert author.startswith(f"relay-git reviewer ({REVIEWER})")
    assert "Relay-Stage: escalate" in trailers(repo, report["branch"])


def test_still_failing_after_escalation_is_reported_honestly(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    relay.coder.enqueue(
        plan_reply(), edits_reply({"a.py": "x = 1\n"}), edits_reply({"a.py": "x=2\n"})
    )
    relay.reviewer.enqueue(
        approve_plan(), edits_reply({"a.py": "x = 3\n"}), review_reply("approve")
    )
    report = run_json(relay, repo, capsys, "--test-cmd", "false", "--max-rounds", "1", TASK)
    assert report["tests"]["status"] == "failed"
    assert any("still fail" in p for p in report["problems"])
    assert [c["stage"] for c in report["commits"]] == ["generate", "fix-1", "escalate"]


def test_review_fix_applies_suggestions_as_reviewer_and_notes_the_rest(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    relay.coder.enqueue(
        plan_reply(),
        edits_reply({"slug.py": "def slugify(text):\n    return text\n", "tests/t.py": "x\n"}),
    )
    findings = [
        {
            "path": "slug.py",
            "line": 2,
            "end_line": 2,
            "severity": "error",
            "category": "bug",
            "message": "does not slugify",
            "suggestion": "    return '-'.join(text.lower().split())",
        },
        {
            "path": "tests/t.py",
            "line": 1,
            "severity": "warning",
            "category": "tests",
            "message": "not a real test",
        },
    ]
    relay.reviewer.enqueue(approve_plan(), review_reply("fix", findings))
    report = run_json(relay, repo, capsys, "--test-cmd", PASS, TASK)
    assert [c["stage"] for c in report["commits"]] == ["generate", "review-fix"]
    branch = report["branch"]
    assert "join(text.lower()" in git(repo, "show", f"{branch}:slug.py")
    assert git(repo, "log", "-1", "--format=%ae", branch) == "reviewer@relay-git.invalid\n"
    note = git(repo, "notes", "--ref=relay", "show", branch)
    assert "not a real test" in note and "Applied by the reviewer" in note
    assert report["verdict"] == "fix" and "not a real test" in report["notes"]


def test_large_only_puts_the_reviewer_in_every_seat(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    relay.reviewer.enqueue(
        plan_reply(), approve_plan(), edits_reply(GOOD_CODE), review_reply("approve")
    )
    report = run_json(relay, repo, capsys, "--large-only", "--test-cmd", PASS, TASK)
    assert relay.coder.history == []
    assert {e["model"] for e in report["ledger"]} == {REVIEWER}
    assert report["headline"]["small_share"] == 0
    assert f"Relay-Coder: {REVIEWER}" in trailers(repo, report["branch"])


def test_plan_with_large_uses_the_reviewer_for_the_plan(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    relay.coder.enqueue(edits_reply(GOOD_CODE))
    relay.reviewer.enqueue(plan_reply(), approve_plan(), review_reply())
    report = run_json(relay, repo, capsys, "--plan-with", "large", "--test-cmd", PASS, TASK)
    plan = report["ledger"][0]
    assert (plan["stage"], plan["model"], plan["role"]) == ("plan", REVIEWER, "reviewer")


def test_dry_run_commits_nothing_and_removes_the_worktree(
    dirty: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(dirty)
    relay.coder.enqueue(plan_reply(), edits_reply(GOOD_CODE))
    relay.reviewer.enqueue(approve_plan())
    report = run_json(relay, dirty, capsys, "--dry-run", TASK)
    assert report["dry_run"] is True and report["commits"] == []
    assert "+def slugify(text):" in report["diff"]
    assert git(dirty, "branch", "--list", "relay/*") == ""
    assert len(git(dirty, "worktree", "list").splitlines()) == 1
    assert snapshot(dirty) == before


def test_existing_branch_gets_a_suffix(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    git(repo, "branch", "relay/add-a-slugify-helper-with-tests")
    script_happy(relay)
    report = run_json(relay, repo, capsys, "--test-cmd", PASS, TASK)
    assert report["branch"] == "relay/add-a-slugify-helper-with-tests-2"


def test_no_tests_found_is_skipped_and_said(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    relay.coder.enqueue(plan_reply(("notes.txt",)), edits_reply({"notes.txt": "hi\n"}))
    relay.reviewer.enqueue(approve_plan(), review_reply())
    report = run_json(relay, repo, capsys, TASK)
    assert report["tests"]["status"] == "skipped"
    assert "no tests/ folder" in report["tests"]["reason"]


def test_non_applying_edits_go_back_with_the_reason(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = {"edits": [{"path": "README.md", "action": "replace", "search": "nope", "content": "x"}]}
    unsafe = edits_reply({"../escape.py": "x\n"})
    relay.coder.enqueue(plan_reply(), bad, unsafe, edits_reply(GOOD_CODE))
    relay.reviewer.enqueue(approve_plan(), review_reply())
    run_json(relay, repo, capsys, "--test-cmd", PASS, TASK)
    second = relay.coder.history[2].messages[-1]["content"]
    assert "search text not found in README.md" in second
    third = relay.coder.history[3].messages[-1]["content"]
    assert "'..' leaves the worktree" in third
    assert not (repo.parent / "escape.py").exists()


def test_backend_crash_mid_stage_keeps_last_good_commit_then_resume(
    dirty: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(dirty)
    relay.coder.enqueue(
        plan_reply(),
        edits_reply({"slug.py": "x = 1\n"}),
        BackendUnavailable("coder server went away"),
    )
    relay.reviewer.enqueue(approve_plan())
    code = relay(dirty, "-q", "--test-cmd", "grep -q def slug.py", TASK)
    err = capsys.readouterr().err
    assert code == 3 and "coder server went away" in err and "--resume" in err
    assert snapshot(dirty) == before
    branch = "relay/add-a-slugify-helper-with-tests"
    assert git(dirty, "log", "-1", "--format=%s", branch).startswith("relay: add a slugify")
    relay.coder.enqueue(edits_reply(GOOD_CODE))
    relay.reviewer.enqueue(review_reply())
    report = run_json(relay, dirty, capsys, "--resume", "--test-cmd", "grep -q def slug.py", TASK)
    assert [c["stage"] for c in report["commits"]] == ["generate", "fix-1"]
    stages = [e["stage"] for e in report["ledger"]]
    assert stages == ["plan", "plan-review", "generate", "fix-1", "review"]
    assert snapshot(dirty) == before


def test_ctrl_c_mid_stage_leaves_the_checkout_alone(
    dirty: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(dirty)

    def interrupt(_request: object) -> str:
        raise KeyboardInterrupt

    relay.coder.enqueue(plan_reply(), interrupt)
    relay.reviewer.enqueue(approve_plan())
    assert relay(dirty, "-q", TASK) == 130
    assert snapshot(dirty) == before
    branch = "relay/add-a-slugify-helper-with-tests"
    assert git(dirty, "rev-parse", branch) == git(dirty, "rev-parse", "HEAD")


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


@pytest.mark.parametrize(
    "hook", ["pre-commit", "commit-msg", "post-commit", "post-checkout", "post-rewrite"]
)
def test_relay_git_runs_no_hook(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str], hook: str
) -> None:
    """Relay commits, notes and the worktree checkout run none of the repository's hooks."""
    ran = repo.parent / f"{hook}-ran"
    script = repo / ".git" / "hooks" / hook
    script.write_text(f"#!/bin/sh\ntouch '{ran}'\n")
    script.chmod(0o755)
    script_happy(relay)
    report = run_json(relay, repo, capsys, "--test-cmd", PASS, TASK)
    assert [c["stage"] for c in report["commits"]] == ["generate"]
    assert not ran.exists()
    git(repo, "commit", "-q", "--allow-empty", "-m", "the user's own commit")
    assert ran.exists() == (hook in ("pre-commit", "commit-msg", "post-commit"))  # hooks work


def test_custom_worktree_path(
    repo: Path, tmp_path: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    script_happy(relay)
    where = tmp_path / "elsewhere"
    report = run_json(relay, repo, capsys, "--worktree", str(where), "--test-cmd", PASS, TASK)
    assert Path(report["worktree"]) == where.resolve()
    assert (where / "slug.py").is_file()
    assert json.loads(json.dumps(report))["branch"].startswith("relay/")


def test_every_stage_bounds_its_output_and_max_tokens_lowers_it(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    script_happy(relay)
    run_json(relay, repo, capsys, "--test-cmd", PASS, TASK)
    bounds = [r.max_tokens for r in relay.coder.history + relay.reviewer.history]
    assert bounds == [512, 1536, 768, 768]  # plan, generate, plan-review, review
    fresh = Relay()
    script_happy(fresh)
    run_json(fresh, repo, capsys, "--max-tokens", "600", "--test-cmd", PASS, "another task")
    capped = [r.max_tokens for r in fresh.coder.history + fresh.reviewer.history]
    assert capped == [512, 600, 600, 600]


def test_fix_round_whose_edits_never_apply_is_a_problem_not_a_crash(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    unsafe = edits_reply({".git/config": "x\n"})
    relay.coder.enqueue(plan_reply(), edits_reply({"a.py": "x = 1\n"}), unsafe, unsafe, unsafe)
    relay.reviewer.enqueue(approve_plan(), edits_reply({"a.py": "ok\n"}), review_reply())
    report = run_json(
        relay, repo, capsys, "--test-cmd", "grep -q ok a.py", "--max-rounds", "1", TASK
    )
    assert report["problems"][0].startswith("fix-1: the edits never applied (refused edit")
    assert [c["stage"] for c in report["commits"]] == ["generate", "escalate"]
    assert report["tests"]["status"] == "passed"
    assert git(repo, "config", "--get", "core.bare").strip() == "false"


def test_reviewer_without_valid_replies_leaves_work_unreviewed_and_says_so(
    dirty: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(dirty)
    relay.coder.enqueue(plan_reply(), edits_reply(GOOD_CODE))
    relay.reviewer.enqueue(*["rambling, not JSON"] * 6)  # plan review 3 tries, review 3 tries
    report = run_json(relay, dirty, capsys, "--test-cmd", PASS, TASK)
    assert snapshot(dirty) == before
    assert [c["stage"] for c in report["commits"]] == ["generate"]
    assert report["verdict"] == "unreviewed"
    problems = " | ".join(report["problems"])
    assert "plan review failed, the coder's plan stands unreviewed" in problems
    assert "diff review failed, the branch is NOT reviewed" in problems
    assert len(relay.reviewer.history) == 6
