"""The end of a run: the honesty gate, then the reviewer — only for a change that passed it.

The reviewer answers with a verdict first; findings, a review-fix commit (authored as the
reviewer) and notes only when it does not approve.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from relay_git.errors import ModelOutputError
from relay_git.git import worktree as wtmod
from relay_git.scaffold.finish.notes import apply_suggestions, notes_text
from relay_git.scaffold.finish.verdict import ask_verdict
from relay_git.scaffold.plan.scope import Scope, is_test_path, structural
from relay_git.scaffold.relay import Relay, review_tokens
from relay_git.scaffold.stages.commit import commit, discard_protected
from relay_git.scaffold.stages.plan import run_scope, spec_of
from relay_git.scaffold.state import RunState
from relay_git.scaffold.verify import evidence, gate
from relay_git.scaffold.verify.evidence import new_tests
from relay_git.scaffold.verify.testrun import Status
from relay_git.scaffold.write import rounds
from relay_git.scaffold.write.writer import Ask
from relay_git.types import Finding, Review

MAX_FIX_DIFF_CHARS = 24_000


def _trees(relay: Relay, target: Scope) -> tuple[gate.Tree, gate.Tree]:
    wt, repo = relay.wt, relay.repo
    names = repo.git("diff", "--name-only", "-z", wt.base, wt.head()).split("\0")
    paths = sorted({p for p in names if p} | set(target.code))
    return (
        {p: repo.read_blob(wt.base, p) for p in paths},
        {p: repo.read_blob(wt.head(), p) for p in paths},
    )


def _vouched(relay: Relay, target: Scope) -> bool:
    """A test the project already had names a function the task asks for (one ``git grep``
    over the base commit)."""
    if not target.names:
        return False
    patterns = [arg for name in target.names for arg in ("-e", name)]
    found = relay.repo.run("grep", "-l", "-w", "-F", *patterns, relay.wt.base, "--", "*.py")
    paths = [line.partition(":")[2] for line in found.out.splitlines()] if found.ok else []
    return any(is_test_path(p) for p in paths)


def review_stage(relay: Relay, state: RunState) -> RunState:
    """The honesty gate, then the reviewer (only for a change that passed the gate); the
    reviewer's findings go back to the coder for up to --review-rounds fix rounds, each
    first_look again. The reviewer writes code itself only in the last round."""
    target = run_scope(relay, state)
    for round_ in range(relay.opts.review_rounds + 1):
        hollow = _gate(relay, state, target)
        before = gate.decide(
            hollow, state.test_record(), target.asks_tests, state.test_names, "approve"
        )
        if not before.done:
            why = "not sent to the reviewer: " + "; ".join(before.reasons)
            state = replace(state, verdict="not reviewed", summary=why)
            break
        last = round_ == relay.opts.review_rounds
        state, review = _diff_review(relay, state, last)
        if review is None:
            break
        state, fixed = _review_fix(relay, state, target, review, round_ + 1)
        if not fixed:
            break
    hollow = _gate(relay, state, target)
    final = gate.decide(
        hollow, state.test_record(), target.asks_tests, state.test_names, state.verdict
    )
    done = replace(state, outcome=final.outcome, reasons=tuple(final.reasons), finished=True)
    return done.complete("review")


def _gate(relay: Relay, state: RunState, target: Scope) -> list[str]:
    """Why the branch is not done, before any reviewer: hollow, unconfirmed, unproven."""
    base, head = _trees(relay, target)
    hollow = gate.hollow(state.task, target, base, head)
    hollow += gate.unconfirmed(state.test_names, state.support, _vouched(relay, target))
    hollow += evidence.signature_problems(state.task, head, target.code)
    failing = state.tests is not None and state.tests.failed
    if structural(state.task) or hollow or failing:
        return hollow  # a failing branch is not done already; its evidence is moot
    command = (state.tests.command or None) if state.tests else None
    return hollow + relay.bench.evidence(base, head, target.code, command).reasons()


def _diff_review(relay: Relay, state: RunState, last: bool) -> tuple[RunState, Review | None]:
    """The verdict; on no approval the findings. Returned for the coder to fix (None: the
    reviewer approved, gave no valid reply, or - in the ``last`` round - fixed it itself)."""
    diff = relay.repo.diff_commits(relay.wt.base, relay.wt.head())
    try:
        first_look = ask_verdict(relay, state.task, diff, state.test_record(), state.test_names)
        if first_look is not None and first_look.verdict == "approve":
            state = replace(state, verdict=first_look.verdict, summary=first_look.summary)
            notes = f"relay-git review: approve\n\n{first_look.summary}\n"
            return _noted(relay, state, notes), None
        review = _engine_review(relay, diff, state.task)
    except ModelOutputError as err:  # the branch's commits stand; say plainly it is unreviewed
        said = f"diff review failed, the branch is NOT reviewed: {err.message}"
        state = replace(state, verdict="unreviewed", summary="the reviewer gave no valid reply")
        return state.noted([said]), None
    state = replace(
        state,
        verdict=review.verdict.value if not first_look else first_look.verdict,
        summary=review.summary or (first_look.summary if first_look else ""),
    )
    if state.verdict == "approve":
        return _noted(relay, state, notes_text(review, None)), None
    if not last and (review.findings or review.summary):
        return state, review
    fix = None
    if review.findings and any(f.suggestion for f in review.findings):
        fix = apply_suggestions(relay.wt.path, review, relay.opts.allow_paths)
        if fix.applied:
            state = _review_fix_commit(relay, state, fix.applied, fix.written)
    return _noted(relay, state, notes_text(review, fix)), None


def findings_text(review: Review) -> str:
    lines = [f"Verdict: {review.verdict.value}. {review.summary}".strip()]
    for f in review.findings:
        line = f"- {f.path}:{f.line}: {f.severity.value}: {f.message}"
        if f.suggestion:
            line += f"\n  suggested:\n{f.suggestion}"
        lines.append(line)
    return "\n".join(lines)


def _review_fix(
    relay: Relay, state: RunState, target: Scope, review: Review, number: int
) -> tuple[RunState, bool]:
    """The coder's fix round for the reviewer's findings: committed when it changes
    something; the tests rerun. False when the coder changed nothing."""
    stage = f"review-fix-{number}"
    cited = [f.path for f in review.findings if f.path]
    paths = list(dict.fromkeys([*target.code, *target.tests, *cited]))
    diff = relay.repo.diff_commits(relay.wt.base, relay.wt.head())
    failing = state.tests if state.tests and state.tests.status is Status.FAILED else None
    how = Ask(
        stage,
        findings=findings_text(review),
        diff=diff[:MAX_FIX_DIFF_CHARS],
        failure=failing.output if failing else "",
        repairs=state.plan_problems,
    )
    written = rounds.rewrite(relay, relay.coder, spec_of(state), target, paths, how)
    state = state.noted(written.problems)
    if not written.files:
        relay.bench.reset()
        return state, False
    state = discard_protected(relay, state)
    base = {p: relay.repo.read_blob(relay.wt.base, p) for p in written.files}
    names = tuple(dict.fromkeys([*state.test_names, *new_tests(base, written.files)]))
    state = replace(state, test_names=names)
    if written.outcome is not None:
        state = state.tested(written.outcome)
    subject = f"relay({stage}): the reviewer's findings"
    body = findings_text(review)
    return commit(relay, state, stage, relay.coder, subject, body, list(written.files)), True


def _engine_review(relay: Relay, diff: str, task: str) -> Review:
    reviewer = relay.app.reviewer(
        use_cache=False,
        progress=lambda msg: relay.progress("review", relay.reviewer.spec, 0),
        max_output_tokens=relay.budget(review_tokens(len(diff) // 3)),
        stage="review",
    )
    return reviewer.review(diff, task=task)


def _noted(relay: Relay, state: RunState, notes: str) -> RunState:
    """The review's notes, attached to the branch head as a git note and kept in the state."""
    spec = relay.reviewer.spec
    author = wtmod.Identity(f"relay-git reviewer ({spec})", "reviewer@relay-git.invalid")
    wtmod.add_note(relay.wt, notes, author, relay.app.environ)
    return replace(state, notes=notes)


def _review_fix_commit(
    relay: Relay, state: RunState, applied: tuple[Finding, ...], written: Sequence[str]
) -> RunState:
    command = state.tests.command if state.tests else ""
    if command:  # through the workbench, as every test run: sandboxed, timed, summed
        relay.progress("tests", command, 0)
        outcome = relay.bench.run(command)
        state = discard_protected(relay, state).tested(outcome, after_review_fix=True)
    body = "\n".join(f"- {f.path}:{f.line}: {f.message}" for f in applied)
    subject = "relay(review-fix): reviewer fixes"
    return commit(relay, state, "review-fix", relay.reviewer, subject, body, list(written))
