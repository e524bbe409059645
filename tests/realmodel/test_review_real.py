"""`relay-git review` end to end on a real model: a real llama.cpp server (llama_cpp.server)
serving the real SmolLM2 GGUF, reached through the openai backend, from a real process.

Quality is not the point: the wire, the schema and the ledger are.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import jsonschema
import pytest
from tests.conftest import git

pytestmark = pytest.mark.realmodel
SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "review.schema.json").read_text())
SRC = str(Path(__file__).parents[2] / "src")


def _review(repo: Path, base_url: str, model: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "RELAY_GIT_OPENAI_BASE_URL": base_url,
        "RELAY_GIT_MAX_CONTEXT": "4096",  # the server's n_ctx: its /v1/models does not say
        "PYTHONPATH": SRC,
    }
    return subprocess.run(
        [sys.executable, "-m", "relay_git", "review", "--reviewer", f"openai:{model}", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_review_against_a_real_llama_cpp_server(llama_server: str, repo: Path) -> None:
    model = httpx.get(f"{llama_server}/models", timeout=10).json()["data"][0]["id"]
    (repo / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    git(repo, "add", "calc.py")

    first = _review(repo, llama_server, model, "--format", "json", "--fail-on", "never")

    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    jsonschema.validate(data, SCHEMA)
    assert data["coverage"]["reviewed"] == ["calc.py"]
    [entry] = [e for e in data["ledger"] if e["stage"] == "review"][:1]
    assert entry["model"] == f"openai:{model}"
    assert entry["prompt_tokens"] > 50 and entry["output_tokens"] > 0
    assert entry["prompt_tokens"] + entry["output_tokens"] <= entry["context"] == 4096
    print("ledger:", json.dumps(data["ledger"]))  # quoted in the closing note

    again = _review(repo, llama_server, model, "--format", "json", "--fail-on", "never")
    assert again.returncode == 0
    assert json.loads(again.stdout)["ledger"] == []  # answered from the cache, no model call
