"""A Python block for one path: the whole new module, or a partial edit merged by name.

The rule (what a model means by its block):

- no file yet or an empty one: the block is the whole file; a file that does not parse
  here (newer syntax, a conflict marker) takes a block that defines every name it defines at
  column 0 as the whole file, and refuses a partial one;
- otherwise the block is the **whole file** when it holds no placeholder
  (``# ... existing code ...``, a bare ``...``), leaves no name dangling (every module-level
  name of the old file that it uses, it defines or imports itself), keeps the module
  docstring if the old file had one, and either defines every
  def/class of the old module at every depth (and its ``if __name__`` block, if it had
  one), or leaves out no more of them than it adds while keeping at least half of the old
  module's lines (a rename or a rewrite: ``old_name`` became ``new_name``, and is gone);
- anything else is a **partial edit**, merged by qualified name (``pymerge``).

A truncated block (the reply cut mid-line) is cut back to its longest prefix that parses,
applied, and reported with the line where it was cut.
"""

from __future__ import annotations

import ast
import builtins
import re

from relay_git.scaffold.draft.placeholder import is_placeholder
from relay_git.scaffold.draft.pymerge import merge_python, qualified
from relay_git.scaffold.draft.textmerge import kept_share
from relay_git.scaffold.draft.validate import parse_python, python_error

_TOP_DEF = re.compile(r"^(?:async\s+def|def|class)\s+(\w+)", re.M)
WHOLE = "whole-file"
MERGE = "python-merge"


def apply_python(old: str | None, block: str) -> tuple[str | None, list[str], str]:
    """(new text or None, problems, form) for a block that parses; the caller checks that
    the new text parses too."""
    if old is None or not old.strip():
        return _strip_placeholders(block), [], WHOLE
    old_tree, new_tree = parse_python(old), parse_python(block)
    if old_tree is None or new_tree is None:  # a file this Python cannot read
        if new_tree is not None and (_top_names(old) <= qualified(new_tree.body)):
            return block, [], WHOLE
        return (
            None,
            [
                f"the file does not parse here ({python_error(old)}), so a partial "
                "edit cannot be merged into it; write the whole file or SEARCH/REPLACE "
                "blocks"
            ],
            MERGE,
        )
    if is_rewrite(old, old_tree, block, new_tree):
        return block, [], WHOLE
    merged, problems = merge_python(old, old_tree, block, new_tree)
    return merged, problems, MERGE


def _top_names(source: str) -> set[str]:
    """The names a module defines at column 0, read without parsing it."""
    return {m.group(1) for m in _TOP_DEF.finditer(source)}


def _strip_placeholders(block: str) -> str:
    lines = [line for line in block.splitlines() if not is_placeholder(line)]
    return "\n".join(lines).strip("\n") + "\n" if any(x.strip() for x in lines) else ""


def is_rewrite(old: str, old_tree: ast.Module, new: str, new_tree: ast.Module) -> bool:
    """``new`` is a complete replacement of ``old`` (see the module docstring)."""
    if any(is_placeholder(line) for line in new.splitlines()) or _has_ellipsis(new_tree):
        return False
    if _dangling(old_tree, new_tree) or (_docstring(old_tree) and not _docstring(new_tree)):
        return False
    before = qualified(old_tree.body) | _main(old_tree)
    after = qualified(new_tree.body) | _main(new_tree)
    missing, added = before - after, after - before
    if not missing:
        return True
    return len(missing) <= len(added) and kept_share(old, new) >= 0.5


def _docstring(tree: ast.Module) -> bool:
    return ast.get_docstring(tree, clean=False) is not None


def _main(tree: ast.Module) -> set[str]:
    found = any(
        isinstance(s, ast.If) and "__name__" in ast.dump(s.test) and "__main__" in ast.dump(s.test)
        for s in tree.body
    )
    return {"if __name__"} if found else set()


def _has_ellipsis(tree: ast.Module) -> bool:
    """A bare ``...`` at module level or among the members of a class."""
    bodies = [tree.body, *(n.body for n in ast.walk(tree) if isinstance(n, ast.ClassDef))]
    for body in bodies:
        members = [s for s in body if not _is_ellipsis(s)]
        if members and len(members) < len(body):
            return True
    return False


def _is_ellipsis(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and stmt.value.value is Ellipsis
    )


def _bound(tree: ast.Module) -> set[str]:
    """Names a module binds at top level."""
    out: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            out.add(stmt.name)
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            out |= {(a.asname or a.name).split(".")[0] for a in stmt.names}
        else:
            for node in ast.walk(stmt):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    out.add(node.id)
    return out


def _dangling(old_tree: ast.Module, new_tree: ast.Module) -> bool:
    """``new`` uses a name the old module binds and ``new`` does not."""
    used = {n.id for n in ast.walk(new_tree) if isinstance(n, ast.Name)}
    local = {
        a.arg for n in ast.walk(new_tree) if isinstance(n, ast.arguments) for a in _args(n)
    } | {
        n.id for n in ast.walk(new_tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    needed = (used & _bound(old_tree)) - _bound(new_tree) - local - set(dir(builtins))
    return bool(needed)


def _args(node: ast.arguments) -> list[ast.arg]:
    extra = [a for a in (node.vararg, node.kwarg) if a is not None]
    return [*node.posonlyargs, *node.args, *node.kwonlyargs, *extra]
