"""The composite action: inputs reach relay-git only through `env:`, and the example workflow
is the safe one (`on: pull_request`, least permissions, full history)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def load(name: str) -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load((ROOT / name).read_text())
    return data


def test_no_expression_is_interpolated_into_shell() -> None:
    steps = load("action.yml")["runs"]["steps"]
    scripts = [s["run"] for s in steps if "run" in s]
    assert scripts and all("${{" not in script for script in scripts)
    assert scripts[-1].strip() == "python -I -m relay_git github"  # only install and call
    assert all(s.get("shell") == "bash" for s in steps if "run" in s)


def test_every_input_is_passed_through_env() -> None:
    action = load("action.yml")
    env_values = " ".join(
        str(v) for s in action["runs"]["steps"] for v in (s.get("env") or {}).values()
    )
    used = set(re.findall(r"\$\{\{ inputs\.([a-z-]+) \}\}", env_values))
    setup = action["runs"]["steps"][0]
    assert setup["with"]["python-version"] == "${{ inputs.python-version }}"
    assert used | {"python-version"} == set(action["inputs"])
    assert action["inputs"]["max-comments"]["default"] == "20"
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"


def test_example_workflow_is_least_privilege() -> None:
    wf = load("examples/github-workflow.yml")
    assert set(wf[True]) == {"pull_request"}  # YAML 1.1 reads the key `on` as True
    assert wf["permissions"] == {"contents": "read", "pull-requests": "write"}
    checkout = wf["jobs"]["review"]["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["fetch-depth"] == 0
