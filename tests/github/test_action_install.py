"""The composite action (action.yml) run step by step as GitHub's runner runs it.

A small runner: each `run:` step goes to bash in its `working-directory` (else
$GITHUB_WORKSPACE, the pull request's checkout) with its `env:`, after the
`${{ inputs.* }}` and `${{ github.* }}` expressions are filled in. A fresh virtualenv
stands in for actions/setup-python (a JavaScript action, not run here). The install step
really installs from PyPI with --require-hashes, so this needs the package index that
developers and CI reach. The pull request adds pip/, setuptools/ and relay_git/ packages
that leave a marker file when imported; none may run. The review step talks to the
loopback stand-ins for api.github.com (tests/github/fake_github.py) and Ollama
(bench/standin.py).
"""

from __future__ import annotations

import os
import re
import subprocess
import venv
from pathlib import Path
from typing import Any

import yaml
from bench.standin import SPEC, error_at, serve
from tests.conftest import copy_checkout, git
from tests.github.conftest import PR, TOKEN
from tests.github.fake_github import FakeGitHub

ROOT = Path(__file__).resolve().parents[2]
_EXPR = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")
_PIN = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+)")
HOSTILE = "import pathlib\npathlib.Path({marker!r}).write_text('{name} from the pull request')\n"


def requirement_names(text: str) -> set[str]:
    return {m.group(1).lower().replace("_", "-") for m in map(_PIN.match, text.splitlines()) if m}


def test_lock_file_pins_every_dependency_by_hash() -> None:
    """Each runtime dependency (and its own, from installed metadata) is pinned with hashes."""
    from importlib.metadata import requires

    text = (ROOT / "action-requirements.txt").read_text()
    entries = re.split(r"\n(?=[A-Za-z])", text.split("\n", 2)[2])
    assert entries and all("==" in e and "--hash=sha256:" in e for e in entries)
    pinned = requirement_names(text)
    wanted = {"setuptools", "wheel"}  # the build backend, installed --no-build-isolation
    todo = ["relay-git"]
    while todo:
        for req in requires(todo.pop()) or []:
            if ";" in req and "extra ==" in req:
                continue
            name = re.split(r"[\s<>=!~;\[(]", req, maxsplit=1)[0].lower().replace("_", "-")
            if name not in wanted and ";" not in req:
                wanted.add(name)
                todo.append(name)
    assert wanted <= pinned, sorted(wanted - pinned)


def fill(text: str, values: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        assert m.group(1) in values, f"the test runner does not know ${{{{ {m.group(1)} }}}}"
        return values[m.group(1)]

    return _EXPR.sub(one, text)


def run_action(
    workspace: Path, action_path: Path, inputs: dict[str, str], base_env: dict[str, str]
) -> list[subprocess.CompletedProcess[str]]:
    action: dict[str, Any] = yaml.safe_load((action_path / "action.yml").read_text())
    values = {"github.action_path": str(action_path), "github.token": TOKEN}
    for name, spec in action["inputs"].items():
        values[f"inputs.{name}"] = fill(str(inputs.get(name, spec.get("default", ""))), values)
    done = []
    for step in action["runs"]["steps"]:
        if "run" not in step:
            continue  # actions/setup-python: the virtualenv on PATH stands in for it
        step_env = {k: fill(str(v), values) for k, v in (step.get("env") or {}).items()}
        env = dict(base_env, **step_env)
        cwd = fill(step.get("working-directory", str(workspace)), values)
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        done.append(proc)
        if proc.returncode != 0 and step.get("name") == "Install relay-git":
            break
    return done


def test_action_installs_from_its_own_files_and_reviews(pr: PR, tmp_path: Path) -> None:
    marker = tmp_path / "pr-code-ran"
    hostile = {}
    for package in ("pip", "setuptools", "relay_git"):
        for module in ("__init__.py", "__main__.py"):
            hostile[f"{package}/{module}"] = HOSTILE.format(marker=str(marker), name=package)
    for name in hostile:
        (pr.root / name).parent.mkdir(exist_ok=True)
    pr.commit(hostile, "a pull request that brings its own pip, setuptools and relay_git")
    action_path = copy_checkout(ROOT, tmp_path / "action")
    python = tmp_path / "python"
    venv.EnvBuilder(with_pip=True).create(python)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{python / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(pr.root)  # a workflow that set this still gets the real tool
    env["GITHUB_EVENT_NAME"] = "pull_request"
    env["GITHUB_WORKSPACE"] = str(pr.root)
    with FakeGitHub(pr.diff(), pr.head, token=TOKEN) as gh, serve(error_at("app.py", 6)) as model:
        env["GITHUB_API_URL"] = gh.url
        inputs = {"reviewer": SPEC, "ollama-host": model.url, "max-comments": "5"}
        install, *rest = run_action(pr.root, action_path, inputs, env)
    assert install.returncode == 0, install.stderr[-3000:]
    [review] = rest
    assert not marker.exists(), marker.read_text()
    assert (python / "bin" / "relay-git").exists()
    assert review.returncode == 1, review.stderr[-3000:]  # an error finding, fail-on error
    assert len(model.chats) == 1 and len(gh.reviews) == 1
    assert "::error file=app.py,line=6" in review.stdout
    assert git(pr.root, "status", "--porcelain") == ""  # nothing built into the checkout
