"""A Python block folded into an existing module by qualified name.

``merge_python(old, block)`` edits ``old``'s lines in place, so everything the block does not
mention stays byte for byte: a ``class Store:`` holding only ``remove`` and ``low_stock``
replaces ``Store.remove``, adds ``Store.low_stock`` after the class's last method and keeps
every other method, class attribute, decorator and docstring. At every depth a def/class of
the same name is replaced (a class holding only some of its members is merged member by
member, a class holding all of them, without placeholders, replaces the old one); a new one is
added after the last definition of its level (before a module's ``if __name__`` block). New
imports go after the module's imports when they bind something new; constants (upper-case or
call-free assignments) replace their namesake or join the constants; an
``if __name__ == "__main__":`` block replaces the old one or is appended. Stray statements
(example calls, prints) and placeholders (``...``, ``# ... existing code ...``) are dropped;
a function whose body holds a placeholder cannot be merged and is reported.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, field

from relay_git.scaffold.draft.placeholder import is_placeholder

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True)
class Node:
    """A statement of a body, with the lines it spans (0-based, end exclusive)."""

    kind: str  # def, class, import, assign, main, doc, drop
    name: str
    start: int  # first line, leading comments and decorators included
    head: int  # first line of decorators / the statement itself
    end: int
    stmt: ast.stmt


@dataclass
class _Edits:
    """Line edits to ``old``: (start, end, new lines), applied bottom up."""

    items: list[tuple[int, int, int, list[str]]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def put(self, start: int, end: int, lines: list[str]) -> None:
        self.items.append((start, end, len(self.items), lines))

    def apply(self, old: list[str]) -> list[str]:
        out = list(old)
        for start, end, _, lines in sorted(self.items, reverse=True):
            out[start:end] = lines
        return out


def nodes(body: Sequence[ast.stmt], lines: Sequence[str]) -> list[Node]:
    """The statements of a module or class body, classified and with their spans."""
    out: list[Node] = []
    done = min((s.lineno - 1 for s in body), default=0)
    for index, stmt in enumerate(body):
        decorators = getattr(stmt, "decorator_list", [])
        head = min([stmt.lineno, *(d.lineno for d in decorators)]) - 1
        start = head
        while (
            start > done
            and lines[start - 1].lstrip().startswith("#")
            and not is_placeholder(lines[start - 1])
        ):
            start -= 1
        end = _end(stmt, lines)
        out.append(Node(*_kind(stmt, index), start, head, end, stmt))
        done = end
    return out


def _end(stmt: ast.stmt, lines: Sequence[str]) -> int:
    """Line after ``stmt``, with the indented comments that close its body."""
    end = stmt.end_lineno or stmt.lineno
    if not isinstance(stmt, _DEFS):
        return end
    indent = stmt.col_offset
    probe = end
    while probe < len(lines):
        text = lines[probe]
        if text.strip() and not (text.lstrip().startswith("#") and _col(text) > indent):
            break
        probe += 1
        if text.strip():
            end = probe
    return end


def _col(line: str) -> int:
    return len(line) - len(line.lstrip())


def _kind(stmt: ast.stmt, index: int) -> tuple[str, str]:
    if isinstance(stmt, ast.ClassDef):
        return "class", stmt.name
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
        return "def", stmt.name + _accessor(stmt)
    if isinstance(stmt, ast.Import | ast.ImportFrom):
        return "import", ""
    if isinstance(stmt, ast.Assign | ast.AnnAssign):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        if len(targets) == 1 and isinstance(targets[0], ast.Name):
            return "assign", targets[0].id
    if isinstance(stmt, ast.If) and _is_main(stmt.test):
        return "main", "__main__"
    if index == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
        return ("doc" if isinstance(stmt.value.value, str) else "drop"), ""
    return "drop", ""


def _accessor(stmt: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """``.setter``/``.deleter`` for a property's other methods, which share its name."""
    for dec in stmt.decorator_list:
        if isinstance(dec, ast.Attribute) and dec.attr in ("setter", "deleter", "getter"):
            return f".{dec.attr}"
    return ""


