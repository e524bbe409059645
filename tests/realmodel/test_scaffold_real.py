"""A real scaffold on real llama.cpp models: SmolLM2-135M codes, Gemma 3 270M reviews.

The tiny models write junk; this proves the wiring, never the quality: the branch exists,
every commit carries the trailers, the ledger is filled, the user's checkout is untouched.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests.conftest import git

from relay_git.cli import main

# Quiet machine: ~30 s; a loaded 2-core machine can take many times that.
pytestmark = [pytest.mark.realmodel, pytest.mark.timeout(1200)]


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
            "--max-rounds", "1", "--test-timeout", "60", "--max-tokens", "768",
            "--test-cmd", "true",
            "add a slugify helper with tests",
        ]
    )  # fmt: skip
    out, err = capsys.readouterr()
    if code != 0:
        # A 135M coder may never produce a valid edit set: then the failure must be clean,
        # the relay branch must exist at its last good commit, and the user's checkout intact.
        assert code == 3 and "Traceback" not in err, err
        assert "no valid reply" in err or "never applied" in err, err
        assert "stays at its last good commit" in err
        assert (git(repo, "status", "--porcelain"), git(repo, "rev-parse", "HEAD")) == before
        assert git(repo, "rev-parse", "relay/add-a-slugify-helper-with-tests") == before[1]
        assert (repo / ".git" / "relay-git" / "last-invalid-reply.txt").is_file()
        return
    report = json.loads(out)
    assert (git(repo, "status", "--porcelain"), git(repo, "rev-parse", "HEAD")) == before
    assert git(repo, "symbolic-ref", "--short", "HEAD").strip() == "main"
    branch = report["branch"]
    assert git(repo, "rev-parse", "--verify", branch).strip()
    for commit in report["commits"]:
        trailers = git(repo, "log", "-1", "--format=%(trailers)", commit["sha"])
        for key in ("Relay-Coder:", "Relay-Reviewer:", "Relay-Stage:", "Relay-Tokens:"):
            assert key in trailers
    entries = report["ledger"]
    assert {e["stage"] for e in entries} >= {"plan", "plan-review", "generate", "review"}
    assert all(e["output_tokens"] > 0 and e["seconds"] > 0 for e in entries)
    assert report["headline"]["output_tokens"] == sum(e["output_tokens"] for e in entries)
    assert os.path.isdir(report["worktree"])
