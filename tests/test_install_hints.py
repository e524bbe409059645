"""Every "how to fix" hint is a command that works outside this checkout (relay-git is not
on PyPI, so ``pip install 'relay-git[local]'`` only works in a clone)."""

from __future__ import annotations

import re
import shlex
import sys
import tomllib
from pathlib import Path

from relay_git.models import llamacpp, local

ROOT = Path(__file__).resolve().parents[1]


def test_local_packages_are_the_local_extra() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert list(local.LOCAL_PACKAGES) == pyproject["project"]["optional-dependencies"]["local"]


def test_local_fix_installs_those_packages_into_this_python() -> None:
    fix = local.local_fix()
    assert fix == llamacpp.LOCAL_FIX
    words = shlex.split(fix, comments=True)  # the note is a shell comment: safe to paste
    assert words == [sys.executable, "-m", "pip", "install", *local.LOCAL_PACKAGES]
    assert "relay-git[" not in fix


def test_no_source_names_a_package_that_is_not_on_pypi() -> None:
    """`pip install relay-git` / `'relay-git[local]'` cannot work for a wheel user."""
    bad = re.compile(r"pip install ['\"]?relay-git\b")
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in (ROOT / "src").rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if bad.search(line)
    ]
    assert offenders == []
