"""What the README tells a newcomer to type: one marked placeholder, no tag that does not
exist, and a pre-commit snippet that the real pre-commit framework accepts and pins."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from tests.conftest import git

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
FORK_URL = "https://github.com/<YOUR-FORK>/relay-git"
PRE_COMMIT = shutil.which("pre-commit") or str(Path(sys.executable).with_name("pre-commit"))


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, re.DOTALL)


def test_one_placeholder_explained_once() -> None:
    assert "OWNER" not in README
    assert README.count("**`<YOUR-FORK>`** below stands for") == 1
    first = README.index("<YOUR-FORK>")
    assert first == README.index("**`<YOUR-FORK>`** below stands for") + 3


def test_no_tag_that_does_not_exist() -> None:
    manifest = (ROOT / ".pre-commit-hooks.yaml").read_text()
    revs = re.findall(r"^[#\s]*rev:\s*(\S+)", README + manifest, re.MULTILINE)
    assert revs and set(revs) == {"main"}
    assert not re.search(r"relay-git@v\d", README)


def test_quick_start_is_install_init_review() -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    steps = [section.index(word) for word in ("pipx install", "relay-git init", "relay-git review")]
    assert steps == sorted(steps)
    assert "relay-git completion bash" in README


@pytest.fixture
def fork(tmp_path: Path) -> tuple[Path, str]:
    """A committed copy of this checkout on branch main: what `<YOUR-FORK>` points at."""
    copy = tmp_path / "fork"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".git", ".venv", "*cache*", "build"))
    git(copy, "init", "-q", "-b", "main")
    git(copy, "add", "-A")
    git(copy, "commit", "-q", "-m", "fork")
    return copy, git(copy, "rev-parse", "HEAD").strip()


def test_pre_commit_snippet_validates_and_autoupdate_pins_a_sha(
    repo: Path, fork: tuple[Path, str], tmp_path: Path
) -> None:
    (snippet,) = [b for b in _blocks("yaml") if "id: relay-git-review" in b]
    config = "repos:\n" + snippet.replace(FORK_URL, str(fork[0]))
    (repo / ".pre-commit-config.yaml").write_text(config)
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "pch"))
    for args in (["validate-config"], ["autoupdate"]):
        proc = subprocess.run(
            [PRE_COMMIT, *args, "--color", "never"],
            cwd=repo, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
    pinned = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())["repos"][0]
    assert pinned["rev"] == fork[1]
    assert pinned["hooks"] == [{"id": "relay-git-review"}]
