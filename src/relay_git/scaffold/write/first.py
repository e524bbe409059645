"""Drafts by need: one draft first, verified; one repair request when it falls short;
only then K drafts judged by each other (CodeT, ``stages.generate``).

The first draft stands when its tests pass, the signature the task names is kept, what
the task asks for is defined, and its new tests fail without it (``evidence``). What falls
short goes back to the coder once, said plainly: the failing output, the broken signature,
or the behaviour no test shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from relay_git.git import worktree as wtmod
from relay_git.scaffold.plan.spec import Plan
from relay_git.scaffold.plan.target import Target, structural
from relay_git.scaffold.runctx import Ctx, commit, discard_protected, save, subject, tests_dict
from relay_git.scaffold.runctx import listing as ls_files
from relay_git.scaffold.state import RunState
from relay_git.scaffold.verify import evidence, gate
from relay_git.scaffold.verify.testrun import TestOutcome
from relay_git.scaffold.verify.workbench import Workbench
from relay_git.scaffold.write import stages
from relay_git.scaffold.write.writer import Ask

WIDEN_DRAFTS = 3  # drafts per file once the first draft falls short


def failure_text(outcome: TestOutcome) -> str:
    said = outcome.output.strip() or f"(exit code {outcome.exit_code}, no output)"
    return f"$ {outcome.command}\n{said}"


@dataclass(frozen=True)
class Shortfall:
    why: str  # one line, for the report
    paths: tuple[str, ...]  # what the repair request asks to write
    how: Ask


def trees(
    ctx: Ctx, wt: wtmod.RelayWorktree, target: Target, files: dict[str, str]
) -> tuple[evidence.Tree, evidence.Tree]:
    paths = sorted(set(files) | set(target.code) | set(target.tests))
    base = {p: ctx.repo.read_blob(wt.base, p) for p in paths}
    return base, {p: files.get(p, base[p]) for p in paths}


def shortfall(
    ctx: Ctx,
    wt: wtmod.RelayWorktree,
    target: Target,
    wb: Workbench,
    files: dict[str, str],
    outcome: TestOutcome | None,
    stage: str,
) -> Shortfall | None:
    """What keeps a draft from standing, as a request that could repair it (None: it stands)."""
    task = ctx.opts.task
    code = tuple(target.code)
    if outcome is not None and outcome.failed:
        return Shortfall("its tests fail", code, Ask(stage, failure=failure_text(outcome)))
    base, head = trees(ctx, wt, target, files)
    wrong = gate.hollow(task, target, base, head) + evidence.signature_problems(task, head, code)
    if wrong:
        return Shortfall("; ".join(wrong), code, Ask(stage, findings=_lines(wrong)))
    if outcome is None or structural(task):
        return None
    found = wb.evidence(base, head, code, outcome.command)
    reasons = found.reasons()
    if not reasons:
        return None
    paths = tuple(target.tests) or code
    return Shortfall("; ".join(reasons), paths, Ask(stage, findings=_lines(reasons)))


def _lines(reasons: list[str]) -> str:
    return "\n".join(f"- {r}" for r in reasons)


def first_stands(
    ctx: Ctx,
    wt: wtmod.RelayWorktree,
    state: RunState,
    spec: Plan,
    target: Target,
    wb: Workbench,
    command: str | None,
) -> bool:
    """The first draft, repaired once if it falls short, committed when it stands. False:
    nothing was committed and the worktree is clean, for K drafts to follow."""
    env, listing = ctx.env, ls_files(wt)
    written = stages.first(env, spec, target, wb, listing, command, state.plan_problems)
    state.problems += written.problems
    if not written.files:
        wb.reset()
        return False
    files, outcome = dict(written.files), written.outcome
    short = shortfall(ctx, wt, target, wb, files, outcome, "fix-1")
    if short is not None:
        state.rounds += 1
        how = Ask(
            short.how.stage,
            failure=short.how.failure,
            findings=short.how.findings,
            repairs=tuple(state.plan_problems),
        )
        again = stages.rewrite(env, env.coder, spec, target, wb, listing, short.paths, how, command)
        state.problems += again.problems
        if again.files:
            files |= again.files
            outcome = again.outcome
            short = shortfall(ctx, wt, target, wb, files, outcome, "fix-1")
    if short is not None:
        state.problems.append(
            f"the first draft fell short ({short.why}); drafting {ctx.opts.drafts or WIDEN_DRAFTS}"
        )
        state.rounds = 0
        wb.reset()
        return False
    _commit_first(ctx, wt, state, spec, target, files, outcome)
    return True


def _commit_first(
    ctx: Ctx,
    wt: wtmod.RelayWorktree,
    state: RunState,
    spec: Plan,
    target: Target,
    files: dict[str, str],
    outcome: TestOutcome | None,
) -> None:
    base, head = trees(ctx, wt, target, files)
    state.test_names = list(evidence.new_tests(base, head))
    discard_protected(ctx, wt, state)
    tests = f"tests written: {len(state.test_names)}"
    body = "\n".join(
        (spec.text(), "", "first draft" + (", fixed once" if state.rounds else ""), tests)
    )
    commit(ctx, wt, state, "generate", ctx.env.coder, subject(state.task), body, list(files))
    if outcome is not None:
        state.tests = tests_dict(outcome, state)
    state.completed.append("generate")
    save(ctx, wt, state)
