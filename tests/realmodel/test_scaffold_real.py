"""A real scaffold on real llama.cpp models: SmolLM2-135M codes, Gemma 3 270M reviews.

This proves the wiring and the honesty of the outcome, never the quality: the tiny models
may get the task done (exit 0, and then the branch's own tests really pass) or not (exit 1,
with the reasons said). Either way the branch exists, every commit carries the trailers,
the ledger is filled and the user's checkout is untouched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import git
from tests.scaffold.support import PYTEST

from relay_git.cli import main

# Quiet machine: ~1 min; a loaded 2-core machine can take many times that.
pytestmark = [pytest.mark.realmodel, pytest.mark.timeout(1200)]

TASK = "add a slugify() helper with tests"
BRANCH = "relay/add-a-slugify-helper-with-tests"


def test_scaffold_on_real_models(
    repo: Path,
    smollm2_gguf: Path,
    gemma_gguf: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (repo / "text.py").write_text("def shout(s):\n    return s.upper()\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "toy project")
    (repo / "README.md").write_text("a dirty working tree\n")
    before = (git(repo, "status", "--porcelain"), git(repo, "rev-parse", "HEAD"))
    monkeypatch.chdir(repo)
    code = main(
        [
            "scaffold", "--json", "-q",
            "--coder", f"llamacpp:{smollm2_gguf}",
            "--reviewer", f"llamacpp:{gemma_gguf}",
            "--max-rounds", "1", "--test-timeout", "60", "--max-tokens", "320",
            "--test-cmd", PYTEST,  # a pytest command: the drafted tests can be judged
            TASK,
        ]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code in (0, 1) and "Traceback" not in err, err
    report = json.loads(out)
    assert (git(repo, "status", "--porcelain"), git(repo, "rev-parse", "HEAD")) == before
    assert git(repo, "symbolic-ref", "--short", "HEAD").strip() == "main"
    assert report["branch"] == BRANCH and git(repo, "rev-parse", "--verify", BRANCH).strip()

    # The outcome tells the truth.
    assert report["exit_code"] == code
    if code == 0:
        assert report["outcome"] == "done" and report["reasons"] == []
        assert report["verdict"] == "approve" and report["tests"]["status"] == "passed"
        assert report["test_names"]  # the task asked for tests, and some survived
        changed = git(repo, "diff", "--name-only", before[1], BRANCH).split()
        code_files = [c for c in changed if c.endswith(".py") and not c.startswith("tests/")]
        assert any("def slugify" in git(repo, "show", f"{BRANCH}:{c}") for c in code_files)
        ran = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
            cwd=report["worktree"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert ran.returncode == 0, ran.stdout  # the branch's own tests pass, checked apart
    else:
        assert report["outcome"] == "not done" and report["reasons"], report
        if report["tests"].get("status") in ("failed", "timeout") or not report["commits"]:
            assert report["verdict"] != "approve"  # failing or empty work is never approved

    for commit in report["commits"]:
        trailers = git(repo, "log", "-1", "--format=%(trailers)", commit["sha"])
        for key in ("Relay-Coder:", "Relay-Reviewer:", "Relay-Stage:", "Relay-Tokens:"):
            assert key in trailers
    entries = report["ledger"]
    stages = {e["stage"] for e in entries}
    assert stages >= {"plan", "plan-review", "generate"}
    if report["verdict"] == "not reviewed":  # the gate stopped it: the reviewer paid nothing
        assert "review" not in stages
    assert all(e["output_tokens"] > 0 and e["seconds"] > 0 for e in entries)
    assert report["headline"]["output_tokens"] == sum(e["output_tokens"] for e in entries)
    assert os.path.isdir(report["worktree"])
