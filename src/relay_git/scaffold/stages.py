"""The writing stages of the relay: generate (draft k, verify, keep the first that passes),
then bounded fix rounds, each one file per call with the failing output.

The pipeline owns commits and state; these functions leave the chosen files written in
the worktree and return what they did.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

from relay_git.scaffold.choose import MAX_TRIED, Chosen, choose, draft_code
from relay_git.scaffold.env import Seat, StageEnv
from relay_git.scaffold.generate import SourceFile, context_budget, select_context
from relay_git.scaffold.plan import Plan
from relay_git.scaffold.target import Target
from relay_git.scaffold.testrun import TestOutcome
from relay_git.scaffold.workbench import Workbench

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
    env: StageEnv, seat: Seat, spec: Plan, wb: Workbench, listing: Sequence[str]
) -> list[SourceFile]:
    count = env.backend(seat).count_tokens
    shown = env.readable(seat, listing)
    first = env.readable(seat, spec.paths)
    return select_context(wb.wt.path, shown, first, spec.task, context_budget(env, seat), count)


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
        if done.outcome.status == "passed":
            return done
        if index + 1 < min(len(distinct), MAX_TRIED):
            wb.reset()
    return done


def generate(
    env: StageEnv,
    spec: Plan,
    target: Target,
    wb: Workbench,
    listing: Sequence[str],
    command: str | None,
    drafts: int,
) -> Written:
    """Draft ``drafts`` candidates per file and the tests; the best that passes stays written."""
    shown = context(env, env.coder, spec, wb, listing)
    seen: list[str] = []  # every Python block as written: the tests they carry count too
    problems: list[str] = []

    def batch(offset: int) -> list[Files]:  # each batch asks what no earlier one asked
        cands, said = draft_code(
            env, env.coder, "generate", spec, target, wb, shown, drafts, offset=offset, seen=seen
        )
        problems.extend(said)
        return cands

    cands, offset = batch(0), 0
    if not cands:  # hollow: once more, hotter
        offset = drafts
        cands = batch(offset)
    if not cands:
        return Written(problems=problems)
    more = functools.partial(batch, offset + drafts)
    chosen: Chosen = choose(env, spec, target, wb, cands, env.coder, drafts, more, seen)
    done = _try(wb, chosen.candidates, chosen.tests, command, chosen.support)
    done.test_names, done.pinned = chosen.test_names, chosen.pinned
    done.problems = problems + list(chosen.problems) + done.problems
    return done


def fix(
    env: StageEnv,
    seat: Seat,
    stage: str,
    spec: Plan,
    target: Target,
    wb: Workbench,
    listing: Sequence[str],
    failure: TestOutcome,
    drafts: int,
) -> Written:
    """One fix round: new drafts of the code files, shown the failing output."""
    shown = context(env, seat, spec, wb, listing)
    said = failure.output.strip() or f"(exit code {failure.exit_code}, no output)"
    text = f"$ {failure.command}\n{said}"
    cands, problems = draft_code(env, seat, stage, spec, target, wb, shown, drafts, failure=text)
    if not cands:
        return Written(problems=problems)
    done = _try(wb, cands, {}, failure.command)
    done.problems = problems + done.problems
    return done
