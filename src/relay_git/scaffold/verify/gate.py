"""The honesty gate: what a relay branch must be before a run may call itself done.

A run is done only when its change is real (it adds code to the files the plan names and
defines what the task asks for), it empties or deletes nothing the task did not ask to
remove, its tests pass (or no test command exists, said plainly), the tests the task asked
for exist, and the reviewer approved. Every unmet condition is one plain reason; no
reason, no exit 0. Pure: it takes file contents, never the repository.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from relay_git.scaffold.draft.blocks import defined_names
from relay_git.scaffold.plan.scope import Scope
from relay_git.scaffold.verify.testrun import Status

_REMOVAL = re.compile(r"\b(remove|delete|drop|empty|clear)\b", re.I)
_DOCSTRINGS = re.compile(r"\bdocstrings?\b", re.I)
_HINTS = re.compile(r"\b(type hints?|type annotations?|annotate)\b", re.I)
_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SECTION = re.compile(
    r"\b(?:a|an|the)\s+[\"'`]?([A-Za-z][\w -]{0,30}?)[\"'`]?\s+(?:section|heading)\b", re.I
)
_DOCS = (".md", ".rst", ".txt")

Tree = Mapping[str, str | None]  # path -> content (None: absent)


class Outcome(StrEnum):
    """The run's outcome, as the gate decides it (the report's ``outcome``)."""

    DONE = "done"
    NOT_DONE = "not done"


@dataclass(frozen=True)
class Decision:
    """The gate's decision: done, or not done and every reason why."""

    outcome: Outcome
    reasons: tuple[str, ...]

    @property
    def done(self) -> bool:
        return self.outcome is Outcome.DONE


def _code_lines(path: str, before: str, after: str) -> int:
    """Code lines added or removed: a fix may only delete a line. Blank lines never count,
    nor, in Python, comments (a Markdown `# Title` is content)."""
    python = path.endswith((".py", ".pyi"))

    def code(text: str) -> set[str]:
        lines = {line.strip() for line in text.splitlines()}
        return {ln for ln in lines if ln and not (python and ln.startswith("#"))}

    return len(code(before) ^ code(after))


def hollow(task: str, target: Scope, base: Tree, head: Tree) -> list[str]:
    """Why the change is not a real change for this task ([] when it is)."""
    changed = [p for p in set(base) | set(head) if base.get(p) != head.get(p)]
    if not changed:
        return ["the change is empty: the branch holds no change"]
    reasons = []
    code = [p for p in target.code if base.get(p) != head.get(p)]
    if target.code and not code:
        reasons.append(f"the change does not touch {', '.join(target.code)}")
    elif target.code and not any(
        _code_lines(p, base.get(p) or "", head.get(p) or "") for p in code
    ):
        reasons.append("the change adds no code")
    defined: set[str] = set()
    for path in target.python:
        defined |= defined_names(head.get(path) or "")
        defined |= {f.name for f in _functions(head.get(path) or "")}  # methods too
    missing = [n for n in target.names if n not in defined]
    if missing and target.python:
        reasons.append(f"{', '.join(missing)} is not defined in {', '.join(target.python)}")
    reasons += unmet_kind(task, target, head)
    if not _REMOVAL.search(task):
        for path in sorted(changed):
            before, after = base.get(path), head.get(path)
            if before and before.strip() and not (after or "").strip():
                reasons.append(f"{path} was {'deleted' if after is None else 'emptied'}")
    return reasons


def _functions(source: str) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    for node in ast.walk(tree):
        if isinstance(node, _FUNCS):
            yield node


def _unhinted(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
    params = [a for a in args if a.arg not in ("self", "cls")]
    return node.returns is None or any(a.annotation is None for a in params)


def _sections(task: str, target: Scope, head: Tree) -> list[str]:
    """A task that asks for "a Usage section" in a document gets a heading of that name."""
    wanted = _SECTION.search(task)
    docs = [p for p in target.code if p.lower().endswith(_DOCS)]
    if wanted is None or not docs:
        return []
    name = re.split(r"\b(?:a|an|the)\s+", wanted.group(1), flags=re.I)[-1].strip()
    title = re.escape(name)
    heading = re.compile(rf"^(#+\s*{title}\b|{title}\s*\n[=-]{{3,}})", re.I | re.M)
    if any(heading.search(head.get(p) or "") for p in docs):
        return []
    return [f"no {name!r} heading in {', '.join(docs)}"]


def unmet_kind(task: str, target: Scope, head: Tree) -> list[str]:
    """What a docstring or type-hint task asks of every function, checked on the result."""
    reasons = _sections(task, target, head)
    for path in target.python:
        functions = list(_functions(head.get(path) or ""))
        if _DOCSTRINGS.search(task):
            bare = [f.name for f in functions if ast.get_docstring(f) is None]
            if bare:
                reasons.append(f"{path}: no docstring on {', '.join(bare[:5])}")
        if _HINTS.search(task):
            bare = [f.name for f in functions if _unhinted(f)]
            if bare:
                reasons.append(f"{path}: no type hints on {', '.join(bare[:5])}")
    return reasons


def unconfirmed(test_names: Sequence[str], support: int, vouched: bool) -> list[str]:
    """A change whose only evidence is one code draft passing one drafted test is a guess.

    The drafted tests count as evidence when at least two witnesses agree (CodeT's score:
    drafts in the winning group x tests they pass), or when a test the project already had
    exercises a name the task asks for. ``support`` 0 means no score was measured (the
    tests came from elsewhere), which is not held against the change.
    """
    if not test_names or vouched or support != 1:
        return []
    return [
        "unconfirmed: one code draft passed one drafted test, and no test the project "
        "already had checks it"
    ]


def decide(
    hollow_reasons: Sequence[str],
    tests: Mapping[str, object],
    asks_tests: bool,
    test_names: Sequence[str],
    verdict: str,
) -> Decision:
    """Done only with no reason against it; ``tests`` is the run's test record."""
    reasons = list(hollow_reasons)
    status = tests.get("status")
    if status in (Status.FAILED, Status.TIMEOUT):
        reasons.append(f"the tests fail ({tests.get('command', '')})")
    elif status == Status.SKIPPED and tests.get("needs_confirmation"):
        reasons.append("the tests were not run: the test command needs your confirmation")
    if asks_tests and not test_names:
        reasons.append("the task asks for tests, and no drafted test survived")
    if verdict != "approve":
        reasons.append(f"the reviewer did not approve ({verdict or 'not reviewed'})")
    return Decision(Outcome.NOT_DONE if reasons else Outcome.DONE, tuple(reasons))
