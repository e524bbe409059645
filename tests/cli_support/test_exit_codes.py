"""cli_support/exits.py is the one map from how a command ended to its exit code: cli.main
returns it and the run log records it, so the history says what the shell saw."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from relay_git.cli import cli, main
from relay_git.cli_support.common import build_app
from relay_git.cli_support.exits import ReaderGone, exit_code_for, returned
from relay_git.cli_support.runlog import logged
from relay_git.errors import BackendUnavailable, GitError, NotBlocking, UsageError

INJECTED = {"make_backend": None}  # any obj: the process is never ended from a test
SRC = str(Path(__file__).resolve().parents[2] / "src")


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (UsageError("bad"), 2),
        (GitError("bad revision"), 2),
        (BackendUnavailable("down"), 3),
        (NotBlocking(BackendUnavailable("down")), 0),
        (KeyboardInterrupt(), 130),
        (click.exceptions.Abort(), 130),
        (BrokenPipeError(), 141),
        (ReaderGone(), 141),
        (click.UsageError("no such option"), 2),
        (click.ClickException("plain"), 2),  # its own exit_code is 1: the CLI says 2
        (click.FileError("x.patch"), 2),
        (click.exceptions.Exit(4), 4),
        (SystemExit(), 0),
        (SystemExit(5), 5),
        (SystemExit("a message"), 1),
        (ValueError("a bug"), 1),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else str(v),
)
def test_each_way_of_ending_maps_to_one_code(exc: BaseException, code: int) -> None:
    assert exit_code_for(exc) == code


@pytest.mark.parametrize(("result", "code"), [(0, 0), (1, 1), (None, 0), ("text", 0)])
def test_a_returned_value_maps_to_its_int_else_0(result: object, code: int) -> None:
    assert returned(result) == code


def history() -> list[dict[str, object]]:
    """The logged runs, newest first, as `relay-git log --json` lists them."""
    proc = subprocess.run(
        [sys.executable, "-m", "relay_git", "log", "--json", "--all-repos"],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=SRC),
    )
    assert proc.returncode == 0, proc.stderr
    runs: list[dict[str, object]] = json.loads(proc.stdout)
    return runs


@pytest.fixture
def probe(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[BaseException]]:
    """A logged command on the real CLI that builds the App and raises what the test puts in
    the list (nothing: it returns 0)."""
    raised: list[BaseException] = []

    @click.command("probe")
    @click.pass_context
    @logged("probe")
    def command(ctx: click.Context, /) -> int:
        build_app(ctx)
        if raised:
            raise raised[0]
        return 0

    monkeypatch.chdir(repo)
    monkeypatch.setitem(cli.commands, "probe", command)
    yield raised


@pytest.mark.parametrize(
    "exc",
    [
        click.UsageError("give a TASK"),
        click.ClickException("plain"),
        UsageError("bad revision"),
        BackendUnavailable("down"),
        NotBlocking(BackendUnavailable("down")),
        BrokenPipeError(),
        KeyboardInterrupt(),
    ],
    ids=lambda e: type(e).__name__,
)
def test_the_logged_code_is_the_one_main_returns(
    probe: list[BaseException], exc: BaseException
) -> None:
    probe.append(exc)
    code = main(["probe"], obj=INJECTED)
    assert code == exit_code_for(exc)
    [run] = history()
    assert run["command"] == "probe" and run["exit_code"] == code


def test_the_one_no_log_works_before_and_after_the_command(probe: list[BaseException]) -> None:
    assert main(["--no-log", "probe"], obj=INJECTED) == 0
    assert main(["probe", "--no-log"], obj=INJECTED) == 0
    assert history() == []
    assert main(["probe"], obj=INJECTED) == 0
    assert len(history()) == 1


def to_gone_reader(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``relay-git ARGS`` as a real process whose stdout's reader is gone before it writes
    a byte (``| head -0``)."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [sys.executable, "-m", "relay_git", *args],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env=dict(os.environ, PYTHONPATH=SRC),
        )
    finally:
        os.close(write)


@pytest.mark.slow  # a real relay-git process
def test_a_real_broken_pipe_exits_141_and_is_logged_as_141(repo: Path) -> None:
    """A document on an empty patch needs no model. click alone would end it with 1 while
    the log said otherwise."""
    (repo / "empty.patch").write_text("")
    proc = to_gone_reader(["review", "--diff-file=empty.patch", "--format=json"], repo)
    assert proc.returncode == 141, proc.stderr
    assert "Traceback" not in proc.stderr
    [run] = history()
    assert run["command"] == "review" and run["exit_code"] == 141


@pytest.mark.slow  # real relay-git processes
@pytest.mark.parametrize("args", [["--help"], ["--version"], ["review", "--help"]], ids=" ".join)
def test_help_to_a_reader_that_is_gone_exits_141(tmp_path: Path, args: list[str]) -> None:
    """``relay-git --help | true``: click prints help while parsing, and its own EPIPE
    handler would exit 1 there; like git, it is 128 + SIGPIPE."""
    proc = to_gone_reader(args, tmp_path)
    assert (proc.returncode, proc.stderr) == (141, "")


@pytest.mark.slow  # real relay-git processes
@pytest.mark.parametrize(
    ("args", "code"),
    [(["review", "no-such-rev..HEAD"], 2), (["review", "--reviewer", "ollama:x"], 3)],
    ids=["usage-error", "backend-unavailable"],
)
def test_a_real_process_exits_with_the_logged_code(repo: Path, args: list[str], code: int) -> None:
    """A real process: a bad revision (a usage error) and a model server that is not there
    (OLLAMA_HOST is a closed port on 127.0.0.1) end with the code the log records."""
    (repo / "a.py").write_text("x = 1\n")
    subprocess.run(["git", "add", "a.py"], cwd=repo, check=True)
    env = dict(os.environ, PYTHONPATH=SRC, OLLAMA_HOST="http://127.0.0.1:9")
    proc = subprocess.run(
        [sys.executable, "-m", "relay_git", *args],
        capture_output=True,
        text=True,
        cwd=repo,
        env=env,
    )
    assert proc.returncode == code, proc.stderr
    [run] = history()
    assert run["exit_code"] == code
