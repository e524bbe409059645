"""The ``relay-git`` command ignores code put in its place through PYTHONPATH (issue 18, Low).

A fake ``relay_git`` package on PYTHONPATH (an absolute directory, or ``.`` in a repository
that ships one) would otherwise be imported by the command instead of the installed
package. The launcher (src/relay-git, installed by pip as the ``relay-git`` script) drops
PYTHONPATH's entries first. The control shows the same PYTHONPATH does reach a plain
``python``, so the assertions can fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

LAUNCHER = Path(__file__).resolve().parents[2] / "src" / "relay-git"
FAKE = "import pathlib\npathlib.Path({marker!r}).write_text('pwned')\nraise SystemExit('PWNED')\n"


@pytest.fixture
def fake(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "relay_git").mkdir(parents=True)
    marker = tmp_path / "marker"
    (root / "relay_git" / "__init__.py").write_text(FAKE.format(marker=str(marker)))
    return root


def _run(argv: list[str], fake: Path, pythonpath: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = pythonpath
    return subprocess.run(argv, cwd=fake, env=env, capture_output=True, text=True, timeout=60)


def test_the_control_plain_python_imports_the_fake(fake: Path) -> None:
    proc = _run([sys.executable, "-c", "import relay_git"], fake, str(fake))
    assert "PWNED" in proc.stderr and (fake.parent / "marker").exists()


@pytest.mark.parametrize("pythonpath", ["absolute", ".", ":"])
def test_the_launcher_ignores_pythonpath(fake: Path, tmp_path: Path, pythonpath: str) -> None:
    """Run from a directory of its own, as pip installs it beside the interpreter."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shutil.copy(LAUNCHER, bin_dir / "relay-git")
    value = str(fake) if pythonpath == "absolute" else pythonpath
    proc = _run([sys.executable, str(bin_dir / "relay-git"), "--version"], fake, value)
    assert proc.returncode == 0, proc.stderr
    assert "relay-git, version" in proc.stdout and "PWNED" not in proc.stderr
    assert not (fake.parent / "marker").exists()


def test_the_installed_command_is_the_launcher_and_ignores_pythonpath(fake: Path) -> None:
    installed = Path(sys.executable).with_name("relay-git")
    if not installed.exists():
        pytest.skip("relay-git is not installed beside this Python (pip install -e .)")
    assert "PYTHONPATH" in installed.read_text(), "reinstall: pip install -e . (an old script)"
    proc = _run([str(installed), "--version"], fake, str(fake))
    assert proc.returncode == 0, proc.stderr
    assert "relay-git, version" in proc.stdout and "PWNED" not in proc.stderr
    assert not (fake.parent / "marker").exists()
