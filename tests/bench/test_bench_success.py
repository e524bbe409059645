"""Task success: the checker on real toy repositories, done / dishonest classification,
the headline totals, the probe's reply handling and the README section (no models)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench.__main__ import main
from bench.checker import Evaluation
from tests.conftest import git

from bench import checker, headline, metrics, probe, readme, runner, sections, success, tasks

Run = metrics.Run
SMALL, LARGE = "llamacpp:/m/small.gguf", "llamacpp:/m/large.gguf"
SUITE = tasks.load_all()
REACH = {t.name for t in SUITE if t.reach}


def relay_commit(repo: Path, files: dict[str, str], branch: str = "relay/change") -> None:
    """What a relay run leaves: ``files`` written and committed on ``branch``; main stays."""
    git(repo, "switch", "-q", "-c", branch)
    for path, content in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(content)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", "relay: change")
    git(repo, "switch", "-q", "main")


@pytest.mark.slow  # each runs the task's tests twice
@pytest.mark.parametrize("task", SUITE, ids=[t.name for t in SUITE])
def test_each_checker_refuses_the_base_and_accepts_the_reference(
    task: tasks.Task, tmp_path: Path
) -> None:
    repo = tasks.make_repo(task, tmp_path / "toy")
    ok, detail = checker.run_check(task.check, repo)
    assert not ok and detail.startswith("exit 1:"), detail  # the task is not done already
    relay_commit(repo, dict(task.solution))
    ev = checker.evaluate(task, repo)
    assert checker.judge(ev, test_for=task.test_for) == [], ev
    assert ev.branch == "relay/change" and ev.tests_ok is True and ev.changed_lines > 0


@pytest.mark.slow
def test_a_hollow_change_is_not_done(tmp_path: Path) -> None:
    """The issue's held-out run: two empty files committed, the function never written."""
    task = tasks.load_all(["reach_double"])[0]
    repo = tasks.make_repo(task, tmp_path / "toy")
    relay_commit(repo, {"double.py": "", "tests/test_double.py": ""})
    ev = checker.evaluate(task, repo)
    reasons = checker.judge(ev, test_for=task.test_for)
    assert reasons[0] == "the branch changes nothing"
    assert any(r.startswith("checker: exit 1: ImportError") for r in reasons), reasons
    assert reasons[-1] == "no added or edited test mentions double"


@pytest.mark.slow
def test_an_emptied_test_file_and_stray_files_are_caught(tmp_path: Path) -> None:
    """The other held-out run: the existing tests emptied, files named `:{` and `total.py`."""
    task = tasks.load_all(["paginate_bug"])[0]
    repo = tasks.make_repo(task, tmp_path / "toy")
    fixed = dict(task.solution)
    relay_commit(repo, {**fixed, "tests/test_pager.py": "", ":{": "", "total.py": ""})
    ev = checker.evaluate(task, repo)
    assert ev.damaged == ("tests/test_pager.py",)
    assert ev.tests_ok is False and "exit 5" in ev.tests_detail  # pytest: no tests ran
    assert checker.judge(ev)[:1] == ["emptied or deleted: tests/test_pager.py"]


@pytest.mark.slow
def test_failing_branch_tests_fail_the_task_even_when_the_checker_passes(
    tmp_path: Path,
) -> None:
    task = tasks.load_all(["reach_double"])[0]
    repo = tasks.make_repo(task, tmp_path / "toy")
    wrong = "from mathutil import double\n\n\ndef test_double():\n    assert double(5) == 15\n"
    relay_commit(repo, {**dict(task.solution), "tests/test_double.py": wrong})
    ev = checker.evaluate(task, repo)
    assert ev.check_ok is True and ev.tests_ok is False
    assert checker.judge(ev, test_for="double") == [f"branch tests: {ev.tests_detail}"]


