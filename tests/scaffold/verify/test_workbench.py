"""The workbench keeps a test run's result for its tree: the same files and command are not
run twice in one relay, and nothing is reused across different trees.

Real git worktrees of the hermetic ``repo`` fixture and the real sandbox (bubblewrap, or
``unshare``); each command prints the nanosecond clock, so a rerun shows in its output.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from relay_git.git import worktree as wtmod
from relay_git.git.repo import Repository
from relay_git.safety.sandbox import Kind
from relay_git.scaffold.verify.testrun import Status
from relay_git.scaffold.verify.workbench import Workbench, tree_key

pytestmark = pytest.mark.slow  # real sandboxed test runs

CLOCK = "date +%s%N"


def bench(repo: Path, sandbox: Kind = Kind.AUTO, timeout: float = 60.0) -> Workbench:
    wt = wtmod.create(Repository.discover(repo), "relay/bench-test", "HEAD", None)
    return Workbench(wt, dict(os.environ), sandbox, timeout)


def test_the_same_tree_and_command_run_once(repo: Path) -> None:
    wb = bench(repo)
    first = wb.run(CLOCK)
    assert first.status is Status.PASSED and wb.run(CLOCK) == first
    assert wb.run(f"{CLOCK}; true").output != first.output  # another command runs
    wb.write({"new.py": "x = 1\n"})
    other = wb.run(CLOCK)
    assert other.output != first.output  # another tree runs
    wb.reset()
    assert wb.run(CLOCK) == first  # the first tree again
    wb.write({"new.py": "x = 2\n"})  # same size, same path: other bytes
    assert wb.run(CLOCK).output not in (first.output, other.output)


def test_the_tree_key_sees_ignored_files_modes_and_links(repo: Path) -> None:
    wb = bench(repo)
    (wb.wt.path / ".gitignore").write_text("*.log\n")
    keys = {tree_key(wb.wt)}
    (wb.wt.path / "run.log").write_text("ignored\n")
    keys.add(tree_key(wb.wt))
    (wb.wt.path / "run.log").chmod(0o755)
    keys.add(tree_key(wb.wt))
    (wb.wt.path / "link").symlink_to("run.log")
    keys.add(tree_key(wb.wt))
    (wb.wt.path / "link").unlink()
    (wb.wt.path / "link").symlink_to(".gitignore")
    keys.add(tree_key(wb.wt))
    assert len(keys) == 5
    (wb.wt.path / "link").unlink()
    (wb.wt.path / "run.log").chmod(0o644)
    assert tree_key(wb.wt) in keys  # back to an earlier tree: its key


def test_a_run_that_changes_the_tree_is_not_kept(repo: Path) -> None:
    wb = bench(repo)
    command = f"{CLOCK} | tee -a out.txt"
    first = wb.run(command)
    assert wb.run(command).output != first.output and not wb.results


@pytest.mark.parametrize("sandbox", [Kind.NONE, Kind.AUTO])
def test_unsandboxed_runs_and_timeouts_are_never_kept(repo: Path, sandbox: Kind) -> None:
    wb = bench(repo, sandbox, timeout=0.5)
    command = f"{CLOCK}; sleep 5" if sandbox is Kind.AUTO else CLOCK
    first = wb.run(command)
    assert first.status is (Status.TIMEOUT if sandbox is Kind.AUTO else Status.PASSED)
    assert not wb.results and wb.run(command).output != first.output
