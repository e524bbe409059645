"""The writing rounds of the relay: generate (draft k, verify, keep the first that passes),
then bounded fix rounds, each one file per call with the failing output.

The pipeline owns commits and state; these functions leave the chosen files written in
the worktree and return what they did.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

from relay_git.scaffold.plan.scope import Scope
from relay_git.scaffold.plan.spec import TaskPlan
from relay_git.scaffold.relay import Relay, Seat
from relay_git.scaffold.verify.testrun import Status, TestOutcome
from relay_git.scaffold.verify.workbench import Workbench
from relay_git.scaffold.write import writer
from relay_git.scaffold.write.choose import MAX_TRIED, Chosen, choose, draft_code
from relay_git.scaffold.write.generate import SourceFile, context_budget, read_text, select_context

Files = dict[str, str]


@dataclass
class Written:
    """What a writing stage left in the worktree, and what the project's tests said."""

    files: Files = field(default_factory=dict)
    outcome: TestOutcome | None = None
    test_names: tuple[str, ...] = ()
    pinned: int = 0
    tried: int = 0
    support: int = 0  # CodeT score of the kept candidate (0: not measured)
    problems: list[str] = field(default_factory=list)


def context(
    relay: Relay, seat: Seat, spec: TaskPlan, wb: Workbench, listing: Sequence[str]
) -> list[SourceFile]:
    count = relay.backend(seat).count_tokens
    shown = relay.readable(seat, listing)
    first = relay.readable(seat, spec.paths)
    return select_context(wb.wt.path, shown, first, spec.task, context_budget(relay, seat), count)


def _distinct(candidates: Sequence[Files]) -> list[tuple[int, Files]]:
    """The candidates with their ranks, each content once (its best rank kept)."""
    seen: dict[str, tuple[int, Files]] = {}
    for rank, code in enumerate(candidates):
        seen.setdefault(repr(sorted(code.items())), (rank, code))
    return list(seen.values())


def _try(
    wb: Workbench,
    candidates: Sequence[Files],
    tests: Files,
    command: str | None,
    support: Sequence[int] = (),
) -> Written:
    """Write the ranked candidates one by one; the first whose project tests pass stays."""
    done = Written()
    distinct = _distinct(candidates)
    for index, (rank, code) in enumerate(distinct[:MAX_TRIED]):
        files = {**code, **tests}
        refused = wb.write(files)
        if refused:
            done.problems += refused
            continue
        done.files, done.tried = files, index + 1
        done.support = support[rank] if rank < len(support) else 0
        if command is None:
            return done
        done.outcome = wb.run(command)
        if done.outcome.status is Status.PASSED:
            return done
        if index + 1 < min(len(distinct), MAX_TRIED):
            wb.reset()
    return done


def generate(relay: Relay, spec: TaskPlan, target: Scope, drafts: int, start: int = 0) -> Written:
    """Draft ``drafts`` candidates per file and the tests; the best that passes stays written.
    ``start``: the draft number to begin at (a widened batch asks what no earlier one did)."""
    wb, command = relay.bench, relay.command
    shown = context(relay, relay.coder, spec, wb, relay.listing())
    seen: list[str] = []  # every Python block as written: the tests they carry count too
    problems: list[str] = []

    def batch(offset: int) -> list[Files]:  # each batch asks what no earlier one asked
        cands, said = draft_code(
            relay,
            relay.coder,
            "generate",
            spec,
            target,
            wb,
            shown,
            drafts,
            offset=offset,
            seen=seen,
        )
        problems.extend(said)
        return cands

    cands, offset = batch(start), start
    if not cands:  # hollow: once more, hotter
        offset = start + drafts
        cands = batch(offset)
    if not cands:
        return Written(problems=problems)
    more = functools.partial(batch, offset + drafts)
    chosen: Chosen = choose(relay, spec, target, wb, cands, relay.coder, drafts, more, seen)
    done = _try(wb, chosen.candidates, chosen.tests, command, chosen.support)
    done.test_names, done.pinned = chosen.test_names, chosen.pinned
    done.problems = problems + list(chosen.problems) + done.problems
    return done


def fix(
    relay: Relay,
    seat: Seat,
    stage: str,
    spec: TaskPlan,
    target: Scope,
    failure: TestOutcome,
    drafts: int,
) -> Written:
    """One fix round: new drafts of the code files, shown the failing output."""
    wb = relay.bench
    shown = context(relay, seat, spec, wb, relay.listing())
    said = failure.output.strip() or f"(exit code {failure.exit_code}, no output)"
    text = f"$ {failure.command}\n{said}"
    cands, problems = draft_code(relay, seat, stage, spec, target, wb, shown, drafts, failure=text)
    if not cands:
        return Written(problems=problems)
    done = _try(wb, cands, {}, failure.command)
    done.problems = problems + done.problems
    return done


def first(relay: Relay, spec: TaskPlan, target: Scope, repairs: Sequence[str] = ()) -> Written:
    """The first draft: one request per code file, then one for each test file (a whole,
    coherent file), all at temperature 0; written and run."""
    wb = relay.bench
    root = wb.wt.path
    shown = context(relay, relay.coder, spec, wb, relay.listing())
    base = {p: read_text(root, p) for p in (*target.code, *target.tests)}
    current = dict(base)
    problems: list[str] = []
    for stage, paths in (("generate", target.code), ("tests", target.tests)):
        for path in paths:
            drafted = [SourceFile(p, c) for p in target.code if (c := current.get(p))]
            how = writer.Ask(stage, repairs=tuple(repairs))
            got = writer.write(
                relay, relay.coder, spec, target, [path], shown + drafted, current, how
            )
            if not got.files and got.problems:  # said to the model once, in a new request
                how = writer.Ask(stage, problems=tuple(got.problems), repairs=tuple(repairs))
                got = writer.write(relay, relay.coder, spec, target, [path], shown, current, how)
            current.update(got.files)
            problems += [f"{stage}: {p}" for p in got.problems]
        if stage == "generate" and all(current.get(p) == base.get(p) for p in target.code):
            return Written(problems=[*problems, "generate: the coder wrote no usable code"])
    files = {p: c for p, c in current.items() if c is not None and c != base.get(p)}
    return _written(wb, files, relay.command, base, problems)


def _written(
    wb: Workbench,
    files: Files,
    command: str | None,
    base: dict[str, str | None],
    problems: list[str],
) -> Written:
    refused = wb.write(files)
    if refused:
        wb.reset()
        return Written(problems=problems + refused)
    outcome = wb.run(command) if command else None
    names = writer.test_names(base, files)
    return Written(files=files, outcome=outcome, test_names=names, problems=problems)


def rewrite(
    relay: Relay, seat: Seat, spec: TaskPlan, target: Scope, paths: Sequence[str], how: writer.Ask
) -> Written:
    """One request for every file a fix touches, shown why; written and run."""
    wb = relay.bench
    root = wb.wt.path
    shown = context(relay, seat, spec, wb, relay.listing())
    current = {p: read_text(root, p) for p in paths}
    got = writer.write(relay, seat, spec, target, paths, shown, current, how)
    if not got.files:
        return Written(
            problems=[f"{how.stage}: {p}" for p in got.problems]
            or [f"{how.stage}: the reply changed nothing"]
        )
    return _written(
        wb, got.files, relay.command, current, [f"{how.stage}: {p}" for p in got.problems]
    )
