"""The top-level ``templates/`` folder is found by an installed wheel, an editable install and
a source checkout (this test suite), each exercised for real: pip builds and installs the
project into a scratch virtualenv, and the installed interpreter loads a template.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import venv
from pathlib import Path

import pytest
from tests.conftest import git

import relay_git
from relay_git.models import prompts

ROOT = Path(__file__).resolve().parents[1]
# Run by the installed interpreter in a scratch repository. Only third-party packages come
# from this test's interpreter (appended last, and .pth files are not read): relay_git must
# come from the install under test. It then runs `relay-git init --dry-run` there.
PROBE = """
import sys
sys.path.append({deps!r})
import relay_git, relay_git.models.prompts as p
from relay_git.cli import main
print(relay_git.__file__)
print(p.template_dir().joinpath("review.system.j2"))
print(len(p.source("review.system.j2")), flush=True)
sys.exit(main(["init", "--dry-run"]))
""".format(deps=sysconfig.get_paths()["purelib"])


def _shipped() -> list[str]:
    return sorted(path.name for path in (ROOT / "templates").glob("*.j2"))


def _pip(*args: str) -> None:
    """pip as a user runs it; without PYTHONPATH, which would make src/ look installed."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--quiet", *args], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr


def _copy_checkout(dest: Path) -> Path:
    """What a clone holds, copied so that setuptools' build/ never lands in this checkout."""
    for name in ("src", "templates"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("*.egg-info"))
    for name in ("pyproject.toml", "README.md", ".gitignore"):
        shutil.copy(ROOT / name, dest / name)
    return dest


def _scratch_venv(where: Path) -> Path:
    """A virtualenv without pip of its own: the test's pip installs into it (``--python``)."""
    venv.create(where, with_pip=False)
    return where / "bin" / "python"


def _probe(python: Path, tmp_path: Path) -> list[str]:
    """relay_git's file, review.system.j2's path, its length; init's diff is checked here."""
    repo = tmp_path / "user-repo"
    repo.mkdir()
    git(repo, "init", "-q")
    proc = subprocess.run(
        [str(python), "-I", "-c", PROBE], capture_output=True, text=True, cwd=repo
    )
    assert proc.returncode == 0, proc.stderr
    assert "+++ b/.relay-git.toml" in proc.stdout and "+++ b/.pre-commit-config.yaml" in proc.stdout
    return proc.stdout.splitlines()[:3]


def test_checkout_finds_top_level_templates() -> None:
    assert Path(relay_git.__file__).resolve().parent == ROOT / "src" / "relay_git"
    assert Path(str(prompts.template_dir())) == ROOT / "templates"
    assert "review.system.j2" in _shipped()
    for name in _shipped():
        assert prompts.source(name) == (ROOT / "templates" / name).read_text(encoding="utf-8")


def test_no_templates_left_inside_src() -> None:
    assert not (ROOT / "src" / "relay_git" / "templates").exists()


def test_pyproject_lists_every_package() -> None:
    """setuptools is given an explicit package list (for the templates mapping): keep it whole."""
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {
        ".".join(init.parent.relative_to(ROOT / "src").parts)
        for init in (ROOT / "src").rglob("__init__.py")
    }
    assert set(tool["packages"]) == on_disk | {"relay_git.templates"}
    assert tool["package-dir"]["relay_git.templates"] == "templates"


@pytest.mark.slow
def test_installed_wheel_finds_templates(tmp_path: Path) -> None:
    project = _copy_checkout(tmp_path / "checkout")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "clone")
    _pip("wheel", "--no-deps", "--wheel-dir", str(tmp_path / "dist"), str(project))
    assert (project / "build").is_dir()  # setuptools builds in the tree...
    assert git(project, "status", "--porcelain", "--untracked-files=all") == ""  # ...ignored
    (wheel,) = (tmp_path / "dist").glob("relay_git-*.whl")
    python = _scratch_venv(tmp_path / "venv")
    _pip("--python", str(python), "install", "--no-deps", str(wheel))
    module, found, size = _probe(python, tmp_path)
    site = tmp_path / "venv" / "lib"
    assert Path(module).is_relative_to(site)
    assert Path(found).is_relative_to(site) and Path(found).parent.name == "templates"
    assert int(size) == len((ROOT / "templates" / "review.system.j2").read_text())
    assert sorted(p.name for p in Path(found).parent.glob("*.j2")) == _shipped()
    starters = sorted(p.name for p in (ROOT / "templates" / "starter").iterdir())
    assert sorted(p.name for p in (Path(found).parent / "starter").iterdir()) == starters


@pytest.mark.slow
def test_editable_install_finds_templates(tmp_path: Path) -> None:
    project = _copy_checkout(tmp_path / "checkout")
    python = _scratch_venv(tmp_path / "venv")
    _pip("--python", str(python), "install", "--no-deps", "--editable", str(project))
    module, found, size = _probe(python, tmp_path)
    assert Path(module) == project / "src" / "relay_git" / "__init__.py"
    assert Path(found) == project / "templates" / "review.system.j2"
    assert int(size) == len((ROOT / "templates" / "review.system.j2").read_text())


def test_every_package_has_its_mirror_under_tests() -> None:
    """``tests/X/`` mirrors ``src/relay_git/X/`` (scaffold's sub-packages too), so a
    package's tests are found where its code is."""
    src = ROOT / "src" / "relay_git"
    packages = [p.parent.relative_to(src) for p in src.rglob("__init__.py") if p.parent != src]
    missing = [str(p) for p in packages if not (ROOT / "tests" / p).is_dir()]
    assert missing == [], f"packages without a tests/ folder of the same path: {missing}"
