"""Hermetic test environment: temp HOME/XDG, fixed git identity and dates, no system config."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from relay_git.safety.sandbox import Kind

GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Test User",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test User",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00+00:00",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00+00:00",
    "GIT_EDITOR": "false",
    "GIT_TERMINAL_PROMPT": "0",
}
# Variables that would point relay-git or a backend somewhere outside the test.
CLEARED = (
    "OLLAMA_HOST",
    "OPENAI_BASE_URL",
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "GITHUB_TOKEN",
    "GITHUB_ACTIONS",
    "GITHUB_EVENT_PATH",
    "GITHUB_STEP_SUMMARY",
    "SKIP",
)
# Under pytest-xdist other workers share the cores: llama.cpp then runs one thread, as two
# threads beside a busy core took 13.0 s for a reply that one thread wrote in 5.4 s
# (`python -m bench.llama_threads`; idle, two threads: 4.4 s).
SHARED_CORES = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1


@pytest.fixture(autouse=True)
def hermetic(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))  # the run history
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    for key in CLEARED:
        monkeypatch.delenv(key, raising=False)
    for key in list(os.environ):
        if key.startswith("RELAY_GIT_"):
            monkeypatch.delenv(key)
    if SHARED_CORES:
        monkeypatch.setenv("RELAY_GIT_LLAMACPP_THREADS", "1")
    # A pytest the tests start outside the sandbox (the bench checker's, a toy project's)
    # loads none of this virtualenv's plugins: each run starts in 0.25 s instead of 0.6 s.
    # The sandbox passes no such variable: scaffold's own runs say it in their command.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    # A pytest the tests start deletes old numbered folders of $TMPDIR/pytest-of-USER as it
    # exits: in /tmp those are earlier suites' virtualenvs (a gigabyte each), and deleting
    # them took a toy run in the suite from 0.9 s to 35 s. Each test gets a TMPDIR of its own.
    monkeypatch.setenv("TMPDIR", str(tmp_path_factory.mktemp("tmp")))
    (home / ".gitconfig").write_text(
        "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n"
    )


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` and return stdout; raises on failure."""
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Path]:
    """A fresh repository with one commit on main."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "README.md").write_text("hello\n")
    git(root, "add", "README.md")
    git(root, "commit", "-q", "-m", "initial")
    yield root


@pytest.fixture
def staged(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``repo`` as the working directory, with a staged app.py whose add() subtracts."""
    monkeypatch.chdir(repo)
    (repo / "app.py").write_text("def add(a, b):\n    return a - b\n")
    git(repo, "add", "app.py")
    return repo


# The fast loop is `pytest -m "not slow"`. A test is slow (over about a second) when it lives
# in one of these folders, uses one of these fixtures (a real model, a pip-built virtualenv, a
# real llama.cpp server), runs in a real sandbox (a Kind parameter), or is marked slow itself.
SLOW_DIRS = frozenset({"realmodel", "capable"})
SLOW_FIXTURES = frozenset(
    {
        *("smollm2_gguf", "gemma_gguf", "llama_server", "local_models"),  # real models
        *("hook_repo", "pre_commit_home"),  # pre-commit builds a virtualenv with pip
        "relay",  # a whole scripted scaffold run, its tests run in the sandbox
        "hooked",  # git runs the installed hook, a relay-git subprocess
    }
)
SANDBOXES = frozenset({Kind.BWRAP, Kind.UNSHARE})
# Slow tests in files other work moves now, by function name (it survives a move).
SLOW_TESTS = frozenset(
    {
        "test_action_installs_from_its_own_files_and_reviews",  # pip installs the action
        "test_test_run_is_confined_to_cwd_and_killed_on_timeout",  # waits out its child
        "test_a_keep_alive_stream_that_never_ends_stops_at_its_deadline",  # waits its deadline
    }
)


def _is_slow(item: pytest.Item, folders: tuple[str, ...]) -> bool:
    params = getattr(getattr(item, "callspec", None), "params", {})
    return bool(
        SLOW_DIRS.intersection(folders)
        or SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        or any(isinstance(v, Kind) and v in SANDBOXES for v in params.values())
        or getattr(item, "originalname", item.name) in SLOW_TESTS
        or item.get_closest_marker("realmodel") is not None
    )


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: ``-n auto`` asks it
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """One worker more than cores: a third of the suite's time waits on child processes,
    sockets and timeouts, so with only one worker a core the cores sit idle meanwhile.
    The cores this process may use where the system says (Linux), else all of them."""
    usable = getattr(os, "sched_getaffinity", None)  # absent on macOS
    return (len(usable(0)) if usable else os.cpu_count() or 1) + 1


# Whole relays on the real models, a minute or more each: they start first, one a worker.
LONGEST = (
    "test_bench_runs_one_task_on_the_real_models",
    "test_readme_first_command_ends_with_a_tested_relay_branch",
)


def _start_order(item: pytest.Item) -> int:
    """The longest runs, the other real-model tests, the other slow tests, then the rest.

    Under xdist each worker holds up to three tests at a time and takes the next as one
    ends: the longest runs start at once on different workers, the short tests fill the
    gaps, and no long run ends the suite alone or waits behind another one.
    """
    if getattr(item, "originalname", item.name) in LONGEST:
        return 0
    if item.get_closest_marker("realmodel") is not None:
        return 1
    return 2 if item.get_closest_marker("slow") is not None else 3


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Add the ``slow`` marker by folder, fixture, sandbox parameter or ``realmodel``, and
    order the tests by ``_start_order`` (a stable sort: the same order on every worker)."""
    here = Path(__file__).parent
    for item in items:
        folders = item.path.relative_to(here).parts[:-1] if item.path.is_relative_to(here) else ()
        if _is_slow(item, folders):
            item.add_marker(pytest.mark.slow)
    items.sort(key=_start_order)


REALMODEL_SKIPPED_IN_CI = "real-model test skipped in CI"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """With CI=true a skipped ``realmodel`` test is a failure: CI must never skip them silently."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    if (
        report.skipped
        and os.environ.get("CI") == "true"
        and item.get_closest_marker("realmodel") is not None
    ):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        reason = str(reason).removeprefix("Skipped: ")
        report.outcome = "failed"
        report.longrepr = f"{REALMODEL_SKIPPED_IN_CI}: {reason}"
        if hasattr(report, "wasxfail"):  # else pytest counts it as no failure: exit status 0
            del report.wasxfail


def copy_checkout(root: Path, dest: Path) -> Path:
    """Copy the checkout at ``root`` (tracked files, and new ones not ignored) to ``dest``."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=root, capture_output=True, text=True, check=True,
    ).stdout.split("\0")  # fmt: skip
    for name in filter(None, listed):
        if (root / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, dest / name)
    return dest
