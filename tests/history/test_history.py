"""The run history: review and scaffold runs logged to SQLite (metadata only), `relay-git log`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from tests.conftest import git
from tests.fakes import FakeBackend, factory, review_reply
from tests.scaffold.support import Relay, Script

from relay_git.cli import main
from relay_git.config import Config
from relay_git.history.store import default_path

REVIEWER = "ollama:fake-reviewer"
SECRET_CODE = "ZEBRA_CODE_4711"
SECRET_MESSAGE = "GIRAFFE_MESSAGE_0815"
SECRET_SUMMARY = "OKAPI_SUMMARY_2323"


def history_file(home: Path | None = None) -> Path:
    import os

    return default_path(dict(os.environ))


@pytest.fixture
def staged(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(repo)
    (repo / "app.py").write_text(f"def add(a, b):\n    return a - b  # {SECRET_CODE}\n")
    git(repo, "add", "app.py")
    return repo


def finding_reply() -> dict[str, object]:
    finding = {
        "path": "app.py",
        "line": 2,
        "severity": "error",
        "category": "bug",
        "message": SECRET_MESSAGE,
        "suggestion": f"    return a + b  # {SECRET_CODE}",
    }
    return review_reply("fix", SECRET_SUMMARY, [finding])


def review(*args: str, fake: FakeBackend | None = None) -> int:
    fake = fake or FakeBackend(REVIEWER).enqueue(finding_reply())
    return main(["review", "--reviewer", REVIEWER, *args], obj={"make_backend": factory(fake)})


def logged(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    capsys.readouterr()
    assert main(["log", "--json", "--all-repos", *args]) == 0
    data: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return data


def test_review_run_is_logged_with_its_findings_but_no_code(
    staged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert review() == 1
    [run] = logged(capsys)
    assert run["command"] == "review" and run["source"] == "manual"
    assert run["verdict"] == "fix"
    assert run["said"] == [
        {"path": "app.py", "line": 2, "end_line": 2, "severity": "error", "category": "bug",
         "message": SECRET_MESSAGE}
    ]  # fmt: skip
    assert run["repo"] == str(staged.resolve())
    assert run["exit_code"] == 1 and run["findings"] == 1
    assert run["reviewer"] == REVIEWER and run["coder"] == "ollama:qwen3-coder:30b"
    [call] = run["ledger"]  # type: ignore[misc]
    assert call["stage"] == "review" and call["model"] == REVIEWER
    assert call["output_tokens"] > 0 and call["prompt_tokens"] > 0
    raw = history_file().read_bytes()
    for secret in (SECRET_CODE, SECRET_SUMMARY, "return a"):  # no code, suggestion, summary
        assert secret.encode() not in raw, secret


def test_scaffold_run_is_logged_without_the_task(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    relay = Relay()
    Script().install(relay)
    task = "add a slugify helper WOMBAT_TASK"
    # a test command that fails without the change and passes with it: evidence
    assert relay(repo, "-q", "--test-cmd", "grep -q lower slug.py", task) == 0
    [run] = logged(capsys)
    assert run["command"] == "scaffold" and run["exit_code"] == 0
    stages = [c["stage"] for c in run["ledger"]]  # type: ignore[union-attr]
    assert stages == ["plan", "plan-review", "generate", "tests", "review"]  # one draft
    raw = history_file().read_bytes()
    assert b"WOMBAT" not in raw and b"wombat" not in raw and b"slugify" not in raw


def test_a_scaffold_run_that_is_not_done_is_logged_with_exit_1(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    relay = Relay()
    Script(files={"slug.py": "x = 1\n"}).install(relay)  # hollow: slugify never defined
    assert relay(repo, "-q", "--test-cmd", "true", "add a slugify() helper") == 1
    [run] = logged(capsys)
    assert run["command"] == "scaffold" and run["exit_code"] == 1


def test_backend_failure_is_logged_with_its_exit_code(
    staged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["review", "--reviewer", "ollama:absent"], obj={"make_backend": factory()})
    assert code == 3
    [run] = logged(capsys)
    assert run["exit_code"] == 3 and run["findings"] is None and run["ledger"] == []


def test_newest_first_and_limit(staged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert review("--no-cache") == 1
    assert review("--no-cache", "--fail-on", "never") == 0
    runs = logged(capsys)
    assert [r["exit_code"] for r in runs] == [0, 1]
    assert [r["exit_code"] for r in logged(capsys, "-n", "1")] == [0]
    assert main(["log"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["time", "command", "exit"]
    assert lines[1].split()[1:5] == ["review", "0", "fix", "1"]


@pytest.mark.parametrize(
    "args", [["--no-log", "review"], ["review", "--no-log"]], ids=["global", "per-command"]
)
def test_no_log(staged: Path, capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    fake = FakeBackend(REVIEWER).enqueue(finding_reply())
    code = main([*args, "--reviewer", REVIEWER], obj={"make_backend": factory(fake)})
    assert code == 1
    assert not history_file().exists()
    assert logged(capsys) == []


@pytest.mark.skipif(not hasattr(Config(), "log"), reason="the typed `log` config key lands later")
def test_config_key_turns_logging_off(staged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = Path.home() / ".config" / "relay-git" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("log = false\n")
    assert review() == 1
    assert not history_file().exists()


def test_xdg_data_home_is_honoured(
    staged: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert review() == 1
    assert (tmp_path / "data" / "relay-git" / "history.sqlite3").is_file()


def test_unwritable_log_warns_once_and_keeps_the_exit_code(
    staged: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))
    assert review() == 1
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if "not logged" in line]
    assert len(warnings) == 1 and warnings[0].startswith("relay-git: warning: run not logged")
    assert "Traceback" not in err


def test_corrupt_history_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    path = history_file()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database" * 100)
    assert main(["log"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("relay-git: error: cannot read the history") and err.count("\n") == 1


@pytest.mark.slow  # a hook subprocess runs out its time budget
def test_hook_past_its_budget_is_logged_before_the_process_ends(staged: Path) -> None:
    """A real process: past its budget the hook leaves at once (os._exit), logged first.

    The reviewer is bench/standin.py, a stand-in for Ollama's native API on 127.0.0.1.
    """
    import os
    import subprocess
    import sys

    from bench.standin import SPEC, reply, serve

    src = str(Path(__file__).resolve().parents[2] / "src")
    with serve(reply()) as server:
        server.delay = 8.0
        env = dict(os.environ, PYTHONPATH=src, OLLAMA_HOST=server.url)
        args = [sys.executable, "-m", "relay_git", "review", "--hook", "--timeout", "1"]
        done = subprocess.run(
            [*args, "--reviewer", SPEC], env=env, capture_output=True, text=True, timeout=30
        )
    assert done.returncode == 0, done.stderr
    assert "budget" in done.stderr
    with sqlite3.connect(history_file()) as db:
        assert db.execute("SELECT command, exit_code FROM runs").fetchall() == [("review", 0)]
