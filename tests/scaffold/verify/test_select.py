"""select: CodeT-style dual agreement between code drafts and test drafts.

``parse_report`` is fed real ``pytest -rA`` output, made by running pytest on a small file
in a temporary directory, so the format under test is the real one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from relay_git.scaffold.verify.select import Matrix, parse_report, rank, run_matrix

SAMPLE = """import pytest


@pytest.fixture
def broken():
    raise RuntimeError("fixture fails")


def test_passes():
    assert 1 + 1 == 2


def test_fails():
    assert 1 + 1 == 3


def test_errors(broken):
    assert broken


@pytest.mark.parametrize("n", [1, 2])
def test_param(n):
    assert n > 0


@pytest.mark.xfail(reason="known")
def test_xfails():
    assert False


@pytest.mark.xfail(reason="known")
def test_xpasses():
    assert True


@pytest.mark.skip(reason="later")
def test_skipped():
    assert False


class TestGroup:
    def test_in_class(self):
        assert True

    def test_in_class_fails(self):
        assert False
"""


def run_pytest(tmp_path: Path, name: str, source: str) -> str:
    (tmp_path / name).write_text(source)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-rA", "-p", "no:cacheprovider", "-q", name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    return done.stdout + done.stderr


def test_parse_report_on_real_pytest_output(tmp_path: Path) -> None:
    output = run_pytest(tmp_path, "test_sample.py", SAMPLE)
    assert "short test summary info" in output  # the real -rA summary was produced
    assert parse_report(output) == {
        "test_passes": "passed",
        "test_fails": "failed",
        "test_errors": "error",
        "test_param": "passed",
        "test_xfails": "xfail",
        "test_xpasses": "passed",
        "test_in_class": "passed",
        "test_in_class_fails": "failed",
    }


def test_parse_report_collection_error_names_no_test(tmp_path: Path) -> None:
    output = run_pytest(
        tmp_path,
        "test_bad_import.py",
        "from no_such_module import double\n\n\ndef test_double():\n    assert double(2) == 4\n",
    )
    assert "ERROR" in output
    assert parse_report(output) == {}


@pytest.mark.parametrize(
    ("output", "want"),
    [
        ("", {}),
        ("PASSED tests/test_a.py::test_a\n", {"test_a": "passed"}),
        ("FAILED tests/test_a.py::test_b - assert 1 == 2\n", {"test_b": "failed"}),
        ("ERROR tests/test_a.py::test_c - RuntimeError\n", {"test_c": "error"}),
        ("tests/test_a.py::test_a PASSED  [100%]\n", {}),
        ("  PASSED tests/test_a.py::test_a\n", {}),
        ("PASSED tests/test_a.py::TestX::test_m\n", {"test_m": "passed"}),
        ("FAILED tests/test_a.py::test_p[a-1] - x\n", {"test_p": "failed"}),
        ("FAILED t.py::test_b - AssertionError: m::n\n", {"test_b": "failed"}),
    ],
    ids=[
        "empty",
        "passed",
        "failed",
        "error",
        "verbose-line-ignored",
        "indented-ignored",
        "class-method",
        "parametrized",
        "colons-in-message",
    ],
)
def test_parse_report_lines(output: str, want: dict[str, str]) -> None:
    assert parse_report(output) == want


@pytest.mark.parametrize(
    ("drafts", "stub", "name", "want"),
    [
        (({"t": "passed"},), {"t": "failed"}, "t", True),
        (({"t": "failed"},), {"t": "failed"}, "t", True),
        (({"t": "passed"},), {"t": "passed"}, "t", False),
        (({"t": "error"}, {"t": "error"}), {"t": "error"}, "t", False),
        (({"t": "error"}, {"t": "passed"}), {"t": "error"}, "t", True),
        (({},), {}, "t", False),
        (({"t": "passed"},), {}, "t", True),
    ],
    ids=[
        "fails-on-stub-passes-on-draft",
        "fails-everywhere-still-can-fail",
        "passes-on-stub-is-vacuous",
        "errors-everywhere-is-broken",
        "errors-on-one-draft-only",
        "never-ran",
        "stub-did-not-collect",
    ],
)
def test_matrix_meaningful(
    drafts: tuple[dict[str, str], ...], stub: dict[str, str], name: str, want: bool
) -> None:
    assert Matrix(drafts, stub).meaningful(name) is want


def test_matrix_passed_counts_only_meaningful_tests() -> None:
    matrix = Matrix(
        ({"good": "passed", "vacuous": "passed", "other": "failed"},),
        {"good": "failed", "vacuous": "passed", "other": "failed"},
    )
    assert matrix.passed(0) == frozenset({"good"})


STUB = {"a": "failed", "b": "failed", "c": "failed", "v": "passed"}


@pytest.mark.parametrize(
    ("drafts", "order", "best_score", "best_tests"),
    [
        (
            [
                {"a": "passed", "b": "passed", "c": "passed"},
                {"a": "passed", "b": "failed", "c": "failed"},
                {"a": "passed", "b": "failed", "c": "failed"},
                {"a": "passed", "b": "failed", "c": "failed"},
                {"a": "passed", "b": "failed", "c": "failed"},
            ],
            [1, 0, 2, 3, 4],
            4,
            {"a"},
        ),
        (
            [
                {"a": "passed", "b": "failed"},
                {"a": "passed", "b": "passed"},
                {"a": "passed", "b": "passed"},
            ],
            [1, 0, 2],
            4,
            {"a", "b"},
        ),
        (
            [{"a": "passed", "b": "failed"}, {"a": "failed", "b": "passed"}],
            [0, 1],
            1,
            {"a"},
        ),
        (
            [
                {"a": "passed", "b": "passed", "c": "passed"},
                {"a": "passed", "b": "failed", "c": "failed"},
                {"a": "passed", "b": "failed", "c": "failed"},
                {"a": "passed", "b": "failed", "c": "failed"},
            ],
            [0, 1, 2, 3],
            3,
            {"a", "b", "c"},
        ),
        (
            [{"a": "failed", "v": "passed"}, {"a": "failed", "v": "passed"}],
            [0, 1],
            0,
            set(),
        ),
    ],
    ids=[
        "bigger-group-beats-more-tests",
        "group-size-times-tests",
        "tie-goes-to-draft-order",
        "equal-score-tie-goes-to-draft-order",
        "vacuous-test-scores-nothing",
    ],
)
def test_rank(
    drafts: list[dict[str, str]], order: list[int], best_score: int, best_tests: set[str]
) -> None:
    ranked = rank(Matrix(tuple(drafts), STUB))
    assert [c.draft for c in ranked] == order
    assert ranked[0].score == best_score
    assert ranked[0].tests == frozenset(best_tests)
    assert sorted(c.draft for c in ranked) == list(range(len(drafts)))


def test_rank_scores_the_group_size_times_its_tests() -> None:
    """Drafts 0 and 1 agree on one test: their group scores 2 x 1, led by draft 0; draft 1,
    the group's second, comes last, scored 0."""
    same = {"a": "passed"}
    ranked = rank(Matrix((same, same, {"a": "failed"}), STUB))
    summary = [(c.draft, c.tests, c.score) for c in ranked]
    assert summary == [(0, frozenset({"a"}), 2), (2, frozenset(), 0), (1, frozenset({"a"}), 0)]


def test_rank_no_drafts() -> None:
    assert rank(Matrix((), {})) == []


def test_judge_runs_every_draft_and_the_stub() -> None:
    seen: list[str] = []

    def run(files: dict[str, str]) -> dict[str, str]:
        seen.append(files["m.py"])
        return {"t": "passed" if files["m.py"] == "good" else "failed"}

    matrix = run_matrix([{"m.py": "good"}, {"m.py": "bad"}], {"m.py": "stub"}, run)
    assert seen == ["good", "bad", "stub"]
    assert matrix.drafts == ({"t": "passed"}, {"t": "failed"})
    assert matrix.stub == {"t": "failed"}