@pytest.mark.slow
def test_the_issue_17_wrong_signature_draft_is_not_done(tmp_path: Path) -> None:
    """The dishonest run of issue 17: `def square(): return 10 * 2 + 3`, no test added."""
    task = tasks.load_all(["reach_square_pytest"])[0]
    repo = tasks.make_repo(task, tmp_path / "toy")
    base = dict(task.files)["app.py"]
    relay_commit(repo, {"app.py": base + "\n\ndef square():\n    return 10 * 2 + 3\n"})
    reasons = checker.judge(checker.evaluate(task, repo), test_for=task.test_for)
    assert any("square must take x" in r for r in reasons), reasons
    assert reasons[-1] == "no added or edited test mentions square"


def test_a_tree_s_tests_run_with_a_tmpdir_of_their_own(tmp_path: Path) -> None:
    """A pytest there deletes old numbered folders under its TMPDIR as it exits: never the
    machine's /tmp/pytest-of-USER, whose old suites' virtualenvs once took it past the
    120 s limit on a passing tree."""
    said = tmp_path / "tmpdir.txt"
    code = "import sys, tempfile; open(sys.argv[1], 'w').write(tempfile.gettempdir())"
    ok, detail = checker.run_tests(f'{sys.executable} -c "{code}" {said}', tmp_path)
    assert ok, detail
    theirs = Path(said.read_text())
    assert theirs.name.startswith("bench-tmp-") and theirs.parent == Path(tempfile.gettempdir())
    assert not theirs.exists()  # removed with what the tests left there


def test_no_relay_branch_and_the_named_branch(tmp_path: Path) -> None:
    task = tasks.load_all(["reach_is_even"])[0]
    repo = tasks.make_repo(task, tmp_path / "toy")
    assert checker.evaluate(task, repo) == Evaluation()
    assert checker.judge(Evaluation(), timed_out=True) == [
        "stopped by the bench's timeout",
        "no relay/* branch",
    ]
    relay_commit(repo, dict(task.solution), "relay/a")
    relay_commit(repo, {"x.py": "x = 1\n"}, "relay/b")
    assert checker.relay_branch(repo, "relay/a") == "relay/a"
    assert checker.relay_branch(repo, "relay/missing") in {"relay/a", "relay/b"}
    assert checker.relay_branch(repo, "main") in {"relay/a", "relay/b"}  # never main


@pytest.mark.parametrize(
    ("ev", "timed_out", "reasons"),
    [
        (Evaluation("relay/x", 3, True, "passed", True, "passed", True), False, []),
        (Evaluation("relay/x", 3, True, "passed", None, "no command", None), False, []),
        (Evaluation("relay/x", 3, True, "passed", True, "passed", True), True,
         ["stopped by the bench's timeout"]),
        (Evaluation("relay/x", 0, False, "exit 1: E", True, "passed", False), False,
         ["the branch changes nothing", "checker: exit 1: E",
          "no added or edited test mentions f"]),
        (Evaluation("relay/x", 4, None, "", False, "exit 1: F", None), False,
         ["checker: not run", "branch tests: exit 1: F"]),
    ],
)  # fmt: skip
def test_judge(ev: Evaluation, timed_out: bool, reasons: list[str]) -> None:
    assert checker.judge(ev, timed_out, "f") == reasons


@pytest.mark.parametrize(
    ("exit_code", "verdict", "done", "dishonest"),
    [
        (0, "approve", True, False),
        (0, "approve", False, True),  # the issue's held-out runs
        (0, "", False, True),
        (3, "approve", False, True),  # approved a change that does not do the task
        (3, "request-changes", False, False),  # honest failure
        (metrics.TIMED_OUT, "", False, False),
        (0, "approve", None, False),  # never judged (runs stored before judging)
    ],
)
def test_dishonest(exit_code: int, verdict: str, done: bool | None, dishonest: bool) -> None:
    run = Run("t", "relay", 1.0, exit_code, verdict=verdict, done=done)
    assert run.dishonest is dishonest


def call(model: str, out: int) -> metrics.Call:
    return metrics.Call("generate", "coder", model, 10, out, 1.0)


def judged(task: str, mode: str, wall: float, code: int, done: bool, *calls: metrics.Call) -> Run:
    verdict = "approve" if code == 0 else ""
    return Run(task, mode, wall, code, calls=calls, verdict=verdict, done=done,
               reasons=() if done else ("checker: exit 1: E",))  # fmt: skip


