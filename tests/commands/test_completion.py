"""`relay-git completion SHELL`, and completion itself through the real entry point."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from click.shell_completion import get_completion_class

from relay_git.cli import cli, main


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_prints_clicks_script(shell: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", shell]) == 0
    out = capsys.readouterr().out
    make = get_completion_class(shell)
    assert make is not None
    assert out == make(cli, {}, "relay-git", "_RELAY_GIT_COMPLETE").source()
    assert "_RELAY_GIT_COMPLETE" in out


def test_unknown_shell_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "tcsh"]) == 2
    assert "'tcsh' is not one of 'bash', 'zsh', 'fish'" in capsys.readouterr().err


def _complete(words: str) -> list[str]:
    """What bash's completion function asks the program for, as the script does."""
    env = dict(os.environ, _RELAY_GIT_COMPLETE="bash_complete", COMP_WORDS=words)
    env["COMP_CWORD"] = str(len(words.split()) - (0 if words.endswith(" ") else 1))
    proc = subprocess.run(
        [sys.executable, "-m", "relay_git"], env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return [line.split(",", 1)[1] for line in proc.stdout.splitlines()]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("relay-git in", ["init"]),
        ("relay-git completion z", ["zsh"]),
        ("relay-git clean --b", ["--branches"]),
    ],
)
def test_completion_answers(words: str, expected: list[str]) -> None:
    assert _complete(words) == expected


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_script_registers_the_function() -> None:
    script = subprocess.run(
        [sys.executable, "-m", "relay_git", "completion", "bash"], capture_output=True, text=True
    ).stdout
    proc = subprocess.run(
        ["bash", "-c", f"{script}\ncomplete -p relay-git"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "_relay_git_completion relay-git" in proc.stdout