def _is_main(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def qualified(body: Sequence[ast.stmt], prefix: str = "") -> set[str]:
    """Qualified names of the defs and classes of a body, at any depth of classes."""
    out: set[str] = set()
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            out.add(prefix + stmt.name + _accessor(stmt))
        elif isinstance(stmt, ast.ClassDef):
            out.add(prefix + stmt.name)
            out |= qualified(stmt.body, f"{prefix}{stmt.name}.")
    return out


def merge_python(
    old: str, old_tree: ast.Module, block: str, new_tree: ast.Module
) -> tuple[str, list[str]]:
    """``old`` with ``block`` merged in, and the problems (one line each) on the way."""
    old_lines, new_lines = old.splitlines(), block.splitlines()
    old_body, new_body = old_tree.body, new_tree.body
    edits = _Edits()
    _merge_body(
        old_lines, nodes(old_body, old_lines), new_lines, nodes(new_body, new_lines), "", edits
    )
    return "\n".join(edits.apply(old_lines)).rstrip("\n") + "\n", edits.problems


def _text(lines: Sequence[str], node: Node, shift: int) -> list[str]:
    out = [line for line in lines[node.start : node.end] if not is_placeholder(line)]
    return [_reindent(line, shift) for line in out]


def _reindent(line: str, shift: int) -> str:
    if shift > 0 and line.strip():
        return " " * shift + line
    if shift < 0:
        return line[min(-shift, _col(line)) :]
    return line


def _merge_body(
    old_lines: list[str],
    old: list[Node],
    new_lines: list[str],
    new: list[Node],
    prefix: str,
    edits: _Edits,
) -> None:
    """Edits that fold ``new`` (a body of the block) into ``old`` (the same body of the file)."""
    named = {_key(n): n for n in old if n.kind != "drop"}
    indent = old[0].stmt.col_offset if old else 0
    slot, before_main = _def_slot(old)
    gap = [""] * (1 if prefix else 2)
    for node in _last_of_each(new):
        shift = indent - node.stmt.col_offset
        mine = named.get(_key(node))
        text = _text(new_lines, node, shift)
        if node.kind in ("def", "class"):
            if mine is not None:
                _merge_def(old_lines, mine, new_lines, node, prefix, edits)
            elif before_main:
                edits.put(slot, slot, [*text, *gap])
            else:
                edits.put(slot, slot, [*gap, *text] if slot > 0 else text)
        elif node.kind == "assign" and (mine is not None or _kept_assign(node, new)):
            _put_or_add(old, mine, text, edits)
        elif node.kind == "main" and not prefix and (mine is not None or _entry_point(node)):
            at = (mine.start, mine.end) if mine else (len(old_lines), len(old_lines))
            edits.put(*at, text if mine else [*gap, *text])
        elif node.kind == "doc" and prefix and mine is not None:
            edits.put(mine.start, mine.end, text)
    if not prefix:
        _add_imports(old, new_lines, new, edits)


def _last_of_each(new: Sequence[Node]) -> list[Node]:
    """The block's nodes, a name it defines twice only its last time (as Python binds it)."""
    last = {_key(n): i for i, n in enumerate(new) if n.kind in ("def", "class", "assign", "main")}
    return [n for i, n in enumerate(new) if last.get(_key(n), i) == i]


def _key(node: Node) -> tuple[str, str]:
    return ("def" if node.kind in ("def", "class") else node.kind), node.name


def _def_slot(old: Sequence[Node]) -> tuple[int, bool]:
    """Where a new definition goes: after the last def/class, or before a later main block
    (then True)."""
    defs = [n for n in old if n.kind in ("def", "class")]
    after = defs[-1].end if defs else (old[-1].end if old else 0)
    mains = [n for n in old if n.kind == "main" and n.start >= after]
    return (mains[0].start, True) if mains else (after, False)


def _kept_assign(node: Node, new: Sequence[Node]) -> bool:
    """A new assignment worth merging: a constant (upper-case or call-free), or a name the
    block's definitions use (``logger = logging.getLogger(__name__)``); not an example
    ``result = add(2, 3)``."""
    if node.name.isupper() or not any(isinstance(n, ast.Call) for n in ast.walk(node.stmt)):
        return True
    defs = [n.stmt for n in new if n.kind in ("def", "class")]
    return any(isinstance(x, ast.Name) and x.id == node.name for d in defs for x in ast.walk(d))


def _entry_point(node: Node) -> bool:
    """A new ``if __name__`` block that runs the program, not a demo printing results."""
    for stmt in getattr(node.stmt, "body", []):
        if isinstance(stmt, ast.Assert):
            return False
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        func = call.func if isinstance(call, ast.Call) else None
        if isinstance(func, ast.Name) and func.id == "print":
            return False
    return True


def _put_or_add(old: Sequence[Node], mine: Node | None, text: list[str], edits: _Edits) -> None:
    """Replace the assignment of the same name, or add it after the imports and constants."""
    if mine is not None:
        edits.put(mine.start, mine.end, text)
        return
    first_def = next((n.start for n in old if n.kind in ("def", "class")), None)
    above = [
        n
        for n in old
        if n.kind in ("import", "assign", "doc") and (first_def is None or n.end <= first_def)
    ]
    if above:
        at = above[-1].end
        edits.put(at, at, text if above[-1].kind == "assign" else ["", *text])
    else:
        at = old[0].start if old else 0
        edits.put(at, at, [*text, ""])


def _merge_def(
    old_lines: list[str], mine: Node, new_lines: list[str], node: Node, prefix: str, edits: _Edits
) -> None:
    """Replace a def/class of the same name, or merge a class holding only some members."""
    qual = prefix + node.name
    shift = mine.stmt.col_offset - node.stmt.col_offset
    if _body_is_placeholder(node.stmt):
        return  # `def f(self): ...` beside a real f means "unchanged"
    if (
        isinstance(node.stmt, ast.ClassDef)
        and isinstance(mine.stmt, ast.ClassDef)
        and not _whole_class(mine.stmt, node.stmt, new_lines, node)
    ):
        _merge_class(old_lines, mine, new_lines, node, qual, edits)
        return
    if any(is_placeholder(line) for line in new_lines[node.head : node.end]):
        edits.problems.append(
            f"{qual}: its body holds a placeholder comment, so it was not changed; "
            f"write {qual} complete, or use a SEARCH/REPLACE block"
        )
        return
    start = mine.start if node.start < node.head else mine.head  # new comments replace old
    edits.put(start, mine.end, _text(new_lines, node, shift))


def _body_is_placeholder(stmt: ast.stmt) -> bool:
    body = getattr(stmt, "body", [])
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:] if isinstance(body[0].value.value, str) else body
    return (
        len(body) == 1
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and body[0].value.value is Ellipsis
    )


