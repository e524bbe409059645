"""``relay-git clean`` after a relay, and the project's test runner, on real repositories."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from tests.conftest import git
from tests.scaffold.support import PYTEST, Relay, Script

from relay_git.cli import main
from relay_git.scaffold.verify.testrun import detect, run, trusted_source
from relay_git.scaffold.verify.workbench import _python, pytest_runner


def clean(repo: Path, *args: str) -> int:
    old = Path.cwd()
    os.chdir(repo)
    try:
        return main(["clean", *args])
    finally:
        os.chdir(old)


def test_clean_removes_relay_worktrees_and_only_relay_branches(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    git(repo, "branch", "feature")
    Script().install(relay)
    assert relay(repo, "-q", "--test-cmd", PYTEST, "add a slugify() helper") == 0
    capsys.readouterr()
    assert clean(repo) == 0
    out = capsys.readouterr().out
    assert "removed finished worktree" in out
    assert len(git(repo, "worktree", "list").splitlines()) == 1
    assert git(repo, "branch", "--list", "relay/*").strip() == "relay/add-a-slugify-helper"
    assert clean(repo, "--branches") == 0  # tested, approved, unmerged work: kept
    assert "kept branch relay/add-a-slugify-helper: not merged" in capsys.readouterr().out
    assert clean(repo, "--branches", "--force") == 0
    assert git(repo, "branch", "--list", "relay/*") == ""
    assert "feature" in git(repo, "branch", "--list", "feature")


def test_detect_test_command(tmp_path: Path) -> None:
    assert detect(tmp_path, "make test", "x") == ("make test", "--test-cmd", False)
    assert detect(tmp_path, None, "tox", trusted=True)[0] == "tox"
    assert detect(tmp_path, None, None, trusted=True)[0] is None
    (tmp_path / "test_a.py").write_text("")
    cmd = detect(tmp_path, None, None, trusted=True)[0]
    assert cmd is not None and cmd.endswith("-m pytest -q")


@pytest.mark.parametrize(
    ("command", "runner"),
    [
        ("pytest -q", "pytest"),
        ("/venv/bin/python3 -m pytest -x tests", "/venv/bin/python3 -m pytest"),
        ("PYTHONPATH=src pytest", "PYTHONPATH=src pytest"),
        ("A=1 'B=two words' python -m pytest -q", "A=1 'B=two words' python -m pytest"),
        ("make test", None),
        ("A=1", None),
        ("python -m unittest", None),
        ("pytest 'unclosed", None),
        (None, None),
    ],
)
def test_pytest_runner_keeps_the_variables_the_command_sets(
    command: str | None, runner: str | None
) -> None:
    """The drafted tests are run one by one with the project's pytest, as its command starts
    it: ``PYTHONPATH=src pytest`` is still pytest, with its PYTHONPATH."""
    assert pytest_runner(command) == runner


@pytest.mark.parametrize(
    ("command", "python"),
    [
        ("pytest -q", "python"),
        ("PYTHONPATH=src pytest", "PYTHONPATH=src python"),
        ("A=1 '/my venv/bin/python' -m pytest -x", "A=1 '/my venv/bin/python'"),
    ],
)
def test_the_values_probe_runs_the_python_the_test_command_runs(command: str, python: str) -> None:
    runner = pytest_runner(command)
    assert runner is not None and _python(runner) == python


@pytest.mark.parametrize(
    ("configured", "origin", "shown"),
    [("tox -q", "test_command in configuration", "'tox -q'"), (None, "auto-detected", "pytest")],
)
def test_an_unconfirmed_test_command_is_not_run(
    tmp_path: Path, configured: str | None, origin: str, shown: str
) -> None:
    """A command the user did not give runs only once confirmed (issue 11, item 3)."""
    (tmp_path / "tests").mkdir()
    command, reason, needs_confirmation = detect(tmp_path, None, configured)
    assert command is None and needs_confirmation
    assert origin in reason and "needs your confirmation" in reason
    assert "rerun with --test-cmd " in reason and shown in reason.split("--test-cmd ")[1]


def test_the_users_environment_is_a_trusted_source(tmp_path: Path) -> None:
    env = {"RELAY_GIT_TEST_COMMAND": "tox -q"}
    assert trusted_source(tmp_path, env, "tox -q")
    assert not trusted_source(tmp_path, env, "rm -rf ~")  # came from a repository file
    assert not trusted_source(tmp_path, {}, "tox -q")


def test_test_run_is_confined_to_cwd_and_killed_on_timeout(tmp_path: Path) -> None:
    outcome = run("pwd; exit 3", tmp_path, 10, dict(os.environ))
    assert outcome.status == "failed" and outcome.exit_code == 3
    assert str(tmp_path) in outcome.output
    marker = tmp_path / "child-survived"
    start = time.monotonic()
    slow = run(f"(sleep 2; touch {marker}) & sleep 30", tmp_path, 0.5, dict(os.environ))
    assert slow.status == "timeout" and time.monotonic() - start < 5
    time.sleep(2.5)
    assert not marker.exists()  # the whole process group was killed


def test_test_output_is_trimmed_to_the_tail(tmp_path: Path) -> None:
    outcome = run("seq 1 20000", tmp_path, 10, dict(os.environ))
    assert outcome.status == "passed"
    assert len(outcome.output) < 4100 and outcome.output.rstrip().endswith("20000")
