"""`relay-git review` end to end on real temporary repositories, with a fake reviewer model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import git
from tests.fakes import FakeBackend, factory, review_reply
from tests.review.support import REVIEWER, run

from relay_git.cli import main


@pytest.fixture
def staged(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(repo)
    (repo / "app.py").write_text("def add(a, b):\n    return a - b\n")
    (repo / "poetry.lock").write_text("lock\n")
    (repo / "logo.png").write_bytes(b"\x89PNG\x00\x01\x02")
    git(repo, "add", "app.py", "poetry.lock", "logo.png")
    return repo


def test_error_finding_fails_with_jumpable_line(
    staged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeBackend(REVIEWER).enqueue(
        review_reply(
            "fix",
            "subtracts",
            [
                {
                    "path": "app.py",
                    "line": 2,
                    "severity": "error",
                    "category": "bug",
                    "message": "add() subtracts",
                    "suggestion": "    return a + b",
                }
            ],
        )
    )
    code, out, err = run([], fake, capsys)
    assert code == 1
    assert "app.py:2: error: add() subtracts" in out
    prompt = fake.history[0].messages[-1]["content"]
    assert "return a - b" in prompt and "poetry.lock" not in prompt
    assert "    2 +    return a - b" in prompt  # new-side line numbers shown to the model
    assert "fake-reviewer" in err  # the ledger table goes to stderr


def test_coverage_names_skipped_files(staged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeBackend(REVIEWER).enqueue(review_reply())
    code, out, _ = run(["--format", "json"], fake, capsys)
    data = json.loads(out)
    assert code == 0
    assert data["verdict"] == "approve"
    skipped = {s["path"]: s["reason"] for s in data["coverage"]["skipped"]}
    assert skipped == {"poetry.lock": "lockfile", "logo.png": "binary"}
    assert data["coverage"]["reviewed"] == ["app.py"]
    assert data["ledger"][0]["model"] == REVIEWER
    assert set(data["ledger"][0]) == {  # every entry's keys, and what the engine reported
        "cached_tokens",
        "done_reason",
        "max_tokens",
        "stage",
        "role",
        "model",
        "prompt_tokens",
        "output_tokens",
        "seconds",
        "tokens_per_second",
        "context",
        "ttft_seconds",  # time to first token and decode time, apart (None: not timed)
        "decode_seconds",
    }


def test_fail_on_threshold_and_never(staged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    warn = review_reply(
        "approve",
        "meh",
        [{"path": "app.py", "line": 1, "severity": "warning", "category": "style", "message": "m"}],
    )
    assert run(["--no-cache"], FakeBackend(REVIEWER).enqueue(warn), capsys)[0] == 0
    assert (
        run(["--no-cache", "--fail-on", "warning"], FakeBackend(REVIEWER).enqueue(warn), capsys)[0]
        == 1
    )
    err = review_reply(
        "approve",
        "fine!",
        [{"path": "app.py", "line": 1, "severity": "error", "category": "bug", "message": "m"}],
    )
    code, out, _ = run(
        ["--no-cache", "--fail-on", "never", "--format", "json"],
        FakeBackend(REVIEWER).enqueue(err),
        capsys,
    )
    assert code == 0
    assert json.loads(out)["verdict"] == "fix"  # an approval cannot outvote its own error


def test_unanchored_finding_goes_to_notes(staged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeBackend(REVIEWER).enqueue(
        review_reply(
            "fix",
            "s",
            [
                {
                    "path": "app.py",
                    "line": 40,
                    "severity": "error",
                    "category": "bug",
                    "message": "far away",
                },
                {
                    "path": "other.py",
                    "line": 1,
                    "severity": "info",
                    "category": "bug",
                    "message": "elsewhere",
                },
            ],
        )
    )
    code, out, _ = run(["--format", "json"], fake, capsys)
    data = json.loads(out)
    assert data["findings"] == []
    assert data["notes"] == ["app.py:40: error: far away", "other.py:1: info: elsewhere"]
    assert code == 0  # notes never fail the run: they point at nothing the diff touches


def test_cache_hit_makes_no_model_call(staged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeBackend(REVIEWER).enqueue(review_reply("approve", "first"))
    assert run([], fake, capsys)[0] == 0
    code, _, _ = run([], fake, capsys)  # the queue is empty: a second call would fail
    assert code == 0 and len(fake.history) == 1
    fake.enqueue(review_reply("approve", "second"))
    run(["--no-cache"], fake, capsys)
    assert len(fake.history) == 2


def test_large_diff_is_split_and_reviewed_whole(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo)
    for i in range(6):
        (repo / f"m{i}.py").write_text("".join(f"x{j} = {j}\n" for j in range(120)))
    git(repo, "add", ".")
    fake = FakeBackend(REVIEWER, context=2600)
    fake.default = review_reply()
    code, out, _ = run(["--format", "json", "--jobs", "3"], fake, capsys)
    cov = json.loads(out)["coverage"]
    assert code == 0
    assert cov["chunks"] == len(fake.history) > 1
    assert cov["hunks_reviewed"] == cov["hunks_total"] == 6
    assert cov["complete"] is True
    assert sorted(cov["reviewed"]) == [f"m{i}.py" for i in range(6)]


def test_revision_range_base_and_diff_file(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(repo)
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "f.py").write_text("print('hi')\n")
    git(repo, "add", "f.py")
    git(repo, "commit", "-q", "-m", "f")
    for args in (["main..feature"], ["--base", "main"]):
        fake = FakeBackend(REVIEWER).enqueue(review_reply())
        assert run([*args, "--no-cache"], fake, capsys)[0] == 0
        assert "print('hi')" in fake.history[0].messages[-1]["content"]
    patch = tmp_path / "p.diff"
    patch.write_text(git(repo, "diff", "main", "feature"))
    fake = FakeBackend(REVIEWER).enqueue(review_reply())
    assert run(["--diff-file", str(patch), "--no-cache"], fake, capsys)[0] == 0
    assert "f.py" in fake.history[0].messages[-1]["content"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuch..HEAD"], "unknown revision 'nosuch'"),
        (["--base", "nope"], "unknown revision 'nope'"),
        (["main..HEAD", "--base", "main"], "give only one of"),
        (["--reviewer", "openai:"], "names no model"),
    ],
)
def test_usage_errors_exit_2(
    repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(repo)
    (repo / "a.py").write_text("a = 1\n")
    git(repo, "add", "a.py")
    code = main(["review", *args], obj={"make_backend": factory(FakeBackend(REVIEWER))})
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_outside_a_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["review"]) == 2
    assert "not inside a git repository" in capsys.readouterr().err


def test_empty_diff_is_nothing_to_review(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo)
    fake = FakeBackend(REVIEWER)
    code, _, err = run([], fake, capsys)
    assert code == 0 and "nothing to review" in err and fake.history == []


def test_backend_unavailable_exit_3(staged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from relay_git.errors import BackendUnavailable

    fake = FakeBackend(REVIEWER).enqueue(
        BackendUnavailable("Ollama is not running at 127.0.0.1:9", "start it with `ollama serve`")
    )
    code, _, err = run([], fake, capsys)
    assert code == 3
    assert "ollama serve" in err


def test_invalid_replies_save_the_raw_reply(
    staged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeBackend(REVIEWER).enqueue("nope", "still nope", "never json")
    code, _, err = run([], fake, capsys)
    assert code == 3
    saved = staged / ".git" / "relay-git" / "last-invalid-reply.txt"
    assert saved.read_text() == "never json"
    assert str(saved) in err


def test_cache_entry_is_the_json_report_without_the_ledger(
    staged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One dict for a Review: the cached review is the JSON report's keys before the ledger."""
    warn = {"path": "app.py", "line": 2, "severity": "warning", "category": "bug", "message": "m"}
    fake = FakeBackend(REVIEWER).enqueue(review_reply("fix", "one", [warn]))
    code, out, _ = run(["--format", "json", "--fail-on", "never"], fake, capsys)
    report = json.loads(out)
    [entry] = (Path(git(staged, "rev-parse", "--absolute-git-dir").strip())).rglob(
        "reviews/*/*.json"
    )
    assert code == 0 and report["ledger"] and report["findings"]
    expected = {k: v for k, v in report.items() if k not in ("ledger", "totals")}
    assert entry.read_text(encoding="utf-8") == json.dumps(expected)
