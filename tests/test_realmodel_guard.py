"""CI=true turns a skipped ``realmodel`` test into a failure (hook in tests/conftest.py).

Runs pytest in a subprocess on a small generated suite that imports the real hook.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow  # each test runs pytest on a generated suite in a subprocess
SUITE = """
import pytest

@pytest.fixture
def model():
    pytest.skip("no model here")

@pytest.mark.realmodel
def test_skips_in_body():
    pytest.skip("no model here")

@pytest.mark.realmodel
def test_skips_in_fixture(model):
    pass

@pytest.mark.realmodel
@pytest.mark.skipif(True, reason="skipif marker")
def test_skipif():
    pass

@pytest.mark.realmodel
def test_passes():
    pass

@pytest.mark.realmodel
def test_xfails():
    pytest.xfail("gave up")

def test_unmarked_skip():
    pytest.skip("not a real-model test")
"""


def _run(tmp_path: Path, ci: str | None, suite: str = SUITE) -> subprocess.CompletedProcess[str]:
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import pytest_runtest_makereport  # noqa: F401\n"
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    realmodel: real model\n")
    (tmp_path / "test_suite.py").write_text(suite)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = str(ROOT)
    if ci is not None:
        env["CI"] = ci
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", str(tmp_path)]
    return subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )


def test_ci_fails_every_skipped_realmodel_test(tmp_path: Path) -> None:
    result = _run(tmp_path, "true")
    assert result.returncode == 1, result.stdout
    out = result.stdout
    assert "real-model test skipped in CI: no model here" in out
    assert "real-model test skipped in CI: skipif marker" in out
    assert "FAILED test_suite.py::test_xfails" in out  # an xfail is a skip too
    assert "2 failed, 1 passed, 1 skipped, 2 errors" in out, out
    assert "SKIPPED [1] test_suite.py" in out and "not a real-model test" in out


@pytest.mark.parametrize("ci", [None, "1"])
def test_outside_ci_they_just_skip(tmp_path: Path, ci: str | None) -> None:
    result = _run(tmp_path, ci)
    assert result.returncode == 0, result.stdout
    assert "1 passed, 4 skipped, 1 xfailed" in result.stdout, result.stdout
    assert "real-model test skipped in CI" not in result.stdout


def test_a_lone_xfail_in_ci_makes_pytest_exit_non_zero(tmp_path: Path) -> None:
    """pytest does not count a failed report that still carries ``wasxfail``: exit 0."""
    suite = "import pytest\n\n@pytest.mark.realmodel\ndef test_x():\n    pytest.xfail('junk')\n"
    result = _run(tmp_path, "true", suite)
    assert "1 failed" in result.stdout, result.stdout
    assert result.returncode == 1