def _whole_class(
    mine: ast.ClassDef, new: ast.ClassDef, new_lines: Sequence[str], node: Node
) -> bool:
    """A new class that names every member of the old one and elides nothing replaces it."""
    if any(is_placeholder(line) for line in new_lines[node.head : node.end]):
        return False
    if any(
        _kind(s, i)[0] == "drop" and not isinstance(s, ast.Pass) for i, s in enumerate(new.body)
    ):
        return False
    return qualified(mine.body) <= qualified(new.body) or mine.body[0].lineno == mine.lineno


def _merge_class(
    old_lines: list[str], mine: Node, new_lines: list[str], node: Node, qual: str, edits: _Edits
) -> None:
    assert isinstance(mine.stmt, ast.ClassDef) and isinstance(node.stmt, ast.ClassDef)
    old_stmt, new_stmt = mine.stmt, node.stmt
    if new_stmt.body[0].lineno == new_stmt.lineno:
        edits.problems.append(f"{qual}: a one-line class cannot be merged; write it out")
        return
    if new_stmt.bases or new_stmt.keywords or new_stmt.decorator_list:
        body_start = _body_start(old_stmt)
        shift = old_stmt.col_offset - new_stmt.col_offset
        header = new_lines[node.head : _body_start(new_stmt)]
        edits.put(mine.head, body_start, [_reindent(line, shift) for line in header])
    old_nodes = nodes(old_stmt.body, old_lines)
    new_nodes = nodes(new_stmt.body, new_lines)
    _merge_body(old_lines, old_nodes, new_lines, new_nodes, qual + ".", edits)


def _body_start(stmt: ast.ClassDef) -> int:
    """0-based first line of a class body (its first statement or that one's decorators)."""
    first = stmt.body[0]
    decorators: list[ast.expr] = getattr(first, "decorator_list", [])
    return min([first.lineno, *(d.lineno for d in decorators)]) - 1


def _add_imports(
    old: Sequence[Node], new_lines: list[str], new: Sequence[Node], edits: _Edits
) -> None:
    """New imports (binding something the module does not import yet) after the old ones;
    ``from __future__`` imports first of all."""
    have = set().union(*(_bindings(n.stmt) for n in old if n.kind == "import"))
    fresh: list[str] = []
    future: list[str] = []
    for node in new:
        if node.kind == "import" and not _bindings(node.stmt) <= have:
            is_future = isinstance(node.stmt, ast.ImportFrom) and node.stmt.module == "__future__"
            (future if is_future else fresh).extend(new_lines[node.head : node.end])
            have |= _bindings(node.stmt)
    imports = [n for n in old if n.kind == "import"]
    docs = [n for n in old if n.kind == "doc"]
    top = docs[0].end if docs else 0
    if future:
        edits.put(top, top, [*([""] if docs else []), *future, *([] if imports else [""])])
    if fresh and imports:
        edits.put(imports[-1].end, imports[-1].end, fresh)
    elif fresh:
        edits.put(top, top, [*([""] if docs else []), *fresh, ""])


def _bindings(stmt: ast.stmt) -> set[tuple[str, str, str]]:
    if isinstance(stmt, ast.ImportFrom):
        module = "." * stmt.level + (stmt.module or "")
        return {(module, a.name, a.asname or "") for a in stmt.names}
    if isinstance(stmt, ast.Import):
        return {("", a.name, a.asname or "") for a in stmt.names}
    return set()
