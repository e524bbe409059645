"""The end of a run: the honesty gate, then the reviewer — only for a change that passed it.

The reviewer answers with a verdict first; findings, a review-fix commit (authored as the
reviewer) and notes only when it does not approve.
"""

from __future__ import annotations

from collections.abc import Sequence

from relay_git.errors import ModelOutputError
from relay_git.git import worktree as wtmod
from relay_git.safety.sandbox import Kind
from relay_git.scaffold.env import review_tokens
from relay_git.scaffold.finish.notes import apply_suggestions, notes_text
from relay_git.scaffold.finish.verdict import ask_verdict
from relay_git.scaffold.plan.spec import Plan
from relay_git.scaffold.plan.target import Target, is_test_path, structural
from relay_git.scaffold.runctx import Ctx, commit, discard_protected, tests_dict
from relay_git.scaffold.runctx import listing as ls_files
from relay_git.scaffold.state import RunState
from relay_git.scaffold.verify import evidence, gate
from relay_git.scaffold.verify.evidence import new_tests
from relay_git.scaffold.verify.testrun import run
from relay_git.scaffold.verify.workbench import Workbench
from relay_git.scaffold.write import stages
from relay_git.scaffold.write.writer import Ask
from relay_git.types import Finding, Review

MAX_FIX_DIFF_CHARS = 24_000


def _trees(ctx: Ctx, wt: wtmod.RelayWorktree, target: Target) -> tuple[gate.Tree, gate.Tree]:
    names = ctx.repo.git("diff", "--name-only", "-z", wt.base, wt.head()).split("\0")
    paths = sorted({p for p in names if p} | set(target.code))
    return (
        {p: ctx.repo.read_blob(wt.base, p) for p in paths},
        {p: ctx.repo.read_blob(wt.head(), p) for p in paths},
    )


def _vouched(ctx: Ctx, wt: wtmod.RelayWorktree, target: Target) -> bool:
    """A test the project already had names a function the task asks for (one ``git grep``
    over the base commit)."""
    if not target.names:
        return False
    patterns = [arg for name in target.names for arg in ("-e", name)]
    found = ctx.repo.run("grep", "-l", "-w", "-F", *patterns, wt.base, "--", "*.py")
    paths = [line.partition(":")[2] for line in found.out.splitlines()] if found.ok else []
    return any(is_test_path(p) for p in paths)


def judge(
    ctx: Ctx, wt: wtmod.RelayWorktree, state: RunState, target: Target, wb: Workbench
) -> None:
    """The honesty gate, then the reviewer (only for a change that passed the gate); the
    reviewer's findings go back to the coder for up to --review-rounds fix rounds, each
    judged again. The reviewer writes code itself only in the last round."""
    for round_ in range(ctx.opts.review_rounds + 1):
        hollow = _gate(ctx, wt, state, target, wb)
        before = gate.decide(
            hollow, state.tests, target.asks_tests, tuple(state.test_names), "approve"
        )
        if not before.done:
            state.verdict = "not reviewed"
            state.summary = "not sent to the reviewer: " + "; ".join(before.reasons)
            break
        last = round_ == ctx.opts.review_rounds
        review = _diff_review(ctx, wt, state, last)
        if review is None or not _review_fix(ctx, wt, state, target, wb, review, round_ + 1):
            break
    hollow = _gate(ctx, wt, state, target, wb)
    final = gate.decide(
        hollow, state.tests, target.asks_tests, tuple(state.test_names), state.verdict
    )
    state.outcome = "done" if final.done else "not done"
    state.reasons = list(final.reasons)


def _gate(
    ctx: Ctx, wt: wtmod.RelayWorktree, state: RunState, target: Target, wb: Workbench
) -> list[str]:
    """Why the branch is not done, before any reviewer: hollow, unconfirmed, unproven."""
    base, head = _trees(ctx, wt, target)
    hollow = gate.hollow(state.task, target, base, head)
    hollow += gate.unconfirmed(state.test_names, state.support, _vouched(ctx, wt, target))
    hollow += evidence.signature_problems(state.task, head, target.code)
    if structural(state.task) or hollow or state.tests.get("status") in ("failed", "timeout"):
        return hollow  # a failing branch is not done already; its evidence is moot
    command = str(state.tests.get("command") or "") or None
    return hollow + wb.evidence(base, head, target.code, command).reasons()


