"""Interrupted scaffold runs lose nothing (issue 7, point 4).

``relay-git scaffold`` runs as a real subprocess against :mod:`relayserver` (a loopback
OpenAI-compatible server that can hold a stage's request), so each test knows which
stage boundary the process stands on when it gets SIGINT or SIGKILL -- delivered to its
whole process group, as a terminal's Ctrl-C or a closed session would. The (sandboxed)
test command and ``git commit`` (through a ``git`` shim first on PATH: relay commits run
no hooks) can also be held, to interrupt mid-test and mid-commit.
Afterwards the user's checkout must be byte-for-byte unchanged, the relay branch at a
consistent commit, ``--resume`` must finish the run and ``relay-git clean`` tidy up.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import git
from tests.hardening.relayserver import RelayServer, relay_server
from tests.scaffold.support import (
    GOOD_CODE,
    approve_plan,
    fenced,
    make_dirty,
    plan_reply,
    review_reply,
    snapshot,
    verdict_reply,
)

pytestmark = pytest.mark.slow  # every test runs relay-git as a subprocess, most a whole scaffold
SRC = str(Path(__file__).resolve().parents[2] / "src")
TASK = "add a slugify helper"
REPLIES = {
    "plan": plan_reply,
    "plan-review": approve_plan,
    "code": lambda: fenced(GOOD_CODE["slug.py"]),
    "verdict": verdict_reply,
    "review": review_reply,  # `relay-git review`'s findings
}
WORKTREE = Path(".git/relay-git/worktrees/add-a-slugify-helper")


def hold_loop(hold: Path, arrived: Path) -> str:
    """Shell: when ``hold`` exists, create ``arrived`` and wait while ``hold`` stays."""
    return (
        f'if [ -e "{hold}" ]; then : > "{arrived}"; i=0; '
        f'while [ -e "{hold}" ] && [ $i -lt 300 ]; do sleep 0.05; i=$((i+1)); done; fi\n'
    )


def default_sigint() -> None:
    """Run in the child before exec: a suite started from a background job (``pytest &``)
    inherits SIGINT as ignored, an ignored signal stays ignored across exec, and Python then
    installs no KeyboardInterrupt handler; give the relay what a terminal's would have."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@dataclass
class World:
    repo: Path
    tmp: Path
    server: RelayServer
    env: dict[str, str]

    @property
    def tests_sh(self) -> Path:
        return self.repo / ".git" / "info" / "tests.sh"

    def flag(self, name: str) -> Path:
        """The sandboxed tests see of the repository's .git only what git reads (its info/
        among them) and write only their worktree."""
        if name == "hold-tests":
            return self.repo / ".git" / "info" / "hold-tests"
        if name == "in-tests":
            return self.repo / WORKTREE / ".in-tests"
        return self.tmp / name

    def start(self, *args: str, task: str = TASK) -> subprocess.Popen[str]:
        argv = [sys.executable, "-m", "relay_git", "scaffold", "--coder", "openai:small"]
        argv += ["--reviewer", "openai:large", "--test-cmd", f"sh {self.tests_sh}"]
        return subprocess.Popen(
            [*argv, "-q", *args, task],
            cwd=self.repo,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            preexec_fn=default_sigint,
        )

    def relay_git(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "relay_git", *args],
            cwd=self.repo,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def checkout(self) -> dict[str, Any]:
        """The user's checkout: files, status, index, stash, HEAD -- and their raw bytes."""
        state = snapshot(self.repo)
        dot = self.repo / ".git"
        for name in ("index", "HEAD", "config", "logs/refs/stash", "refs/stash"):
            path = dot / name
            state[f"raw:{name}"] = path.read_bytes() if path.exists() else None
        state["hooks"] = sorted(p.name for p in (dot / "hooks").iterdir())
        return state


@pytest.fixture
def world(repo: Path, tmp_path: Path) -> Iterator[World]:
    make_dirty(repo)
    (repo / ".git" / "info" / "tests.sh").write_text(
        # fails on the base tree, passes with the change: evidence that it works
        hold_loop(repo / ".git" / "info" / "hold-tests", Path(".in-tests"))
        + "grep -q lower slug.py\n"
    )
    shims = tmp_path / "shims"
    shims.mkdir()
    (shims / "git").write_text(
        "#!/bin/sh\n"
        'for arg in "$@"; do [ "$arg" = commit ] && { '
        + hold_loop(tmp_path / "hold-commit", tmp_path / "in-commit").strip()
        + f' ; }}; done\nexec {shutil.which("git")} "$@"\n'
    )
    (shims / "git").chmod(0o755)
    settle(repo)
    with relay_server(REPLIES) as server:
        env = dict(os.environ)
        env.update(
            RELAY_GIT_OPENAI_BASE_URL=server.url,
            PYTHONPATH=SRC + os.pathsep + env.get("PYTHONPATH", ""),
            PATH=f"{shims}{os.pathsep}{env['PATH']}",
        )
        world = World(repo, tmp_path, server, env)
        yield world
        for name in ("hold-tests", "hold-commit"):
            world.flag(name).unlink(missing_ok=True)  # lets any orphaned holder finish


