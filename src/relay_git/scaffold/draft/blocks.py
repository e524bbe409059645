"""Code as small models write it best: one fenced block per reply, merged by definition.

A reply is untrusted text. ``code_block`` takes the first fenced block (or the whole reply
when it has none) and, for Python, keeps the longest prefix that parses, so a reply cut
off mid-line still gives its complete definitions. ``merge`` folds a block into an
existing module: a top-level ``def``/``class`` replaces the one of the same name or is
appended, new imports go to the top, and stray top-level statements (example calls,
``print``, ``if __name__`` blocks) are dropped. Everything here is pure.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from relay_git.scaffold.draft.validate import parseable_prefix

_OPEN = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+.#-]*)[^\n]*$", re.MULTILINE)
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_IMPORTS = (ast.Import, ast.ImportFrom)


def code_block(text: str, python: bool = True) -> str | None:
    """The code of the first fenced block in ``text`` (or of the whole reply if unfenced).

    None when there is no code: an empty block, or for Python nothing that parses.
    """
    match = _OPEN.search(text)
    if match is None:
        body = text
    else:
        fence = match.group(1)
        rest = text[match.end() + 1 :]
        close = re.search(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", rest, re.M)
        body = rest[: close.start()] if close else rest
    body = body.strip("\n")
    if python:
        body = parseable_prefix(body)
    return body if body.strip() else None


def defined_names(source: str) -> set[str]:
    """Top-level function and class names of a module ('' or unparsable: none)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    return {n.name for n in tree.body if isinstance(n, _DEFS)}


@dataclass(frozen=True)
class _Part:
    key: str  # "def:NAME", "import:TEXT" or "stmt:N"
    text: str
    lead: str = ""  # the comment lines just above it, kept with it

    @property
    def full(self) -> str:
        return f"{self.lead}\n{self.text}" if self.lead else self.text


def _parts(source: str) -> list[_Part]:
    tree = ast.parse(source)
    lines = source.splitlines()
    parts: list[_Part] = []
    done = 0  # lines consumed so far
    for index, node in enumerate(tree.body):
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        end = node.end_lineno or node.lineno
        text = "\n".join(lines[start - 1 : end])
        lead = _comments(lines[done : start - 1])
        done = max(done, end)
        if isinstance(node, _DEFS):
            parts.append(_Part(f"def:{node.name}", text, lead))
        elif isinstance(node, _IMPORTS):
            parts.append(_Part(f"import:{text.strip()}", text, lead))
        else:
            parts.append(_Part(f"stmt:{index}", text, lead))
    tail = _comments(lines[done:])
    return [*parts, _Part("stmt:tail", tail)] if tail else parts


def _comments(lines: Sequence[str]) -> str:
    return "\n".join(line for line in lines if line.lstrip().startswith("#"))


def _kept(new: Sequence[_Part]) -> list[_Part]:
    """The parts of a model's block worth merging: definitions, imports, constants."""
    out = []
    for part in new:
        if part.key.startswith(("def:", "import:")) or _is_constant(part.text):
            out.append(part)
    return out


def _needed(new: Sequence[_Part], names: Iterable[str]) -> list[_Part]:
    """Without the new definitions nothing asked for needs: a tiny model pads its block with
    ``double_new``, ``add_geo_function`` and the like. Kept: the asked-for definitions and
    what they use, transitively; imports and constants. A block defining none of the asked
    names is left whole (the caller judges it)."""
    defs = {p.key[4:]: p for p in new if p.key.startswith("def:")}
    todo = [n for n in names if n in defs]
    if not todo:
        return list(new)
    keep: set[str] = set()
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        keep.add(name)
        used = {n.id for n in ast.walk(ast.parse(defs[name].text)) if isinstance(n, ast.Name)}
        todo += [u for u in used if u in defs and u not in keep]
    return [p for p in new if not p.key.startswith("def:") or p.key[4:] in keep]


def _is_constant(text: str) -> bool:
    body = ast.parse(text).body  # empty for the comment lines at the end of a block
    return (
        bool(body)
        and isinstance(body[0], ast.Assign | ast.AnnAssign)
        and not any(isinstance(n, ast.Call) for n in ast.walk(body[0]))
    )


