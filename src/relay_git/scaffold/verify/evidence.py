"""Evidence that a change works: new tests that fail without it and pass with it.

A change is done only when every function it adds or alters is called by such a test
(run against the base tree, they must fail there; on the branch they must pass), and the
signature the task names is kept. What a test "calls" is read from the source: the
function's name in the test, or a function of the same module that a called one uses, or
the module run as a program (``python -m pkg``). The analysis here is pure; running the
tests goes through the workbench.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from relay_git.scaffold.draft.blocks import stub
from relay_git.scaffold.plan.scope import is_test_path, module_of
from relay_git.scaffold.verify.select import parse_report

Tree = Mapping[str, str | None]  # path -> content (None: absent)
_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
_CALLED = re.compile(r"\b([A-Za-z_]\w*)\(([^()]*)\)")


@dataclass(frozen=True)
class Evidence:
    """What the new tests show about a change."""

    measured: bool  # the tests could be run per test (pytest) or as one command
    witnesses: tuple[str, ...]  # new tests that fail on the base tree and pass on the branch
    changed: tuple[str, ...]  # functions the change adds or alters (qualified names)
    uncovered: tuple[str, ...]  # of those, the ones no witness calls

    def reasons(self) -> list[str]:
        if not self.changed:
            return []
        if not self.measured:
            return ["no test could run, so nothing shows the change works"]
        if not self.witnesses:
            return ["no new test fails without the change: nothing shows it works"]
        if self.uncovered:
            names = ", ".join(self.uncovered[:6])
            return [f"no test that fails without the change calls {names}"]
        return []


def _functions(source: str) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """(qualified name, node) of every function and method in ``source``."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return

    def walk(body: Sequence[ast.stmt], prefix: str) -> Iterator[tuple[str, ast.AST]]:
        for node in body:
            if isinstance(node, _FUNCS):
                yield f"{prefix}{node.name}", node
            elif isinstance(node, ast.ClassDef):
                yield from walk(node.body, f"{prefix}{node.name}.")

    for name, node in walk(tree.body, ""):
        assert isinstance(node, _FUNCS)
        yield name, node


def changed_functions(before: str | None, after: str | None) -> dict[str, str]:
    """Qualified name -> source of each function ``after`` adds or alters."""
    old = {n: ast.dump(f) for n, f in _functions(before or "")}
    out: dict[str, str] = {}
    for name, node in _functions(after or ""):
        if old.get(name) != ast.dump(node):
            out[name] = ast.unparse(node)
    return out


class _Unnamed(ast.NodeTransformer):
    """Every identifier blanked: what is left is a function's shape."""

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.copy_location(ast.Name("_", node.ctx), node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        node.attr = "_"
        return node

    def visit_alias(self, node: ast.alias) -> ast.AST:
        return ast.alias("_", None)


def _shape(node: ast.AST) -> str:
    import copy

    return ast.dump(_Unnamed().visit(copy.deepcopy(node)))


def renamed_only(before: str | None, after: str | None) -> set[str]:
    """Functions whose change only renames what they call or use (a rename across files):
    no test can fail without such a change, so a passing test that calls them suffices."""
    old = {n: _shape(f) for n, f in _functions(before or "")}
    return {n for n, f in _functions(after or "") if n in old and old[n] == _shape(f)}


def test_sources(source: str) -> dict[str, str]:
    """Test name -> source, for every test function (top level or in a Test class)."""
    out: dict[str, str] = {}
    for name, node in _functions(source):
        short = name.rsplit(".", 1)[-1]
        if short.startswith("test") and (name == short or name.startswith("Test")):
            out[short] = ast.unparse(node)
    return out


def new_tests(base: Tree, head: Tree) -> dict[str, str]:
    """Tests the change adds (by name) in its test files, with their sources."""
    out: dict[str, str] = {}
    for path, text in head.items():
        if not (is_test_path(path) and path.endswith(".py")):
            continue
        old = test_sources(base.get(path) or "")
        out |= {n: s for n, s in test_sources(text or "").items() if n not in old}
    return out


def _words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_]\w*", text))


def uncovered(changed: Mapping[str, tuple[str, str]], witnesses: Sequence[str]) -> list[str]:
    """The changed functions (qualified name -> (path, source)) that no witness reaches:
    named in a witness, used by a reached function, or run as ``python -m module``."""
    said = set().union(*(_words(w) for w in witnesses)) if witnesses else set()
    text = "\n".join(witnesses)
    reached = {
        q
        for q, (path, _) in changed.items()
        if q.rsplit(".", 1)[-1] in said or _run_as_program(path, text)
    }
    grew = True
    while grew:
        used = set().union(*(_words(changed[q][1]) for q in reached)) if reached else set()
        more = {q for q in changed if q not in reached and q.rsplit(".", 1)[-1] in used}
        reached |= more
        grew = bool(more)
    return sorted(q for q in changed if q not in reached)


def _run_as_program(path: str, tests: str) -> bool:
    """The module (or, for ``__main__.py``, its package) is run by name in a test."""
    module = module_of(path)
    if not module:
        return False
    quoted = re.search(rf"['\"]{re.escape(module)}['\"]", tests) is not None
    if PurePosixPath(path).name == "__main__.py":
        return quoted or f"-m {module}" in tests
    return f"-m {module}" in tests or (quoted and "-m" in tests)