def settle(repo: Path) -> None:
    """Back-date the files and refresh the index once, so reading status never rewrites it."""
    past = time.time() - 3600
    for path in repo.rglob("*"):
        if ".git" not in path.relative_to(repo).parts:
            os.utime(path, (past, past), follow_symlinks=False)
    git(repo, "update-index", "-q", "--refresh")
    git(repo, "status", "--porcelain")


def wait_file(path: Path, proc: subprocess.Popen[str], timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < end, f"{path.name} never appeared"
        time.sleep(0.02)


def arrive(world: World, boundary: str) -> subprocess.Popen[str]:
    """Start a relay and return once it stands on ``boundary``."""
    if boundary in ("tests", "commit"):
        world.flag(f"hold-{boundary}").touch()
    else:
        world.server.hold(boundary)
    proc = world.start()
    if boundary in ("tests", "commit"):
        wait_file(world.flag(f"in-{boundary}"), proc)
    else:
        assert world.server.wait_for(boundary), proc.communicate()
        time.sleep(0.05)  # the request is in; the process is blocked reading the reply
    return proc


def interrupt(world: World, proc: subprocess.Popen[str], sig: int) -> tuple[int, str]:
    os.killpg(proc.pid, sig)
    try:
        _, err = proc.communicate(timeout=30)
    finally:
        world.server.release()
        for name in ("hold-tests", "hold-commit"):
            world.flag(name).unlink(missing_ok=True)
    return proc.returncode, err


def relay_commits_consistent(repo: Path) -> list[str]:
    """Every relay branch points at its base or at a complete relay commit."""
    git(repo, "fsck", "--connectivity-only", "--no-progress")
    branches = git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/relay/").split()
    base = git(repo, "rev-parse", "main").strip()
    for branch in branches:
        tip = git(repo, "rev-parse", branch).strip()
        if tip != base:
            message = git(repo, "log", "-1", "--format=%B", tip)
            assert "Relay-Stage:" in message and "Relay-Tokens:" in message, message
    return branches


BOUNDARIES = ["plan", "plan-review", "code", "commit", "tests", "verdict"]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_interrupt_at_a_stage_boundary_loses_nothing(world: World, boundary: str, sig: int) -> None:
    before = world.checkout()
    proc = arrive(world, boundary)
    code, err = interrupt(world, proc, sig)
    if sig == signal.SIGINT:
        assert code == 130, err
        assert "interrupted" in err and "Traceback" not in err
        worktree = (world.repo / WORKTREE).resolve()
        assert (
            f"relay/add-a-slugify-helper stays at its last good commit (worktree {worktree})" in err
        )
        assert "continue: relay-git scaffold --coder openai:small --reviewer openai:large" in err
        assert f"--resume '{TASK}'" in err and "relay-git clean" in err
    else:
        assert code == -signal.SIGKILL
    assert world.checkout() == before
    assert relay_commits_consistent(world.repo) == ["relay/add-a-slugify-helper"]

    resumed = world.relay_git(
        "scaffold", "--coder", "openai:small", "--reviewer", "openai:large",
        "--test-cmd", f"sh {world.tests_sh}", "-q", "--resume", TASK,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    log = git(world.repo, "log", "--format=%s", "main..relay/add-a-slugify-helper")
    assert "relay: add a slugify helper" in log
    tree = git(world.repo, "ls-tree", "-r", "--name-only", "relay/add-a-slugify-helper")
    assert "slug.py" in tree.split()
    assert world.checkout() == before

    cleaned = world.relay_git("clean", "--branches", "--force")  # the branch is unmerged
    assert cleaned.returncode == 0, cleaned.stderr
    assert relay_commits_consistent(world.repo) == []
    assert git(world.repo, "worktree", "list", "--porcelain").count("worktree ") == 1
    assert world.checkout() == before


def test_two_runs_of_the_same_task_at_once(world: World) -> None:
    before = world.checkout()
    world.server.hold("plan")
    procs = [world.start(), world.start()]
    assert world.server.wait_for("plan")
    time.sleep(0.5)
    world.server.release()
    results = [(p.wait(timeout=60), p.communicate()[1]) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes in ([0, 0], [0, 2]), results
    for code, err in results:
        if code == 2:
            lines = [ln for ln in err.splitlines() if ln.startswith("relay-git: error:")]
            assert len(lines) == 1, err
    branches = relay_commits_consistent(world.repo)
    assert len(branches) == codes.count(0)
    for branch in branches:
        tree = git(world.repo, "ls-tree", "-r", "--name-only", branch).split()
        assert "slug.py" in tree  # no test file: a shell test command cannot judge drafts
    assert world.checkout() == before


def test_a_second_resume_waits_its_turn_and_touches_nothing(world: World) -> None:
    before = world.checkout()
    code, _ = interrupt(world, arrive(world, "code"), signal.SIGKILL)
    assert code == -signal.SIGKILL
    world.server.hold("code")
    first = world.start("--resume")
    assert world.server.wait_for("code", times=2)
    worktree = next(
        Path(line.split(" ", 1)[1])
        for line in git(world.repo, "worktree", "list", "--porcelain").splitlines()
        if line.startswith("worktree ") and "relay" in line
    )
    (worktree / "work-in-progress.txt").write_text("the first run's uncommitted work\n")
    state = worktree_state(world.repo, worktree)
    second = world.start("--resume")
    _, err = second.communicate(timeout=60)
    assert second.returncode == 2, err
    assert "another relay-git run" in err
    assert (worktree / "work-in-progress.txt").exists()  # not reset under the first run
    assert worktree_state(world.repo, worktree) == state  # nor its saved state replaced
    world.server.release()
    _, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert world.checkout() == before


def worktree_state(repo: Path, worktree: Path) -> bytes:
    git_dir = Path(git(worktree, "rev-parse", "--absolute-git-dir").strip())
    return (git_dir / "relay-state.json").read_bytes()


def test_clean_leaves_a_live_run_alone(world: World) -> None:
    world.server.hold("plan")
    proc = world.start()
    assert world.server.wait_for("plan")
    cleaned = world.relay_git("clean", "--branches")
    assert cleaned.returncode == 0
    assert "still working there" in cleaned.stdout
    assert relay_commits_consistent(world.repo) == ["relay/add-a-slugify-helper"]
    world.server.release()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err


RACER = """
import sys, time
from pathlib import Path
from relay_git.git import runstate
from relay_git.errors import UsageError
go = Path(sys.argv[2])
while not go.exists():
    pass  # spin: every racer leaves the line within microseconds of the others
try:
    with runstate.locked(Path(sys.argv[1])):
        print("got", flush=True)
        time.sleep(0.5)
except UsageError:
    print("refused", flush=True)
"""


def test_the_lock_admits_one_of_many_racing_runs(world: World) -> None:
    git(world.repo, "worktree", "add", "-q", "-b", "relay/race", str(world.tmp / "race"))
    go = world.tmp / "go"
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(world.tmp / "race"), str(go)],
            env=world.env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    time.sleep(1.0)  # all of them are spinning on the start signal
    go.touch()
    said = [p.communicate(timeout=30)[0].strip() for p in racers]
    assert sorted(said) == ["got"] + ["refused"] * 7, said


@pytest.mark.parametrize("jobs", ["1", "4"])
def test_ctrl_c_during_a_review_exits_at_once(world: World, jobs: str) -> None:
    """The review's model calls run in worker threads; Ctrl-C must not wait for them."""
    (world.repo / "app.py").write_text("def f():\n    return 1\n")
    git(world.repo, "add", "app.py")
    world.server.hold("review")
    argv = [sys.executable, "-m", "relay_git", "review", "--reviewer", "openai:large"]
    proc = subprocess.Popen(
        [*argv, "--jobs", jobs, "--no-cache"],
        cwd=world.repo,
        env=world.env,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=default_sigint,
    )
    assert world.server.wait_for("review")
    time.sleep(0.2)
    started = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=10)
    finally:
        world.server.release()
    assert proc.returncode == 130 and "interrupted" in err
    assert time.monotonic() - started < 5


def test_resume_after_a_kill_that_left_git_index_lock(world: World) -> None:
    """SIGKILL inside `git add`/`git commit` leaves the worktree's index.lock behind."""
    before = world.checkout()
    code, _ = interrupt(world, arrive(world, "code"), signal.SIGKILL)
    assert code == -signal.SIGKILL
    worktree = world.repo / ".git" / "relay-git" / "worktrees" / "add-a-slugify-helper"
    git_dir = Path(git(worktree, "rev-parse", "--absolute-git-dir").strip())
    (git_dir / "index.lock").write_bytes(b"")
    resumed = world.start("--resume")
    _, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, err
    assert "slug.py" in git(
        world.repo, "ls-tree", "-r", "--name-only", "relay/add-a-slugify-helper"
    )
    assert world.checkout() == before
