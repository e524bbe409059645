"""Turning a small model's test drafts into tests that can fail, one assertion at a time.

Tiny models import from the wrong place, redefine the function under test, or write
loose ``assert`` lines. ``extract`` keeps only what is a test: ``test_*`` functions and
bare asserts, split to one assertion each when a test is nothing but asserts, each one
required to mention a name under test. Imports of the code under test are dropped; the
file gets the right ones from ``compose``. Whether a test is any good is decided later
by running it (``select``), not here. Pure.
"""

from __future__ import annotations

import ast
import re
import sys
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

_FIXTURES = frozenset({"tmp_path", "capsys", "monkeypatch", "caplog", "tmpdir", "request"})
_SAFE_TOP = frozenset(sys.stdlib_module_names) | {"pytest"}


@dataclass(frozen=True)
class TestFn:
    name: str
    source: str  # one top-level function definition
    imports: tuple[str, ...] = ()  # stdlib or pytest imports it may need

    __test__ = False  # not a pytest class, whatever its name


def _names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
    }


def _safe_imports(tree: ast.Module, lines: list[str]) -> tuple[str, ...]:
    kept = []
    for node in tree.body:
        if (
            isinstance(node, ast.Import)
            and all(a.name.split(".")[0] in _SAFE_TOP for a in node.names)
        ) or (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").split(".")[0] in _SAFE_TOP
        ):
            kept.append(ast.get_source_segment("\n".join(lines), node) or "")
    return tuple(k for k in kept if k)


def _function(name: str, body: Iterable[str]) -> str:
    inner = "\n".join(textwrap.indent(b, "    ") for b in body)
    return f"def {name}():\n{inner}\n"


def _from_def(node: ast.FunctionDef, source: str) -> list[tuple[ast.AST, str, str]]:
    """(node, name, source): the test itself, or one per assertion when it is only asserts
    (each then judged on its own assertion)."""
    params = [a.arg for a in node.args.args if a.arg != "self"]
    if any(p not in _FIXTURES for p in params) or node.decorator_list:
        return []
    segments = [ast.get_source_segment(source, s) or "" for s in node.body]
    if len(node.body) > 1 and all(isinstance(s, ast.Assert) for s in node.body) and not params:
        return [
            (stmt, f"{node.name}_{i}", _function(f"{node.name}_{i}", [seg]))
            for i, (stmt, seg) in enumerate(zip(node.body, segments, strict=True), 1)
        ]
    text = ast.get_source_segment(source, node, padded=True) or ""
    text = textwrap.dedent(text)
    if "self" in [a.arg for a in node.args.args]:
        text = re.sub(r"\(\s*self\s*,?\s*", "(", text, count=1)
    return [(node, node.name, text + ("\n" if not text.endswith("\n") else ""))]


def _candidates(tree: ast.Module, source: str, stem: str) -> list[tuple[ast.AST, str, str]]:
    found: list[tuple[ast.AST, str, str]] = []
    loose = 0
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            found += _from_def(node, source)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name.startswith("test"):
                    found += _from_def(item, source)
        elif isinstance(node, ast.Assert):
            loose += 1
            name = f"test_{stem}_{loose}"
            found.append(
                (node, name, _function(name, [ast.get_source_segment(source, node) or ""]))
            )
        elif isinstance(node, ast.If):  # if __name__ == "__main__": assert ...
            for inner in node.body:
                if isinstance(inner, ast.Assert):
                    loose += 1
                    name = f"test_{stem}_{loose}"
                    seg = ast.get_source_segment(source, inner) or ""
                    found.append((inner, name, _function(name, [seg])))
    return found


def extract(block: str, names: Sequence[str]) -> list[TestFn]:
    """The tests in a drafted block that mention at least one of ``names``."""
    try:
        tree = ast.parse(block)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    wanted = set(names)
    imports = _safe_imports(tree, block.splitlines())
    stem = names[0] if names else "case"
    out = []
    for node, name, text in _candidates(tree, block, stem):
        if wanted and not (_names_in(node) & wanted):
            continue
        if not any(isinstance(n, ast.Assert) or _raises(n) for n in ast.walk(node)):
            continue
        out.append(TestFn(name, text, imports))
    return out


def _raises(node: ast.AST) -> bool:
    return isinstance(node, ast.With) and "raises" in ast.dump(node)


def unique(tests: Iterable[TestFn], taken: Iterable[str] = ()) -> list[TestFn]:
    """Tests with duplicates (same code) dropped and every name made unique."""
    seen_code: set[str] = set()
    used = set(taken)
    out = []
    for test in tests:
        body = test.source.split("\n", 1)[1] if "\n" in test.source else test.source
        if body in seen_code:
            continue
        seen_code.add(body)
        name = test.name
        n = 2
        while name in used:
            name, n = f"{test.name}_{n}", n + 1
        used.add(name)
        source = test.source.replace(f"def {test.name}(", f"def {name}(", 1)
        out.append(TestFn(name, source, test.imports))
    return out


def compose(existing: str | None, where: Mapping[str, str], tests: Sequence[TestFn]) -> str:
    """A test file: ``existing`` kept whole, the right imports added, ``tests`` appended.

    ``where`` maps each name under test to its module, e.g. ``{"slugify": "textkit.slug"}``.
    """
    used = {n for n in where if any(re.search(rf"\b{re.escape(n)}\b", t.source) for t in tests)}
    by_module: dict[str, list[str]] = {}
    for name in sorted(used):
        by_module.setdefault(where[name], []).append(name)
    lines = [f"from {m} import {', '.join(ns)}" for m, ns in sorted(by_module.items())]
    lines += [i for t in tests for i in t.imports]
    head = existing.rstrip("\n") + "\n" if existing and existing.strip() else ""
    new_imports = [i for i in dict.fromkeys(lines) if i not in head.splitlines()]
    body = "\n\n".join(t.source.rstrip("\n") for t in tests)
    parts = [p for p in (head, "\n".join(new_imports), body) if p.strip()]
    return "\n\n\n".join(p.strip("\n") for p in parts) + "\n"
