"""cli.py is the one map from an error to what the user sees and the exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from relay_git.cli import main, report_error
from relay_git.errors import (
    BackendUnavailable,
    BudgetExceeded,
    ModelOutputError,
    NotBlocking,
    RelayError,
    UnsafeEdit,
    UsageError,
)

INJECTED = {"make_backend": None}  # any obj: the process is never ended from a test


@pytest.mark.parametrize(
    ("err", "code", "lines"),
    [
        (UsageError("bad", "fix it"), 2, ["relay-git: error: bad (fix it)"]),
        (UnsafeEdit("outside"), 2, ["relay-git: error: outside"]),
        (BackendUnavailable("down"), 3, ["relay-git: error: down"]),
        (
            BudgetExceeded("slow", "raise --timeout"),
            3,
            ["relay-git: error: slow (raise --timeout)"],
        ),
        (
            NotBlocking(BudgetExceeded("slow", "raise --timeout")),
            0,
            ["relay-git: warning: slow (raise --timeout); not blocking (--strict fails instead)"],
        ),
    ],
)
def test_each_error_maps_to_its_own_code_and_one_line(
    err: RelayError, code: int, lines: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert report_error(err, INJECTED) == code
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.splitlines() == lines


def test_a_saved_reply_adds_its_detail_line(capsys: pytest.CaptureFixture[str]) -> None:
    err = ModelOutputError("no valid reply", raw="{")
    err.saved = "/repo/.git/relay-git/last-invalid-reply.txt"
    assert report_error(err, INJECTED) == 3
    assert capsys.readouterr().err.splitlines() == [
        "relay-git: error: no valid reply",
        f"relay-git: the model's last raw reply is saved in {err.saved}",
    ]


def test_only_the_budget_leaves_the_process_at_once() -> None:
    over = BudgetExceeded("slow")
    assert over.leave_at_once and NotBlocking(over).leave_at_once
    assert not BackendUnavailable("down").leave_at_once
    assert not NotBlocking(BackendUnavailable("down")).leave_at_once


@pytest.mark.parametrize("task", ["", "   "])
def test_an_empty_task_is_a_usage_error(
    task: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["scaffold", task], obj=INJECTED) == 2
    err = capsys.readouterr().err
    assert 'Error: give the TASK to do, e.g. relay-git scaffold "add a helper"' in err
    assert "Traceback" not in err