def merge(existing: str, block: str, replaceable: Iterable[str] | None = None) -> str:
    """``existing`` with ``block``'s definitions replacing or joining its own.

    ``replaceable``: the only existing definitions the block may replace (None: any), so a
    draft that repeats a function it was not asked to change cannot rewrite it.
    Raises SyntaxError when either side does not parse (the caller drops that draft).
    """
    base = _parts(existing) if existing.strip() else []
    new = _kept(_parts(block))
    allowed = None if replaceable is None else {f"def:{n}" for n in replaceable}
    if replaceable is not None:
        new = _needed(new, replaceable)
    known = {p.key for p in base}
    replaced = {
        p.key: p
        for p in new
        if p.key.startswith("def:") and (allowed is None or p.key in allowed or p.key not in known)
    }
    imports = {p.key: p.text for p in new if p.key.startswith("import:") and p.key not in known}
    body: list[str] = []
    for part in base:
        kept = replace(part, text=replaced.pop(part.key).text) if part.key in replaced else part
        body.append(kept.full)
    texts = {p.text.strip() for p in base}
    appended: dict[str, str] = {}  # key -> text: a def the block repeats lands once, its last
    for p in new:
        if p.key in replaced:
            appended[p.key] = replaced[p.key].full
        elif p.key.startswith("stmt:") and p.text.strip() not in texts:
            appended.setdefault(p.text.strip(), p.full)
    head = _import_end(base)
    out = body[:head] + list(imports.values()) + body[head:] + list(appended.values())
    return _join(out)


def _import_end(parts: Sequence[_Part]) -> int:
    """Index after the module's leading docstring/imports, where new imports go."""
    end = 0
    for i, part in enumerate(parts):
        if part.key.startswith("import:") or (i == 0 and _is_docstring(part.text)):
            end = i + 1
        else:
            break
    return end


def _is_docstring(text: str) -> bool:
    body = ast.parse(text).body
    return bool(body) and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)


def _join(parts: Iterable[str]) -> str:
    chunks = [p.strip("\n") for p in parts if p.strip()]
    out: list[str] = []
    for chunk in chunks:
        if out:
            out.append("\n\n\n" if _is_def(chunk) or _is_def(out[-1]) else "\n")
        out.append(chunk)
    return "".join(out) + "\n" if out else ""


def _is_def(chunk: str) -> bool:
    code = [line for line in chunk.lstrip().split("\n") if not line.startswith("#")]
    first = code[0] if code else ""
    return first.startswith(("def ", "async def ", "class ", "@"))


def stub(source: str, names: Iterable[str]) -> str:
    """``source`` with each named top-level function reduced to ``return None``: the mutant a
    test must fail on to count as a test at all."""
    lines = source.splitlines()
    tree = ast.parse(source)
    wanted = set(names)
    cuts: list[tuple[int, int, str]] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in wanted:
            first = node.body[0]
            head = (
                lines[first.lineno - 1][: first.col_offset] if first.lineno == node.lineno else ""
            )
            indent = head or " " * first.col_offset  # `def f(x): return x` keeps its header
            cuts.append((first.lineno, node.end_lineno or first.lineno, f"{indent}return None"))
    for start, end, text in sorted(cuts, reverse=True):
        lines[start - 1 : end] = [text]
    missing = wanted - defined_names(source)
    lines += [f"\n\ndef {n}(*args, **kwargs):\n    return None" for n in sorted(missing)]
    return "\n".join(lines) + "\n"


def _body_shape(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """A function's body without its docstring, renamed-argument-insensitive."""
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    args = [a.arg for a in node.args.args]
    text = "\n".join(ast.dump(b) for b in body)
    for i, name in enumerate(args):
        text = text.replace(f"id='{name}'", f"id='_arg{i}'")
    return text


def copied_from(existing: str, merged: str, names: Iterable[str]) -> str | None:
    """The existing function that one of ``names`` in ``merged`` merely copies, if any: a new
    function whose body is an old function's body is not the change the task asked for."""
    try:
        old = [n for n in ast.parse(existing).body if isinstance(n, ast.FunctionDef)]
        new = [n for n in ast.parse(merged).body if isinstance(n, ast.FunctionDef)]
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    shapes = {_body_shape(n): n.name for n in old}
    wanted = set(names) - {n.name for n in old}
    for node in new:
        if node.name not in wanted:
            continue
        if _body_shape(node) in shapes:
            return shapes[_body_shape(node)]
        alias = _alias_of(node, {n.name for n in old})
        if alias:
            return alias
    return None


def _alias_of(node: ast.FunctionDef, existing: set[str]) -> str | None:
    """The existing function ``node`` only calls with its own parameters, if any:
    ``def miles_to_km(m): return km_to_miles(m)`` is ``km_to_miles`` under another name."""
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    if len(body) != 1 or not isinstance(body[0], ast.Return):
        return None
    call = body[0].value
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
        return None
    params = [a.arg for a in node.args.args]
    passed = [a.id for a in call.args if isinstance(a, ast.Name)]
    if call.func.id in existing and not call.keywords and passed == params:
        return call.func.id
    return None
