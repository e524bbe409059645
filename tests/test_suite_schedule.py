"""How the suite shares out its tests under pytest-xdist (tests/conftest.py, pyproject.toml).

Each test runs pytest in a subprocess on a small generated suite: the order the real hook
gives, and the xdist group that tests/capable relies on (one worker makes the task runs
that its share test reuses).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from tests.conftest import LONGEST

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow  # each test runs pytest on a generated suite in a subprocess
SUITE = """
import pytest

@pytest.mark.parametrize("n", range(4))
def test_plain(n):
    pass

@pytest.mark.slow
def test_slow():
    pass

@pytest.mark.xdist_group("together")
@pytest.mark.parametrize("n", range(6))
def test_grouped(n):
    pass

@pytest.mark.realmodel
def test_model():
    pass

"""
LONG = "".join(f"\ndef {name}():\n    pass\n" for name in LONGEST)  # the real names


def _run(tmp_path: Path, *args: str) -> list[list[str]]:
    """Run SUITE with the real collection hook and the suite's own addopts; the words of
    each ``-v`` result line."""
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import pytest_collection_modifyitems  # noqa: F401\n"
    )
    (tmp_path / "test_suite.py").write_text(SUITE + LONG)
    ini = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    markers = "".join(f"\n    {m}" for m in ini["markers"])
    (tmp_path / "pytest.ini").write_text(
        f"[pytest]\naddopts = {ini['addopts']}\nmarkers ={markers}\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "xdist", "-v"]
    result = subprocess.run(
        [*command, *args, str(tmp_path)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return [line.split() for line in result.stdout.splitlines() if " PASSED" in line]


def test_the_longest_runs_start_first_then_real_models_then_slow_tests(tmp_path: Path) -> None:
    ran = [words[0].split("::")[1] for words in _run(tmp_path, "-n0")]
    longest = len(LONGEST)
    assert ran[:longest] == list(LONGEST) and ran[longest] == "test_model", ran
    assert ran[longest + 1] == "test_slow" and len(ran) == 12 + longest, ran


def test_each_worker_starts_with_one_of_the_longest_runs(tmp_path: Path) -> None:
    """xdist puts its largest group first unless told to keep the collected order; then
    one worker runs the group and the long runs queue behind one another."""
    done = _run(tmp_path, "-n", str(len(LONGEST)))
    first = {words[0]: words[-1] for words in reversed(done)}  # each worker's first test
    assert sorted(first.values()) == sorted(f"test_suite.py::{name}" for name in LONGEST), done


def test_an_xdist_group_runs_on_one_worker(tmp_path: Path) -> None:
    """pytest 9.2 node ids lose xdist 3.8's group (pytest-xdist#1386): the runs share out
    as if unmarked, and this fails."""
    done = _run(tmp_path, "-n", "2")
    grouped = [(words[0], words[-1]) for words in done if "::test_grouped[" in words[-1]]
    assert len(grouped) == 6 and len({worker for worker, _ in grouped}) == 1, done
    assert all(test.endswith("@together") for _, test in grouped), done
