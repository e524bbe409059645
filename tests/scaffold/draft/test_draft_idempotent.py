"""Writing back what is already there changes nothing: the whole module, any one of its
definitions, any one method inside its class (pure; every definition of the samples)."""

from __future__ import annotations

import ast

import pytest
from tests.scaffold.draft.samples import MODULE, NESTED, STORE

from relay_git.scaffold.draft import apply_reply

MODULES = {"store.py": STORE, "h.py": MODULE, "n.py": NESTED}


def _pieces() -> list[tuple[str, str]]:
    """(path, block) for each definition and each method, as a model would repeat it."""
    out = []
    for path, source in MODULES.items():
        lines = source.splitlines()
        for node in ast.parse(source).body:
            if not isinstance(node, ast.FunctionDef | ast.ClassDef):
                continue
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
            out.append((path, "\n".join(lines[start : node.end_lineno]) + "\n"))
            for inner in node.body if isinstance(node, ast.ClassDef) else []:
                if isinstance(inner, ast.FunctionDef | ast.ClassDef):
                    first = min([inner.lineno, *(d.lineno for d in inner.decorator_list)]) - 1
                    body = "\n".join(lines[first : inner.end_lineno])
                    out.append((path, f"class {node.name}:\n{body}\n"))
    return out


@pytest.mark.parametrize("path", sorted(MODULES))
def test_the_whole_module_written_back_changes_nothing(path: str) -> None:
    reply = f"{path}\n```python\n{MODULES[path]}```\n"
    applied = apply_reply(reply, MODULES.get, [path])
    assert (applied.files, applied.problems) == ({}, ())


@pytest.mark.parametrize(("path", "block"), _pieces())
def test_one_definition_written_back_changes_nothing(path: str, block: str) -> None:
    applied = apply_reply(f"{path}\n```python\n{block}```\n", MODULES.get, [path])
    assert (applied.files, applied.problems) == ({}, ())
