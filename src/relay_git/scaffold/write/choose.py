"""Draft k code candidates and the tests, let them check each other, rank the candidates.

The ranking is CodeT's (``select``); when no drafted test survives, the inputs of the
drafted tests are kept and their expected values pinned by the drafts that agree
(``consensus``). The pipeline then tries the ranked candidates against the project's own
test command and keeps the first that passes.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from relay_git.scaffold.draft.blocks import defined_names, stub
from relay_git.scaffold.plan.scope import Scope, module_of
from relay_git.scaffold.plan.spec import TaskPlan
from relay_git.scaffold.relay import Relay, Seat
from relay_git.scaffold.verify.select import Choice, Matrix, rank, run_matrix
from relay_git.scaffold.verify.workbench import Workbench, probe_path
from relay_git.scaffold.write import consensus
from relay_git.scaffold.write.generate import (
    SourceFile,
    carried_tests,
    file_drafts,
    read_text,
    test_drafts,
)
from relay_git.scaffold.write.testsmith import TestFn, compose, unique

Files = dict[str, str]
MAX_TRIED = 3  # ranked candidates tried against the project's tests
MIN_SUPPORT = 2  # CodeT score below which the drafts are not yet evidence (gate.unconfirmed)


@dataclass(frozen=True)
class Chosen:
    candidates: tuple[Files, ...]  # code files, best first
    tests: Files  # test file -> full content ({} when no test survived)
    test_names: tuple[str, ...]
    pinned: int  # tests whose expected values come from agreeing drafts
    problems: tuple[str, ...] = ()
    support: tuple[int, ...] = ()  # per candidate: agreeing drafts x drafted tests passed


def _candidates(per_file: Mapping[str, list[str]]) -> list[Files]:
    count = max((len(v) for v in per_file.values()), default=0)
    out = []
    for i in range(count):
        out.append({p: v[min(i, len(v) - 1)] for p, v in per_file.items() if v})
    return out


def _defines(target: Scope, base: Files, files: Files) -> bool:
    names: set[str] = set()
    for path in target.python:
        names |= defined_names(files.get(path, base.get(path, "")))
    return set(target.names) <= names


def names_under_test(target: Scope, base: Files, files: Files) -> dict[str, str]:
    """name -> module for the names the tests should call: those the task names, else the
    ones this change adds."""
    where: dict[str, str] = {}
    for path in target.python:
        now = defined_names(files.get(path, base.get(path, "")))
        new = now - defined_names(base.get(path, ""))
        for name in sorted(now & set(target.names) if target.names else new):
            where.setdefault(name, module_of(path))
    return where


def draft_code(
    relay: Relay,
    seat: Seat,
    stage: str,
    spec: TaskPlan,
    target: Scope,
    wb: Workbench,
    context: Sequence[SourceFile],
    count: int,
    failure: str = "",
    offset: int = 0,
    seen: list[str] | None = None,
) -> tuple[list[Files], list[str]]:
    root = wb.wt.path
    text = {p: read_text(root, p) for p in target.code}
    # a file that exists but is not text we may show (binary, not UTF-8, too large) is
    # never redrafted from nothing: that would replace it wholesale
    opaque = [p for p in target.code if text[p] is None and os.path.lexists(root / p)]
    per_file = {
        p: file_drafts(
            relay, seat, stage, spec, p, root, context, count, failure, offset, target.names, seen
        )
        for p in target.code
        if p not in opaque
    }
    base = {p: t or "" for p, t in text.items()}
    drafted = _candidates(per_file)
    kept = [c for c in drafted if _defines(target, base, c)]
    problems = [f"{stage}: {p} is not text that can be edited; left unchanged" for p in opaque]
    if not drafted:
        problems.append(f"{stage}: the coder wrote no usable code ({len(target.code)} file(s))")
    elif not kept:
        problems.append(f"{stage}: no draft defines {', '.join(target.names)}")
    return kept, problems


class _Memo:
    """Per-test outcomes by candidate content: identical drafts are votes, not reruns."""

    def __init__(self, wb: Workbench, test_path: str, source: str) -> None:
        self.wb, self.test_path, self.source = wb, test_path, source
        self.seen: dict[str, Mapping[str, str]] = {}

    def __call__(self, files: Mapping[str, str]) -> Mapping[str, str]:
        key = hashlib.sha256(repr(sorted(files.items())).encode()).hexdigest()
        if key not in self.seen:
            self.seen[key] = self.wb.outcomes(files, self.test_path, self.source)
        return self.seen[key]


@dataclass(frozen=True)
class _Trial:
    """Where the drafts meet the tests: the worktree, the stub, the names under test and the
    folder of the planned test file (so its conftest applies)."""

    wb: Workbench
    stub_files: Files
    where: dict[str, str]
    folder: str

    def matrix(self, cands: list[Files], tests: list[TestFn]) -> Matrix:
        """Every drafted test against every code draft and the stub, in a scratch file."""
        test_path = probe_path(self.folder)
        source = compose(None, self.where, tests)
        return run_matrix(cands, self.stub_files, _Memo(self.wb, test_path, source))

    def pin(self, cands: list[Files], tests: list[TestFn]) -> list[TestFn]:
        calls = consensus.equality_calls(tests, sorted(self.where))
        if not calls or len(cands) < consensus.MIN_AGREEING:
            return []
        script = consensus.probe_script(self.where, calls)
        values = [consensus.parse_values(self.wb.script(c, script), len(calls)) for c in cands]
        stem = sorted(self.where)[0]
        return consensus.pinned(calls, consensus.agreed(values), stem)

    def ranked(self, cands: list[Files], tests: list[TestFn]) -> tuple[list[Choice], list[TestFn]]:
        """CodeT's ranking; when no drafted test survives, the drafts' agreed values pinned."""
        ranked = rank(self.matrix(cands, tests))
        if ranked[0].tests:
            return ranked, tests
        pinned = self.pin(cands, tests)
        if not pinned:
            return ranked, tests
        tests = unique([*tests, *pinned])
        return rank(self.matrix(cands, tests)), tests


def choose(
    relay: Relay,
    spec: TaskPlan,
    target: Scope,
    wb: Workbench,
    cands: list[Files],
    test_seat: Seat,
    count: int,
    more: Callable[[], list[Files]] | None = None,
    seen: Sequence[str] = (),
) -> Chosen:
    """Rank ``cands`` by the drafted tests (the tests stage's, and those the code drafts in
    ``seen`` carried); compose the test file from the winner's tests. When nothing can tell
    the drafts apart, ``more`` drafts are asked for once: a second batch can agree where the
    first could not."""
    root = wb.wt.path
    base = {p: read_text(root, p) or "" for p in target.code}
    where = names_under_test(target, base, cands[0])
    if not (target.tests and where and wb.runner):
        return Chosen(tuple(cands), {}, (), 0)
    tests = unique(
        [
            *test_drafts(relay, test_seat, spec, where, count, target.tests[0]),
            *carried_tests(seen, sorted(where)),
        ]
    )
    folder = PurePosixPath(target.tests[0]).parent.as_posix()
    by_module: dict[str, list[str]] = {}
    for name, module in where.items():
        by_module.setdefault(module, []).append(name)
    stub_files = {
        p: stub(base.get(p, ""), by_module.get(module_of(p), ()))
        for p in target.python
        if module_of(p) in by_module
    }
    trial = _Trial(wb, stub_files, where, folder)
    ranked, tests = trial.ranked(cands, tests)
    weak = ranked[0].score < MIN_SUPPORT  # nothing, or one draft passing one test
    extra = more() if more is not None and weak else []
    if extra:
        cands = cands + extra
        tests = unique([*tests, *carried_tests(seen, sorted(where))])
        ranked, tests = trial.ranked(cands, tests)
    keep = [t for t in tests if t.name in ranked[0].tests]
    ordered = tuple(cands[c.draft] for c in ranked)
    if not keep:
        return Chosen(ordered, {}, (), 0, ("no drafted test could fail and pass the code",))
    path = target.tests[0]
    existing = read_text(root, path)
    taken = defined_names(existing or "")
    final = unique(keep, taken)
    content = compose(existing, where, final)
    used = sum(1 for t in final if "_agreed_" in t.name)
    support = tuple(c.score for c in ranked)
    return Chosen(ordered, {path: content}, tuple(t.name for t in final), used, (), support)
