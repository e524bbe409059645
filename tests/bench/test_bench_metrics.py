"""The bench's arithmetic, task files and report rendering, on literal values (no models)."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import pytest

from bench import metrics, report, runner, sections, tasks

Call = metrics.Call
Outcome = metrics.Outcome
Run = metrics.Run

SMALL, LARGE = "llamacpp:/m/small.gguf", "llamacpp:/m/large.gguf"
CAL = runner.Calibration(SMALL, LARGE, 0.5, 1.0, 0.8)


def call(model: str, prompt: int, out: int, seconds: float, stage: str = "plan") -> Call:
    return Call(stage, "coder", model, prompt, out, seconds)


@pytest.mark.parametrize(
    ("small_out", "large_out", "vs", "vl", "expected"),
    [
        (16000, 0, 200.0, 50.0, 0.25),  # the seed: 80 s instead of 320 s
        (80, 20, 200.0, 50.0, 0.4),  # (0.4 + 0.4) / 2
        (0, 100, 200.0, 50.0, 1.0),  # the large model wrote everything
        (100, 0, 50.0, 50.0, 1.0),  # no speed difference, no gain
    ],
)
def test_seed_ratio(small_out: int, large_out: int, vs: float, vl: float, expected: float) -> None:
    assert metrics.seed_ratio(small_out, large_out, vs, vl) == pytest.approx(expected)


def test_seed_ratio_without_tokens_is_nan() -> None:
    assert math.isnan(metrics.seed_ratio(0, 0, 70.0, 43.0))


def test_split_prefill_recovers_known_rates() -> None:
    calls = [call(SMALL, p, o, p / 500 + o / 50) for p, o in [(100, 10), (900, 40), (300, 200)]]
    prefill, decode = metrics.split_prefill(calls) or (0.0, 0.0)
    assert prefill == pytest.approx(500)
    assert decode == pytest.approx(50)


@pytest.mark.parametrize(
    "rows",
    [
        [(100, 10, 1.0), (200, 20, 2.0)],  # too few calls
        [(100, 10, 1.0), (200, 20, 2.0), (300, 30, 3.0)],  # collinear: rates inseparable
        [(100, 10, 5.0), (1000, 10, 1.0), (100, 50, 9.0)],  # more prompt, less time: negative
    ],
)
def test_split_prefill_refuses_what_it_cannot_fit(rows: list[tuple[int, int, float]]) -> None:
    assert metrics.split_prefill([call(SMALL, p, o, s) for p, o, s in rows]) is None


def test_prefill_ratio_costs_relay_calls_at_each_models_rates() -> None:
    fitted = {
        SMALL: metrics.Speed(SMALL, 0, 0, 1.0, 3, decode_tps=200.0, prefill_tps=2000.0),
        LARGE: metrics.Speed(LARGE, 0, 0, 1.0, 3, decode_tps=50.0, prefill_tps=1000.0),
    }
    relay = Run("t", "relay", 1.0, 0, calls=(call(SMALL, 2000, 400, 0), call(LARGE, 1000, 50, 0)))
    # relay: 1 + 2 + 1 + 1 = 5 s; all on the large model: 2 + 8 + 1 + 1 = 12 s
    assert metrics.prefill_ratio(relay, SMALL, LARGE, fitted) == pytest.approx(5 / 12)


def test_wellformed_counts_first_try_and_after_retries() -> None:
    outcomes = [
        Outcome("plan", SMALL, 1, True),
        Outcome("plan", SMALL, 2, True),
        Outcome("plan", SMALL, 3, False),
        Outcome("review", LARGE, 1, True),
        Outcome("fix-1", SMALL, 1, True),
        Outcome("fix-2", SMALL, 1, False),
        Outcome("fix-2:apply", SMALL, 3, False),
    ]
    rates = {(r.stage, r.model): r for r in metrics.wellformed(outcomes)}
    plan = rates[("plan", SMALL)]
    assert (plan.replies, plan.first_try, plan.eventually) == (3, 1, 2)
    assert rates[("review", LARGE)].first_try_rate == 1.0
    merged = metrics.wellformed(outcomes, by_model=False)
    assert [(r.stage, r.replies) for r in merged] == [
        ("fix", 2),
        ("fix:apply", 1),
        ("plan", 3),
        ("review", 1),
    ]


@pytest.mark.parametrize(
    ("wall", "model", "tests", "fixed", "expected"),
    [(10.0, 8.0, 1.0, 0.0, 0.1), (10.0, 8.0, 1.0, 0.5, 0.05), (10.0, 9.0, 2.0, 0.0, 0.0)],
)
def test_overhead(wall: float, model: float, tests: float, fixed: float, expected: float) -> None:
    run = Run("t", "relay", wall, 0, calls=(call(SMALL, 1, 1, model),), test_seconds=tests)
    assert metrics.overhead(run, fixed) == pytest.approx(expected)


LEDGER = [
    {"stage": "plan", "role": "coder", "model": SMALL, "prompt_tokens": 300,
     "output_tokens": 90, "seconds": 1.5, "tokens_per_second": 60.0, "context": 4096},
    {"stage": "review", "role": "reviewer", "model": LARGE, "prompt_tokens": 800,
     "output_tokens": 10, "seconds": 1.0, "tokens_per_second": 10.0, "context": 4096},
]  # fmt: skip


@pytest.mark.parametrize("ledger", [LEDGER, {"entries": LEDGER, "totals": []}])
def test_parse_report_reads_ledger_outcomes_and_tests(ledger: object) -> None:
    stdout = json.dumps(
        {
            "branch": "relay/x",
            "ledger": ledger,
            "outcomes": [{"stage": "plan", "model": SMALL, "attempts": 2, "ok": True}],
            "tests": {"status": "passed", "seconds": 0.5, "total_seconds": 1.75},
        }
    )
    run = runner.parse_report("t", "relay", 9.0, 0, stdout, "")
    assert [c.output_tokens for c in run.calls] == [90, 10]
    assert run.outcomes == (Outcome("plan", SMALL, 2, True),)
    assert run.test_seconds == pytest.approx(1.75)
    assert run.extra["branch"] == "relay/x"


@pytest.mark.parametrize(
    ("code", "stderr", "error"),
    [
        (3, "[plan] x\nrelay-git: error: backend down\nmore\n", "relay-git: error: backend down"),
        (
            3,
            "relay-git: error: bad reply\nrelay-git: the reply is saved in x\n",
            "relay-git: error: bad reply",
        ),
        (1, "root ::= (char (char (char\n", "exit 1"),
        (-11, "root ::= (char (char (char\n", "killed by signal 11"),
    ],
)
def test_parse_report_of_a_failed_run_keeps_one_error_line(
    code: int, stderr: str, error: str
) -> None:
    run = runner.parse_report("t", "relay", 2.0, code, "", stderr)
    assert (run.calls, run.error) == ((), error)


def test_recover_state_reads_the_relay_worktree_state(tmp_path: Path) -> None:
    state = tmp_path / ".git" / "worktrees" / "relay-x" / "relay-state.json"
    state.parent.mkdir(parents=True)
    state.write_text(json.dumps({"ledger": LEDGER, "outcomes": [], "task": "x"}))
    assert runner.recover_state(tmp_path) == {"ledger": LEDGER, "outcomes": []}
    assert runner.recover_state(tmp_path / "nowhere") == {}


def _pair(task: str) -> list[Run]:
    relay = Run(
        task, "relay", 10.0, 0,
        calls=(call(SMALL, 100, 900, 9.0), call(LARGE, 500, 100, 1.0, "review")),
        outcomes=(Outcome("plan", SMALL, 1, True),),
    )  # fmt: skip
    alone = Run(task, "large-only", 30.0, 0, calls=(call(LARGE, 600, 1000, 28.0),))
    return [relay, alone]


def test_sections_compute_share_ratios_and_targets() -> None:
    runs = _pair("a") + _pair("b")
    relay = sections.relay_section(runs, CAL)
    total = relay["total"]
    assert total["large_share"] == pytest.approx(0.1)
    assert total["wall_ratio"] == pytest.approx(1 / 3, abs=1e-3)
    # small 1800 tok / 100 tok/s = 18 s, large 200 tok / ~34.5 tok/s; all 2000 tok on large
    assert total["predicted_seed"] == pytest.approx(
        (18 + 200 / (2200 / 58)) / (2000 / (2200 / 58)), abs=1e-3
    )
    well = sections.wellformed_section(runs)
    assert well["targets"]["eventual_rate"]["met"] is True
    assert well["runs_without_outcomes"] == ["a (large-only)", "b (large-only)"]
    over = sections.overhead_section(runs, CAL)
    assert over["total_overhead"] == pytest.approx(4 / 80)  # 2 s a large-only run
    assert sections.runs_from_json(sections.runs_to_json(runs)) == runs


def _report_data() -> dict[str, object]:
    runs = _pair("a") + _pair("b")
    return {
        "written": "2026-01-01 00:00 UTC",
        "machine": report.machine(),
        "models": {"small": SMALL, "large": LARGE},
        "relay": sections.relay_section(runs, CAL),
        "wellformed": sections.wellformed_section(runs),
        "overhead": sections.overhead_section(runs, CAL),
    }


def test_markdown_has_the_tables_and_targets(tmp_path: Path) -> None:
    written = report.write(_report_data(), tmp_path, chart=False)
    assert {p.name for p in written} == {"latest.json", "latest.md"}
    text = (tmp_path / "latest.md").read_text()
    assert "| **total** | 20 | 60 | 0.333 |" in text
    assert "| wellformed: eventual_rate | 100% after retries | 100.0% | met |" in text
    assert json.loads((tmp_path / "latest.json").read_text())["relay"]["total"]["task"] == "TOTAL"


def test_chart_is_a_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="the chart needs the bench extra")
    written = report.write(_report_data(), tmp_path)
    assert tmp_path / "latest.png" in written
    assert (tmp_path / "latest.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "![headline figures](latest.png)" in (tmp_path / "latest.md").read_text()


# ------------------------------------------------------------------------------ tasks


def test_the_suite_has_twelve_tasks_of_every_required_kind() -> None:
    suite = tasks.load_all()
    assert len(suite) >= 12
    assert set(tasks.REQUIRED_KINDS) <= {t.kind for t in suite}
    assert any(len(t.all_files()) >= tasks.BIG_REPO_FILES for t in suite if t.kind == "big-repo")
    assert all(t.check and t.test_command and t.solution for t in suite)
    reach = {t.name for t in suite if t.reach}
    assert reach >= {"reach_double", "reach_is_even", "reach_reverse_string", "reach_word_count"}
    assert all(t.probe is not None for t in suite if t.reach)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "k", "files": {"a.py": ""}}, "'task'"),
        ({"task": "t", "kind": "docs", "files": {}}, r"'\[files\]'"),
        ({"task": "t", "kind": "docs", "files": {"../x.py": ""}}, "bad file entry"),
        ({"task": "t", "kind": "docs", "files": {"/etc/x": ""}}, "bad file entry"),
        (
            {"task": "t", "kind": "bug-fix", "files": {"a.py": ""}, "test_command": 3},
            "test_command",
        ),
        ({"task": "t", "kind": "k", "files": {"a.py": ""}}, "'kind' must be one of"),
        ({"task": "t", "kind": "docs", "files": {"a.py": ""}, "reach": True}, r"needs a \[probe\]"),
        ({"task": "t", "kind": "docs", "files": {"a.py": ""}, "probe": {"ask": "x"}}, "'module'"),
        ({"task": "t", "kind": "docs", "files": {"a.py": ""}, "filler": "9"}, "'filler'"),
        (
            {"task": "t", "kind": "docs", "files": {"a.py": ""}, "solution": {"../a": ""}},
            "bad file",
        ),
    ],
)
def test_bad_task_files_are_refused(data: dict[str, object], message: str) -> None:
    with pytest.raises(tasks.TaskError, match=message):
        tasks.Task.from_toml("bad", data)


def test_make_repo_commits_the_files_and_the_relay_config(tmp_path: Path) -> None:
    task = tasks.load_all(["paginate_bug"])[0]
    root = tasks.make_repo(task, tmp_path / "toy")
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split()
    assert tracked == [".relay-git.toml", "conftest.py", "pager.py", "tests/test_pager.py"]
    config = (root / ".relay-git.toml").read_text()
    assert config == "max_rounds = 1\n" and "test_command" not in config  # passed as a flag
    status = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True)
    assert status.stdout == b""


def test_unknown_task_names_are_refused() -> None:
    with pytest.raises(tasks.TaskError, match="unknown task"):
        tasks.load_all(["no_such_task"])


def test_hook_rows_read_the_latency_table() -> None:
    from bench.__main__ import hook_rows

    text = (
        "median of 10 process runs (python 3.11.7, linux)\n"
        "command                                 median ms  x git diff\n"
        "git diff --cached                             3.0         1.0\n"
        "relay-git review --staged (cached)          120.5        40.2\n"
    )
    assert hook_rows(text) == [
        {"command": "git diff --cached", "median_ms": 3.0, "x_git_diff": 1.0},
        {"command": "relay-git review --staged (cached)", "median_ms": 120.5, "x_git_diff": 40.2},
    ]


def test_a_stopped_run_stays_out_of_the_totals() -> None:
    stopped = Run("c", "relay", 200.0, metrics.TIMED_OUT, calls=(call(SMALL, 10, 10, 1.0),))
    alone = Run("c", "large-only", 50.0, 0, calls=(call(LARGE, 10, 100, 40.0),))
    runs = [*_pair("a"), *_pair("b"), stopped, alone]
    relay = sections.relay_section(runs, CAL)
    without = sections.relay_section(_pair("a") + _pair("b"), CAL)["total"]
    for key in ("relay_seconds", "large_only_seconds", "wall_ratio", "large_share"):
        assert relay["total"][key] == without[key]  # speeds (and so predictions) use all calls
    assert relay["total_excludes"] == ["c"] and len(relay["tasks"]) == 3
    over = sections.overhead_section(runs, CAL)
    assert over["total_excludes"] == ["c (relay)"]
    assert over["total_overhead"] == pytest.approx((4 + 10) / (80 + 50), abs=1e-3)


def test_the_bench_confirms_each_tasks_test_command() -> None:
    """A repository's own test_command is not run unasked (issue 11): the bench passes it."""
    task = tasks.Task("t", "k", "do it", (("a.py", ""),), "python -m pytest -q")
    argv = runner.scaffold_argv(task, "relay", 256)
    assert argv[argv.index("--test-cmd") + 1] == "python -m pytest -q" and argv[-1] == "do it"
    untested = tasks.Task("t", "k", "do it", (("a.py", ""),))
    assert "--test-cmd" not in runner.scaffold_argv(untested, "relay", 256)