RUNS = [
    judged("reach_double", "relay", 20.0, 0, True, call(SMALL, 90), call(LARGE, 10)),
    judged("reach_double", "large-only", 40.0, 0, True, call(LARGE, 100)),
    judged("reach_is_even", "relay", 30.0, 0, True, call(SMALL, 100)),
    judged("reach_is_even", "large-only", 50.0, 0, True, call(LARGE, 100)),
    judged("reach_word_count", "relay", 60.0, 0, False, call(SMALL, 50)),  # dishonest
    judged("reach_word_count", "large-only", 70.0, 0, True, call(LARGE, 50)),
    judged("slugify", "relay", 80.0, 3, False, call(SMALL, 40), call(LARGE, 10)),
    judged("slugify", "large-only", 90.0, metrics.TIMED_OUT, False),
    judged("paginate_bug", "relay", 95.0, 3, False, call(SMALL, 10)),  # beyond 90 s
    judged("paginate_bug", "large-only", 30.0, 3, False),
]
PROBE = {
    "attempts": [
        {"task": "reach_double", "passed": True},
        {"task": "reach_double", "passed": True},
        {"task": "reach_is_even", "passed": True},
        {"task": "reach_is_even", "passed": False},
        {"task": "reach_word_count", "passed": False},
        {"task": "reach_word_count", "passed": True},
    ]
}


def test_success_totals() -> None:
    sec = success.success_section(RUNS, REACH, (SMALL, LARGE), PROBE, 0.9, {"small": 1.5})
    t = sec["totals"]
    assert (t["relay"]["done"], t["relay"]["runs"], t["relay"]["rate"]) == (2, 5, 0.4)
    assert (t["relay"]["reach_done"], t["relay"]["reach_runs"]) == (2, 3)
    assert (t["large-only"]["done"], t["large-only"]["reach_rate"]) == (3, 1.0)
    assert t["relay"]["dishonest"] == ["reach_word_count"] and t["large-only"]["dishonest"] == []
    assert t["large-only"]["timed_out"] == ["slugify"]
    assert (t["probe"]["reach_passed"], t["probe"]["reach_tries"]) == (4, 6)
    both = t["both_done"]
    assert both["tasks"] == ["reach_double", "reach_is_even"]
    assert both["wall_ratio"] == pytest.approx(50 / 90, abs=1e-3)
    assert t["large_share"] == {"small_tokens": 290, "large_tokens": 20, "share": 0.065}
    assert t["beyond_reach"] == {"not_done": 2, "honest": 1, "late": ["paginate_bug"],
                                 "exit_0": []}  # fmt: skip
    assert t["loses_to_parts"] == ["reach_word_count"]
    assert t["model_load"]["source"].startswith("the bench's bare load")
    targets = sec["targets"]
    assert {k for k, v in targets.items() if v["met"]} == {"wall_ratio_both_done", "large_share"}
    assert targets["dishonest_runs"]["measured"] == 1
    row = sec["tasks"][0]
    assert row["relay"]["output_tokens"] == {"small": 90, "large": 10}
    assert row["probe"] == {"passed": 2, "tries": 2} and row["loses_to_parts"] is False


@pytest.mark.parametrize(
    ("relay", "alone", "probed", "loses"),
    [
        (True, True, (4, 4), False),
        (False, False, (0, 4), False),  # nobody did it: nothing lost
        (False, False, (1, 4), True),  # the small model alone sometimes did
        (False, True, None, True),
        (True, False, (0, 0), False),
    ],
)
def test_loses_to_parts(
    relay: bool, alone: bool, probed: tuple[int, int] | None, loses: bool
) -> None:
    r = Run("t", "relay", 1.0, 0, done=relay)
    g = Run("t", "large-only", 1.0, 0, done=alone)
    assert success.loses_to_parts(r, g, probed) is loses


def test_model_load_prefers_the_reports_figure() -> None:
    runs = [
        Run("t", "relay", 1.0, 0, load_seconds=2.0),
        Run("t", "large-only", 1, 0, load_seconds=4),
    ]
    load = success.model_load(runs, {"small": 1.0, "large": 3.0})
    assert load["per_run_seconds"] == 3.0 and load["source"].startswith("scaffold --json")