def hollowed(source: str, names: set[str]) -> str:
    """``source`` with each function or method named (qualified) reduced to ``return None``."""
    lines = source.splitlines()
    cuts = []
    for qual, node in _functions(source):
        if qual in names and node.body:
            first, last = node.body[0], node.body[-1]
            indent = " " * first.col_offset if first.lineno != node.lineno else ""
            if not indent:
                continue  # `def f(x): return x` on one line: left as written
            cuts.append((first.lineno, last.end_lineno or first.lineno, f"{indent}return None"))
    for start, end, text in sorted(cuts, reverse=True):
        lines[start - 1 : end] = [text]
    return "\n".join(lines) + "\n"


def without_change(base: Tree, head: Tree, code: Sequence[str]) -> dict[str, str | None]:
    """The code files as they are "without the change", for the base run: each existing file
    as it was (new top-level functions there as stubs, so imports resolve); each new Python
    file with the functions it defines doing nothing; other new files absent (None)."""
    out: dict[str, str | None] = {}
    for path in code:
        before, after = base.get(path), head.get(path)
        if not path.endswith(".py") or is_test_path(path):
            out[path] = before
        elif before is not None:
            new = {q for q in changed_functions(before, after) if "." not in q}
            new -= {q for q, _ in _functions(before)}
            out[path] = stub(before, sorted(new)) if new else before
        elif after is not None:
            out[path] = hollowed(after, {q for q, _ in _functions(after)})
    return out


def from_runs(
    base_run: str,
    head_run: str,
    base: Tree,
    head: Tree,
    code: Sequence[str],
    project: Mapping[str, str] | None = None,
) -> Evidence:
    """Evidence from two ``pytest -rA`` outputs: on the base code, on the change. ``code``:
    the code files of the change; ``project``: the sources of the tests the project
    already had (one that fails on the base and passes now is a witness too)."""
    before, after = parse_report(base_run), parse_report(head_run)
    tests = {**(project or {}), **new_tests(base, head)}
    witnesses = [n for n in tests if after.get(n) == "passed" and before.get(n) != "passed"]
    changed = {
        q: (path, src)
        for path in code
        if path.endswith(".py") and not is_test_path(path)
        for q, src in changed_functions(base.get(path), head.get(path)).items()
    }
    missing = uncovered(changed, [tests[w] for w in witnesses])
    renamed = {
        q for path in code for q in renamed_only(base.get(path), head.get(path)) if q in missing
    }
    if renamed:  # reached by any test that passes with the change
        passing = [
            src
            for path, text in head.items()
            if is_test_path(path) and path.endswith(".py")
            for name, src in test_sources(text or "").items()
            if after.get(name) == "passed"
        ]
        left = set(uncovered({q: changed[q] for q in renamed}, passing))
        missing = [q for q in missing if q not in renamed or q in left]
    return Evidence(True, tuple(witnesses), tuple(sorted(changed)), tuple(missing))


def from_command(base_failed: bool, head_passed: bool, base: Tree, head: Tree) -> Evidence:
    """Evidence from a test command that is not pytest: it fails on the base code and passes
    on the change (which functions it calls cannot be told)."""
    changed = tuple(
        sorted(
            q
            for path in head
            if path.endswith(".py") and not is_test_path(path)
            for q in changed_functions(base.get(path), head.get(path))
        )
    )
    witnessed = base_failed and head_passed
    return Evidence(True, ("(the test command)",) if witnessed else (), changed, ())


def unmeasured(base: Tree, head: Tree) -> Evidence:
    changed = tuple(
        sorted(
            q
            for path in head
            if path.endswith(".py") and not is_test_path(path)
            for q in changed_functions(base.get(path), head.get(path))
        )
    )
    return Evidence(False, (), changed, ())


def signature_problems(task: str, head: Tree, code: Sequence[str]) -> list[str]:
    """The functions the task names with their parameters (``square(x)``) must take them."""
    wanted = {m.group(1): m.group(2) for m in _CALLED.finditer(task)}
    if not wanted:
        return []
    problems = []
    for path in code:
        if not path.endswith(".py"):
            continue
        for qual, node in _functions(head.get(path) or ""):
            name = qual.rsplit(".", 1)[-1]
            if name not in wanted or qual.count(".") > 1:
                continue
            asked = [p.strip() for p in wanted[name].split(",") if p.strip()]
            args = node.args
            params = [
                a.arg for a in [*args.posonlyargs, *args.args] if a.arg not in ("self", "cls")
            ]
            params += [a.arg for a in args.kwonlyargs]
            flexible = args.vararg is not None or args.kwarg is not None
            plain = all(re.fullmatch(r"[A-Za-z_]\w*(=.*)?", a) for a in asked)
            if plain and not flexible and len(params) < len(asked):
                problems.append(
                    f"{name} takes ({', '.join(params)}), but the task names {name}({wanted[name]})"
                )
    return problems


def keep_existing_tests(before: str | None, after: str) -> str:
    """``after``, unless it changes or drops a test ``before`` had: then ``before`` with the
    tests ``after`` adds appended (renamed where a name is taken). The project's tests define
    done; a draft may add to them, never rewrite them."""
    old = test_sources(before or "")
    new = test_sources(after)
    if not old or all(new.get(n) == s for n, s in old.items()):
        return after
    added = []
    for name, source in new.items():
        if old.get(name) == source:
            continue
        fresh, n = name, 2
        while fresh in old or (fresh in new and fresh != name):
            fresh, n = f"{name}_{n}", n + 1
        added.append(source.replace(f"def {name}(", f"def {fresh}(", 1))
    if not added:
        return before or ""
    imports = [ln for ln in after.splitlines() if ln.startswith(("import ", "from "))]
    head = (before or "").rstrip("\n").splitlines()
    missing = [ln for ln in imports if ln not in head]
    body = "\n".join(missing + head) if missing else "\n".join(head)
    return body + "\n\n\n" + "\n\n\n".join(a.rstrip("\n") for a in added) + "\n"
