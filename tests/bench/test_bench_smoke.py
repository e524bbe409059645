"""The bench runs end to end, so it cannot rot: diff scale at a tiny size (fast, no models),
and one tiny task through real ``relay-git scaffold`` on the real local models."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import diffscale
from relay_git.errors import BackendUnavailable
from relay_git.models import local
from relay_git.review.diff import parse

ROOT = Path(__file__).resolve().parents[2]
HANG_GUARD = 3600.0  # seconds; a hang guard, not a speed requirement


def _bench(
    *args: str, env: dict[str, str] | None = None, timeout: float = HANG_GUARD
) -> tuple[int, str]:
    """``python -m bench ARGS`` -> (exit code, stderr); on timeout it is terminated (SIGTERM
    lets the bench kill its scaffold child) rather than left running."""
    full_env = dict(os.environ if env is None else env)
    full_env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench", *args],
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
        pytest.fail(f"the bench hung (over {timeout:.0f} s):\n{stderr[-3000:]}")
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)
    return proc.returncode, stderr


@pytest.mark.parametrize(("lines", "files"), [(1000, 50), (1000, 10), (100, 3), (7, 1)])
def test_synthetic_diff_has_the_lines_and_files_asked_for(lines: int, files: int) -> None:
    parsed = parse(diffscale.synthetic_diff(lines, files))
    assert len(parsed) == files
    assert sum(ln.kind in ("+", "-") for f in parsed for h in f.hunks for ln in h.lines) == lines


def test_fit_exponent_recovers_a_power_law() -> None:
    xs = [1e3, 1e4, 1e5]
    assert diffscale.fit_exponent(xs, [3e-6 * x**1.5 for x in xs]) == pytest.approx(1.5)
    assert diffscale.fit_exponent(xs, [2e-5 * x for x in xs]) == pytest.approx(1.0)


def test_diffscale_smoke_at_a_tiny_size(tmp_path: Path) -> None:
    code, stderr = _bench("diffscale", "--sizes", "100,1000", "--out", str(tmp_path), "--no-chart")
    assert code == 0, stderr
    data = json.loads((tmp_path / "latest.json").read_text())["diffscale"]
    assert [(c["shape"], c["lines"]) for c in data["cases"]] == [
        ("spread", 100), ("dense", 100), ("spread", 1000), ("dense", 1000),
    ]  # fmt: skip
    for case in data["cases"]:
        assert case["total_s"] > 0 and case["rss_mb"] > 0
        assert case["mapped_lines"] > 0 and case["chunks"] >= 1
    assert set(data["exponents"]) == {"spread", "dense"}
    assert data["targets"]["time_and_memory"]["met"] is False  # 100k lines were not measured
    assert "## 5. Diff scale" in (tmp_path / "latest.md").read_text()


@pytest.fixture(scope="session")
def local_models() -> tuple[Path, Path]:
    """The packaged GGUFs, resolved before the hermetic fixture swaps HOME (session scope)."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (pip install 'relay-git[local]')")
    try:
        return local.smollm2_path(), local.gemma_path()
    except BackendUnavailable as err:
        pytest.skip(str(err))


@pytest.mark.realmodel
@pytest.mark.timeout(HANG_GUARD + 120)  # over the project's 300 s: a guard, not a cap
def test_bench_runs_one_task_on_the_real_models(
    local_models: tuple[Path, Path], tmp_path: Path
) -> None:
    """The probe, relay and large-only scaffold runs of one reach task, judged and reported.

    It asserts what the bench did, never how fast: on a slow or busy machine a run may stop
    at the bench's per-run limit, and that is recorded as not done with its reason. The
    test's own timeout only guards against a hang.
    """
    smollm2_gguf, gemma_gguf = local_models
    env = dict(os.environ)
    env["XDG_CACHE_HOME"] = str(gemma_gguf.parents[2])  # where the fixture assembled Gemma
    args = ["relay", "--tasks", "reach_double", "--probe-tries", "1", "--run-timeout", "300"]
    # A cap on every stage: the base-model Gemma writes to it in the large-only run (idle,
    # 1 thread: 130 s uncapped, 95 s at 192). The smoke proves the wiring, not the quality.
    args += ["--max-tokens", "192", "--out", str(tmp_path)]
    code, stderr = _bench(*args, env=env, timeout=HANG_GUARD)
    assert code == 0, stderr[-3000:]
    data = json.loads((tmp_path / "latest.json").read_text())
    small, large = data["models"]["small"], data["models"]["large"]
    assert small.endswith(smollm2_gguf.name) and large.endswith(gemma_gguf.name)
    runs = {r["mode"]: r for r in data["runs"]}
    assert set(runs) == {"relay", "large-only"}
    for run in runs.values():
        assert run["done"] in (True, False), run
        assert run["done"] or run["reasons"], run  # not done always says why
        assert run["evaluation"] or "no relay/* branch" in run["reasons"], run
    assert runs["relay"]["calls"], runs["relay"]  # its report (or saved state) had a ledger
    assert {c["model"] for c in runs["relay"]["calls"]} <= {small, large}
    assert small in {c["model"] for c in runs["relay"]["calls"]}  # the small model wrote
    assert {c["model"] for c in runs["large-only"]["calls"]} == {large}
    (attempt,) = data["probe"]["attempts"]
    assert attempt["task"] == "reach_double" and attempt["passed"] in (True, False)
    (row,) = data["success"]["tasks"]
    assert row["relay"]["done"] is runs["relay"]["done"] and row["probe"]["tries"] == 1
    assert data["overhead"]["calibration"]["large_load_seconds"] > 0
    has_matplotlib = importlib.util.find_spec("matplotlib") is not None
    assert (tmp_path / "latest.png").is_file() == has_matplotlib
    text = (tmp_path / "latest.md").read_text()
    assert text.index("## Task success") < text.index("## 1. Relay vs large-only")