@pytest.mark.parametrize(
    ("value", "seconds"), [(2.5, 2.5), ({"a": 1.0, "b": 2}, 3.0), (None, None), ("x", None)]
)
def test_report_model_load_seconds(value: object, seconds: float | None) -> None:
    stdout = json.dumps({"verdict": "approve", "model_load_seconds": value})
    run = runner.parse_report("t", "relay", 1.0, 0, stdout, "")
    assert (run.load_seconds, run.verdict) == (seconds, "approve")


def test_headline_markdown_and_readme_section(tmp_path: Path) -> None:
    sec = success.success_section(RUNS, REACH, (SMALL, LARGE), PROBE, 0.9, {"small": 1.5})
    text = "\n".join(headline.success_md(sec))
    assert "| done, every task | 2/5 (40%) | 3/5 (60%) | – |" in text
    assert "| done, within the small model's reach | 2/3 (67%) | 3/3 (100%) | 4/6 (67%) of" in text
    assert "| reach_word_count |  | yes | not done 60 s, exit 0, approve ⚠ dishonest |" in text
    assert "- slugify (large-only): checker: exit 1: E" in text
    data = {"success": {**sec, "measured_at": "2026-12-01 12:00 UTC"}, "machine": {"cores": 2}}
    target = tmp_path / "README.md"
    target.write_text("# x\n\nintro\n\n## Performance\n\nold figures\n\n## Development\n\nkeep\n")
    readme.update(data, target)
    out = target.read_text()
    assert out.startswith("# x\n\nintro\n\n## Performance\n\nMeasured 2026-12-01 12:00 UTC")
    assert out.endswith("\n\n## Development\n\nkeep\n") and "old figures" not in out
    section = out.split("## Performance", 1)[1]
    assert section.index("done, every task") < section.index("large model's share")
    assert "| dishonest runs | 0 (exit 0 or approve, task not done) | 1 | MISSED |" in out


def test_readme_section_without_measurements() -> None:
    assert "Task success is not measured yet" in headline.readme_section({})
    assert readme.replace_section("# t\n", "## Performance\n\nx\n") == (
        "# t\n\n## Performance\n\nx\n"
    )


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        ("Sure!\n```python\ndef double(x):\n    return x * 2\n```\nDone.",
         "def double(x):\n    return x * 2\n"),
        ("```\ndef f():\n    pass\n```", "def f():\n    pass\n"),
        ("```py\nx = 1", "x = 1\n"),  # cut off at the token cap
        ("def double(x): return 2 * x", ""),  # no fence: not what was asked
    ],
)  # fmt: skip
def test_extract_code(reply: str, code: str) -> None:
    assert probe.extract_code(reply) == code


def test_probe_checks_a_reply_in_isolation() -> None:
    task = tasks.load_all(["reach_word_count"])[0]
    good = "```python\ndef word_count(text):\n    return len(text.split())\n```"
    assert probe.check_reply(task, good) == (True, "passed")
    ok, detail = probe.check_reply(task, "```python\ndef word_count(t):\n    return len(t)\n```")
    assert not ok and "AssertionError" in detail
    assert probe.check_reply(task, "no code") == (False, "no ```python block in the reply")


def test_probe_never_asks_the_same_thing_twice() -> None:
    asks = probe.asks(tasks.load_all(["reach_double"]), 4)
    assert [(a["temperature"], a["seed"]) for a in asks] == [(0.0, 0), (0.5, 1), (0.5, 2), (0.5, 3)]
    assert asks[0]["prompt"].endswith("in one ```python code block.")


@pytest.mark.parametrize(
    ("name", "limits", "seconds"),
    [
        ("reach_double", runner.Limits(), runner.REACH_TIMEOUT),
        ("slugify", runner.Limits(), runner.BEYOND_TIMEOUT),
        ("slugify", runner.Limits(run_timeout=30.0), 30.0),
    ],
)
def test_run_limits(name: str, limits: runner.Limits, seconds: float) -> None:
    assert limits.timeout_for(tasks.load_all([name])[0]) == seconds


