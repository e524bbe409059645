"""Dead code: vulture finds no unused function, class, method, property or variable in
src/relay_git, with the settings in pyproject.toml's ``[tool.vulture]`` (confidence 60: see the
comment there) and the names in tests/vulture_whitelist.py that only a library uses.

A finding means: delete the code (or, when something outside Python's own calls uses it, list
it in the whitelist with its reason). The second test plants an unused function in a copy of
the source, so this check is shown to fail when it should.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WHITELIST = "tests/vulture_whitelist.py"

# Known findings not yet deleted (not whitelisted: still dead), without their paths, so a
# move does not change them: none left (issue 20).
PENDING: set[str] = set()


def _vulture(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vulture", *args], cwd=cwd, capture_output=True, text=True
    )


def _findings(stdout: str) -> set[str]:
    """Each finding without its line number and confidence, so edits elsewhere do not move it."""
    return {
        re.sub(r"^(.*?):\d+: (.*?) \(\d+% confidence\)$", r"\1: \2", line)
        for line in stdout.splitlines()
        if line.strip()
    }


def test_src_has_no_dead_code() -> None:
    proc = _vulture()
    assert proc.stderr == ""
    found = {finding.partition(": ")[2] for finding in _findings(proc.stdout)}
    assert found == PENDING, "dead code (delete it):\n" + proc.stdout
    assert proc.returncode == (3 if PENDING else 0)


def test_a_new_unused_function_is_reported(tmp_path: Path) -> None:
    """The same settings over a copy of src/ with one function nobody calls."""
    shutil.copytree(ROOT / "src" / "relay_git", tmp_path / "src" / "relay_git")
    (tmp_path / "tests").mkdir()
    shutil.copy(ROOT / WHITELIST, tmp_path / WHITELIST)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    text = tmp_path / "src" / "relay_git" / "util" / "text.py"
    with text.open("a", encoding="utf-8") as f:
        f.write("\n\ndef never_called(value: str) -> str:\n    return value.strip()\n")
    proc = _vulture(cwd=tmp_path)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "src/relay_git/util/text.py: unused function 'never_called'" in _findings(proc.stdout)
