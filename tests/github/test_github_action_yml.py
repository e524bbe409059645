"""The composite action: inputs reach relay-git only through `env:`, and the example workflow
is the safe one (`on: pull_request`, least permissions, full history)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = "examples/github-workflow.yml"
USES = re.compile(r"^\s*(?:#\s*)?(?:-\s*)?uses:\s*(.+)$")
PINNED = re.compile(r"[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40} # v\d+\.\d+\.\d+")


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
    assert wf["permissions"] == {}
    job = wf["jobs"]["review"]
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert 0 < job["timeout-minutes"] <= 60
    checkout = job["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["fetch-depth"] == 0


def workflow_texts() -> dict[str, str]:
    """The action, the example workflow and the workflow shown in README.md and the docs."""
    texts = {name: (ROOT / name).read_text() for name in ("action.yml", WORKFLOW)}
    for doc in ("README.md", "docs/github-action.md"):
        text = (ROOT / doc).read_text()
        [block] = re.findall(r"```yaml\n(# \.github/workflows/.*?)```", text, re.S)
        texts[doc] = block
    return texts


def test_every_uses_is_pinned_to_a_commit_with_its_tag() -> None:
    """`uses: owner/repo[/path]@<40 hex> # vX.Y.Z`, commented-out steps included.

    relay-git's own line is the one exception: its SHA is the release the user picks,
    so it is a marked placeholder (RELEASE_SHA) that zizmor is told to skip.
    """
    lines = [ln for text in workflow_texts().values() for ln in text.splitlines()]
    uses = [m.group(1).strip() for m in map(USES.match, lines) if m]
    ours = [u for u in uses if u.startswith("<YOUR-FORK>/relay-git@")]
    assert len(ours) == 3  # the example, README and the docs
    assert all("@RELEASE_SHA # zizmor: ignore[unpinned-uses]" in u for u in ours)
    others = [u for u in uses if u not in ours]
    assert len(others) >= 5
    for u in others:
        assert PINNED.fullmatch(u), u


def test_zizmor_reports_nothing(tmp_path: Path) -> None:
    """zizmor (a dev dependency) audits the action and every copy of the workflow offline."""
    zizmor = shutil.which("zizmor") or shutil.which("zizmor", path=str(Path(sys.executable).parent))
    assert zizmor, "zizmor is in the dev extra: pip install -e '.[dev]'"
    files = []
    for name, text in workflow_texts().items():
        target = tmp_path / name.replace("/", "_")
        target = target if name == "action.yml" else target.with_suffix(".yml")
        target.write_text(text)
        files.append(str(target))
    done = subprocess.run(
        [zizmor, "--offline", "--no-progress", "--format", "json", *files],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout) == []
