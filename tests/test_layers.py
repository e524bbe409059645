"""The layers README.md draws hold in the code: import-linter checks the contracts in
pyproject.toml's ``[tool.importlinter]`` (each layer imports only those below it, the packages
on one line not each other, reporters only render values, no import loops), and an AST walk
finds imports of another package's private names. The README's line is the contract's list.

The last tests plant an upward import, a loop and a private import in a copy of the source, so
each check is shown to fail when it should.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))

# Known exceptions to the rules below: none left since the scaffold's restructuring (issue 20).
PENDING_PRIVATE: set[str] = set()
PENDING_ERRORS: set[str] = set()


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root)])}
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"], cwd=root, env=env, capture_output=True, text=True
    )


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _package(module: str) -> str:
    """The unit whose private names are its own: relay_git.<first part>, or bench."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "relay_git" else parts[0]


def _imports(module: str, tree: ast.Module, is_package: bool) -> list[tuple[str, str]]:
    """(module, name) for each name imported; name "" for ``import a.b``."""
    here = module if is_package else module.rpartition(".")[0]
    found: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = here.split(".")[: len(here.split(".")) - node.level + 1] if node.level else []
            target = ".".join([*base, node.module] if node.module else base)
            found += [(target, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names]
    return found


def private_imports(root: Path) -> set[str]:
    """Imports of a private module or name (``_x``) from another package under ``root``."""
    out = set()
    for path in sorted([*root.glob("src/relay_git/**/*.py"), *root.glob("bench/**/*.py")]):
        rel = path.relative_to(root / "src" if "src" in path.relative_to(root).parts else root)
        module = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for target, name in _imports(module, tree, path.name == "__init__.py"):
            if not target.startswith(("relay_git", "bench")):
                continue
            if _package(target) == _package(module):
                continue
            if any(_private(part) for part in target.split(".")) or _private(name):
                out.add(f"{module} imports {name or target} from {target}")
    return out


def test_the_import_contracts_hold() -> None:
    proc = _lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 kept, 0 broken" in proc.stdout


def test_no_private_names_are_imported_across_packages() -> None:
    assert private_imports(ROOT) == PENDING_PRIVATE


def _relay_errors_elsewhere(src: Path) -> dict[str, str]:
    """Subclasses of errors.py's classes defined in any other module (by base class name):
    class name -> where."""
    errors = ast.parse((src / "errors.py").read_text(encoding="utf-8"))
    known = {node.name for node in errors.body if isinstance(node, ast.ClassDef)}
    found: dict[str, str] = {}
    trees = {p: ast.parse(p.read_text(encoding="utf-8")) for p in sorted(src.glob("**/*.py"))}
    while True:  # a subclass of a subclass counts too
        before = len(found)
        for path, tree in trees.items():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and path.name != "errors.py":
                    bases = {ast.unparse(b).rpartition(".")[2] for b in node.bases}
                    if bases & (known | set(found)):
                        found[node.name] = str(path.relative_to(src))
        if len(found) == before:
            return found


def test_every_relay_error_is_defined_in_errors_py() -> None:
    """One place for errors, each with its exit code (README: errors.py)."""
    found = _relay_errors_elsewhere(ROOT / "src" / "relay_git")
    assert set(found) == PENDING_ERRORS, found


@pytest.mark.parametrize(
    ("contract_id", "start"), [("layers", "`cli` → "), ("scaffold", "Inside `scaffold/`: ")]
)
def test_the_readme_draws_the_contracts_layers(contract_id: str, start: str) -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (contract,) = [c for c in contracts if c["id"] == contract_id]
    layers = [[name.strip() for name in layer.split("|")] for layer in contract["layers"]]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (line,) = [ln for ln in readme.splitlines() if ln.startswith(start)]
    steps = line.split(": ", 1)[-1].split(" → ")  # without its label ("Inside `scaffold/`: ")
    drawn = [re.findall(r"`([a-z_]+)/?`", step) for step in steps]
    assert drawn == layers


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "src" / "relay_git", tmp_path / "src" / "relay_git")
    shutil.copytree(ROOT / "bench", tmp_path / "bench", ignore=shutil.ignore_patterns("results"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(f"\n{line}\n")


def test_an_upward_import_and_a_loop_break_the_contracts(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _append(root / "src/relay_git/util/text.py", "from relay_git import cli")
    _append(root / "src/relay_git/config/schema.py", "from relay_git.config import validation")
    _append(root / "src/relay_git/scaffold/verify/gate.py", "from relay_git.scaffold import state")
    proc = _lint_imports(root)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "relay_git.util.text -> relay_git.cli" in proc.stdout
    assert "in relay_git.config." in proc.stdout and ".validation -> .schema" in proc.stdout
    assert "relay_git.scaffold.verify.gate -> relay_git.scaffold.state" in proc.stdout
    assert "0 kept, 4 broken" in proc.stdout  # reporters reach app through the loop too


def test_a_private_import_across_packages_is_found(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _append(root / "src/relay_git/util/text.py", "from relay_git.models._http import LINE")
    _append(root / "src/relay_git/git/repo.py", "from relay_git.util.fs import _tmp_name")
    found = private_imports(root) - PENDING_PRIVATE
    assert found == {
        "relay_git.util.text imports LINE from relay_git.models._http",
        "relay_git.git.repo imports _tmp_name from relay_git.util.fs",
    }