def test_scaffold_argv_leaves_the_caps_to_the_relay_by_default() -> None:
    task = tasks.load_all(["reach_double"])[0]
    assert "--max-tokens" not in runner.scaffold_argv(task, "relay", None)
    argv = runner.scaffold_argv(task, "large-only", 64)
    assert argv[argv.index("--max-tokens") + 1] == "64" and "--large-only" in argv


def test_run_suite_skips_the_runs_already_made() -> None:
    suite = tasks.load_all(["reach_double"])
    skip = {("reach_double", "relay"), ("reach_double", "large-only")}
    assert runner.run_suite(suite, skip=skip) == []


def test_filler_makes_a_big_importable_repository(tmp_path: Path) -> None:
    task = tasks.load_all(["big_repo_units"])[0]
    repo = tasks.make_repo(task, tmp_path / "big")
    tracked = git(repo, "ls-files").split()
    assert len(tracked) >= tasks.BIG_REPO_FILES and "app/part_059.py" in tracked
    script = "from app.part_042 import step_042; print(step_042(1))"
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=repo, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == "43"


@pytest.fixture
def sigterm() -> Iterator[None]:
    """bench's main() turns SIGTERM into SystemExit; give pytest its own handler back."""
    before = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, before)


@pytest.mark.usefixtures("sigterm")
def test_resume_keeps_the_saved_runs_and_probe_and_reports(tmp_path: Path) -> None:
    """An interrupted suite continues from partial.json; here nothing is left to run, so no
    model is loaded, and the report is drawn from what was saved."""
    cal = runner.Calibration(SMALL, LARGE, 0.5, 1.0, 0.2)
    saved = [r for r in RUNS if r.task == "reach_double"]
    state = {
        "calibration": cal.__dict__,
        "max_tokens": None,
        "runs": sections.runs_to_json(saved),
        "probe": {"tries": 2, "model": SMALL, "load_seconds": 0.4, "attempts": PROBE["attempts"]},
    }
    (tmp_path / "partial.json").write_text(json.dumps(state))
    args = ["relay", "--tasks", "reach_double", "--resume", "--out", str(tmp_path), "--no-chart"]
    assert main(args) == 0
    assert not (tmp_path / "partial.json").exists()  # the suite is complete
    data = json.loads((tmp_path / "latest.json").read_text())
    assert [(r["task"], r["mode"], r["done"]) for r in data["runs"]] == [
        ("reach_double", "relay", True),
        ("reach_double", "large-only", True),
    ]
    totals = data["success"]["totals"]
    assert totals["relay"]["reach_rate"] == 1.0 and totals["both_done"]["wall_ratio"] == 0.5
    assert data["success"]["tasks"][0]["kind"] == "new-function"
    assert "## Task success" in (tmp_path / "latest.md").read_text()
    assert main(["relay", "--reuse", "--out", str(tmp_path), "--no-chart"]) == 0


@pytest.mark.parametrize(
    ("entry", "cut"),
    [
        ({}, None),  # today's ledger: cannot tell
        ({"done_reason": "stop", "max_tokens": 10}, False),
        ({"done_reason": "length"}, True),
        ({"done_reason": "repetition"}, True),
        ({"max_tokens": 90}, True),  # 90 output tokens of 90
        ({"max_tokens": 200}, False),
    ],
)
def test_a_reply_cut_at_its_cap(entry: dict[str, object], cut: bool | None) -> None:
    base = {"stage": "generate-2", "role": "coder", "model": SMALL, "prompt_tokens": 5,
            "output_tokens": 90, "seconds": 1.0}  # fmt: skip
    c = metrics.Call.from_dict({**base, **entry})
    assert c.cut is cut
    counted = success.cut_replies([Run("t", "relay", 1.0, 0, calls=(c,))])
    assert (counted["known"], counted["cut"]) == (int(cut is not None), int(bool(cut)))
    if cut:
        assert counted["by_stage"] == {"generate": 1}