def _diff_review(ctx: Ctx, wt: wtmod.RelayWorktree, state: RunState, last: bool) -> Review | None:
    """The verdict; on no approval the findings. Returned for the coder to fix (None: the
    reviewer approved, gave no valid reply, or - in the ``last`` round - fixed it itself)."""
    diff = ctx.repo.diff_commits(wt.base, wt.head())
    spec = ctx.env.reviewer.spec
    try:
        judged = ask_verdict(ctx.env, state.task, diff, state.tests, tuple(state.test_names))
        if judged is not None and judged.verdict == "approve":
            state.verdict, state.summary = judged.verdict, judged.summary
            state.notes = f"relay-git review: approve\n\n{judged.summary}\n"
            _note(ctx, wt, state, spec)
            return None
        review = _engine_review(ctx, diff, state.task)
    except ModelOutputError as err:  # the branch's commits stand; say plainly it is unreviewed
        state.problems.append(f"diff review failed, the branch is NOT reviewed: {err.message}")
        state.verdict, state.summary = "unreviewed", "the reviewer gave no valid reply"
        return None
    state.verdict = review.verdict.value if not judged else judged.verdict
    state.summary = review.summary or (judged.summary if judged else "")
    if state.verdict == "approve":
        state.notes = notes_text(review, None)
        _note(ctx, wt, state, spec)
        return None
    if not last and (review.findings or review.summary):
        return review
    fix = None
    if review.findings and any(f.suggestion for f in review.findings):
        fix = apply_suggestions(wt.path, review, ctx.opts.allow_paths)
        if fix.applied:
            _review_fix_commit(ctx, wt, state, fix.applied, fix.written)
    state.notes = notes_text(review, fix)
    _note(ctx, wt, state, spec)
    return None


def findings_text(review: Review) -> str:
    lines = [f"Verdict: {review.verdict.value}. {review.summary}".strip()]
    for f in review.findings:
        line = f"- {f.path}:{f.line}: {f.severity.value}: {f.message}"
        if f.suggestion:
            line += f"\n  suggested:\n{f.suggestion}"
        lines.append(line)
    return "\n".join(lines)


def _review_fix(
    ctx: Ctx,
    wt: wtmod.RelayWorktree,
    state: RunState,
    target: Target,
    wb: Workbench,
    review: Review,
    number: int,
) -> bool:
    """The coder's fix round for the reviewer's findings: committed when it changes
    something; the tests rerun. False when the coder changed nothing."""
    stage = f"review-fix-{number}"
    cited = [f.path for f in review.findings if f.path]
    paths = list(dict.fromkeys([*target.code, *target.tests, *cited]))
    diff = ctx.repo.diff_commits(wt.base, wt.head())
    command = str(state.tests.get("command") or "") or None
    failing = state.tests.get("status") == "failed"
    how = Ask(
        stage,
        findings=findings_text(review),
        diff=diff[:MAX_FIX_DIFF_CHARS],
        failure=str(state.tests.get("output_tail", "")) if failing else "",
        repairs=tuple(state.plan_problems),
    )
    listing = ls_files(wt)
    written = stages.rewrite(
        ctx.env, ctx.env.coder, _spec(state), target, wb, listing, paths, how, command
    )
    state.problems += written.problems
    if not written.files:
        wb.reset()
        return False
    discard_protected(ctx, wt, state)
    base = {p: ctx.repo.read_blob(wt.base, p) for p in written.files}
    state.test_names = list(dict.fromkeys([*state.test_names, *new_tests(base, written.files)]))
    if written.outcome is not None:
        state.tests = tests_dict(written.outcome, state)
    subject = f"relay({stage}): the reviewer's findings"
    body = findings_text(review)
    commit(ctx, wt, state, stage, ctx.env.coder, subject, body, list(written.files))
    return True


def _spec(state: RunState) -> Plan:
    assert state.spec is not None
    return Plan.from_dict(state.spec)


def _engine_review(ctx: Ctx, diff: str, task: str) -> Review:
    reviewer = ctx.app.reviewer(
        use_cache=False,
        progress=lambda msg: ctx.env.progress("review", ctx.env.reviewer.spec, 0),
        max_output_tokens=ctx.env.budget(review_tokens(len(diff) // 3)),
        stage="review",
    )
    return reviewer.review(diff, task=task)


def _note(ctx: Ctx, wt: wtmod.RelayWorktree, state: RunState, spec: str) -> None:
    author = wtmod.Identity(f"relay-git reviewer ({spec})", "reviewer@relay-git.invalid")
    wtmod.add_note(wt, state.notes, author, ctx.environ)


def _review_fix_commit(
    ctx: Ctx,
    wt: wtmod.RelayWorktree,
    state: RunState,
    applied: tuple[Finding, ...],
    written: Sequence[str],
) -> None:
    command = state.tests.get("command") or None
    if command:
        ctx.env.progress("tests", str(command), 0)
        sandbox = Kind.NONE if ctx.opts.unsandboxed_tests else Kind.AUTO
        outcome = run(
            str(command), wt.path, ctx.app.config.test_timeout, ctx.environ, sandbox=sandbox
        )
        state.test_seconds += outcome.seconds
        discard_protected(ctx, wt, state)
        state.tests = tests_dict(outcome, state) | {"after_review_fix": True}
    body = "\n".join(f"- {f.path}:{f.line}: {f.message}" for f in applied)
    subject = "relay(review-fix): reviewer fixes"
    commit(ctx, wt, state, "review-fix", ctx.env.reviewer, subject, body, list(written))
