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
from relay_git.diff import parse

ROOT = Path(__file__).resolve().parents[2]


def _bench(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ if env is None else env)
    full_env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    return subprocess.run(
        [sys.executable, "-m", "bench", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.parametrize(("lines", "files"), [(1000, 50), (1000, 10), (100, 3), (7, 1)])
def test_synthetic_diff_has_the_lines_and_files_asked_for(lines: int, files: int) -> None:
    parsed = parse(diffscale.synthetic_diff(lines, files))
    assert len(parsed) == files
    assert sum(f.added_count + f.removed_count for f in parsed) == lines


def test_fit_exponent_recovers_a_power_law() -> None:
    xs = [1e3, 1e4, 1e5]
    assert diffscale.fit_exponent(xs, [3e-6 * x**1.5 for x in xs]) == pytest.approx(1.5)
    assert diffscale.fit_exponent(xs, [2e-5 * x for x in xs]) == pytest.approx(1.0)


def test_diffscale_smoke_at_a_tiny_size(tmp_path: Path) -> None:
    proc = _bench("diffscale", "--sizes", "100,1000", "--out", str(tmp_path), "--no-chart")
    assert proc.returncode == 0, proc.stderr
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


@pytest.mark.realmodel
def test_bench_runs_one_task_on_the_real_models(
    smollm2_gguf: Path, gemma_gguf: Path, tmp_path: Path
) -> None:
    """relay and large-only scaffold runs of the smallest task, the report and the chart."""
    env = dict(os.environ)
    env["XDG_CACHE_HOME"] = str(gemma_gguf.parents[2])  # where the fixture assembled Gemma
    proc = _bench("relay", "--tasks", "docstrings", "--out", str(tmp_path), env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads((tmp_path / "latest.json").read_text())
    small, large = data["models"]["small"], data["models"]["large"]
    assert small.endswith(smollm2_gguf.name) and large.endswith(gemma_gguf.name)
    runs = {r["mode"]: r for r in data["runs"]}
    assert set(runs) == {"relay", "large-only"}
    relay_models = {c["model"] for c in runs["relay"]["calls"]}
    assert relay_models == {small, large}, runs["relay"]
    assert {c["model"] for c in runs["large-only"]["calls"]} == {large}, runs["large-only"]
    assert runs["relay"]["outcomes"] and runs["large-only"]["outcomes"]
    (row,) = data["relay"]["tasks"]
    assert row["small_output_tokens"] > 0 and row["wall_ratio"] > 0
    assert data["overhead"]["calibration"]["large_load_seconds"] > 0
    has_matplotlib = importlib.util.find_spec("matplotlib") is not None
    assert (tmp_path / "latest.png").is_file() == has_matplotlib
    assert "## 1. Relay vs large-only" in (tmp_path / "latest.md").read_text()
