"""`relay-git log` answers questions: which repository, since when, which command (a hook's
review told apart from one run by hand), which model, -n with --stats, and what was said."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.fakes import FakeBackend, factory, review_reply

from relay_git.cli import main
from relay_git.history.since import parse_since
from relay_git.history.store import Run, append, default_path
from relay_git.types import LedgerEntry

REVIEWER = "ollama:fake-reviewer"
SMALL = "ollama:qwen3-coder:30b"


def finding_reply() -> dict[str, object]:
    finding = {"path": "app.py", "line": 2, "severity": "error", "category": "bug",
               "message": "subtracts instead of adding"}  # fmt: skip
    return review_reply("fix", "wrong operator", [finding])


def review(*args: str) -> int:
    fake = FakeBackend(REVIEWER).enqueue(finding_reply())
    return main(["review", "--reviewer", REVIEWER, *args], obj={"make_backend": factory(fake)})


def logged(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    capsys.readouterr()
    assert main(["log", "--json", *args]) == 0
    data: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return data


def timed(model: str, output: int) -> LedgerEntry:
    return LedgerEntry("s", "r", model, 100, output, 2.0, 4096, 0, "stop", 0, 0.5, 1.5)


def add(when: str, command: str = "scaffold", repo: str = "/a", reviewer: str = REVIEWER) -> None:
    ledger = (timed(SMALL, 300), timed(reviewer, 30)) if command == "scaffold" else ()
    run = Run(when, repo, command, SMALL, reviewer, 0, None, 5.0, ledger, source="manual")
    append(default_path(dict(os.environ)), run)


def test_hook_and_manual_reviews_are_told_apart(
    staged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert review("--no-cache") == 1
    assert review("--no-cache", "--hook") == 1
    assert [r["source"] for r in logged(capsys)] == ["hook", "manual"]
    assert [r["source"] for r in logged(capsys, "--command", "hook")] == ["hook"]
    assert [r["source"] for r in logged(capsys, "--command", "review")] == ["manual"]
    assert logged(capsys, "--command", "scaffold") == []
    assert main(["log"]) == 0
    kinds = [line.split()[1] for line in capsys.readouterr().out.splitlines()[1:]]
    assert kinds == ["hook", "review"]


def test_findings_shows_what_the_reviewer_said(
    staged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert review() == 1
    capsys.readouterr()
    assert main(["log", "--findings"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[1:3] == ["review", "fix"]
    assert out[1] == "  app.py:2 error subtracts instead of adding"


def test_the_current_repository_by_default(
    staged: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert review() == 1
    add("2026-01-01T00:00:00+00:00", repo=str(tmp_path / "elsewhere"))
    assert [r["repo"] for r in logged(capsys)] == [str(staged.resolve())]
    assert len(logged(capsys, "--all-repos")) == 2
    assert len(logged(capsys, "--repo", "all")) == 2
    elsewhere = logged(capsys, "--repo", str(tmp_path / "elsewhere"))
    assert [r["repo"] for r in elsewhere] == [str(tmp_path / "elsewhere")]


def test_since_model_and_limit_with_stats(capsys: pytest.CaptureFixture[str]) -> None:
    add("2026-01-01T00:00:00+00:00")
    add("2026-03-01T00:00:00+00:00", reviewer="ollama:other")
    add("2026-03-02T00:00:00+00:00", command="review")
    times = [r["time"] for r in logged(capsys, "--all-repos", "--since", "2026-02-15")]
    assert times == ["2026-03-02T00:00:00+00:00", "2026-03-01T00:00:00+00:00"]
    assert len(logged(capsys, "--all-repos", "--model", "other")) == 1  # a bare Ollama name
    capsys.readouterr()
    assert main(["log", "--stats", "--json", "--all-repos", "-n", "2"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["runs"] == 2 and stats["scaffold_runs"] == 1
    assert main(["log", "--stats", "--json", "--all-repos", "-n", "1"]) == 0
    one = json.loads(capsys.readouterr().out)
    assert one["runs"] == 1 and one["no_comparison"] == "no scaffold runs"
    assert main(["log", "--stats", "--json", "--all-repos"]) == 0
    assert json.loads(capsys.readouterr().out)["runs"] == 3  # --stats counts all without -n


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", "2026-03-03T12:00:00+00:00"),
        ("2w", "2026-02-24T12:00:00+00:00"),
        ("12h", "2026-03-10T00:00:00+00:00"),
        ("2026-03-01", "2026-03-01T00:00:00+00:00"),
        ("2026-03-01T09:30:00+01:00", "2026-03-01T08:30:00+00:00"),
    ],
)
def test_parse_since(text: str, expected: str) -> None:
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert parse_since(text, now) == expected


def test_a_bad_since_is_a_one_line_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["log", "--since", "last tuesday"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("relay-git: error: --since 'last tuesday' is not a date")
    assert "Traceback" not in err
