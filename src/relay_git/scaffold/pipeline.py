"""The relay, stage by stage, on its own branch and worktree; the user's checkout is never touched.

plan -> plan-review -> generate (commit) -> test + fix rounds (a commit each) -> escalate
-> diff review (review-fix commit, notes). State is saved after every stage for --resume.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from relay_git import worktree as wtmod
from relay_git.app import App
from relay_git.errors import ModelOutputError, RelayError, UsageError
from relay_git.gitops import DIFF_FLAGS, Repository
from relay_git.ledger import ParseOutcome
from relay_git.sandbox import Kind, resolve
from relay_git.scaffold.diffreview import apply_suggestions, notes_text
from relay_git.scaffold.env import REVIEW_TOKENS, Progress, Seat, StageEnv
from relay_git.scaffold.generate import generate
from relay_git.scaffold.plan import Plan, make_plan, review_plan
from relay_git.scaffold.report import CommitInfo, Report, headline
from relay_git.scaffold.state import RunState, entry_from_dict
from relay_git.scaffold.testfix import fix_round, next_stage
from relay_git.scaffold.testrun import TestOutcome, detect, run, trusted_source
from relay_git.types import Coverage, Finding, Review, Verdict


@dataclass(frozen=True)
class Options:
    task: str
    base: str = "HEAD"
    worktree: Path | None = None
    large_only: bool = False
    plan_with: str = "small"  # "small" | "large"
    dry_run: bool = False
    resume: bool = False
    test_cmd: str | None = None
    max_rounds: int = 3
    max_tokens: int | None = None  # caps every stage's output bound
    unsandboxed_tests: bool = False  # --unsandboxed-tests: run tests without the sandbox
    allow_paths: tuple[str, ...] = ()  # --allow-path: protected paths the model may edit


@dataclass(frozen=True)
class Ctx:
    app: App
    repo: Repository
    env: StageEnv
    opts: Options
    environ: Mapping[str, str]
    small: str
    large: str


def seats(app: App, opts: Options) -> tuple[Seat, Seat, Seat]:
    """(planner, coder, reviewer): --large-only puts the reviewer model in every seat."""
    small, large = app.config.coder, app.config.reviewer
    reviewer = Seat("reviewer", large)
    coder = Seat("coder", large if opts.large_only else small)
    large_plan = opts.plan_with == "large" or app.config.planner in ("reviewer", "large")
    planner = reviewer if large_plan and not opts.large_only else coder
    return planner, coder, reviewer


def scaffold(app: App, opts: Options, progress: Progress) -> Report:
    repo = app.require_repo()
    if not repo.has_head():
        raise UsageError(
            "the repository has no commits yet; a relay branch needs a base commit",
            "make a first commit, then rerun",
        )
    if not opts.task.strip() and not opts.resume:
        raise UsageError("the task is empty", 'describe it, e.g. "add a slugify() helper"')
    planner, coder, reviewer = seats(app, opts)
    env = StageEnv(
        app.make_backend,
        app.ledger,
        app.templates_dir,
        progress,
        planner,
        coder,
        reviewer,
        opts.max_tokens,
        app.config.secret_patterns,
        frozenset(s.spec for s in (planner, coder, reviewer) if app.is_local(s.spec)),
        allow_paths=opts.allow_paths,
    )
    ctx = Ctx(app, repo, env, opts, app.environ, app.config.coder, app.config.reviewer)
    if opts.dry_run:
        return _dry_run(ctx)
    if opts.test_cmd and not opts.unsandboxed_tests:
        resolve(Kind.AUTO, ctx.environ)  # no sandbox: refuse now, before any model works
    wt, state = _open(ctx)
    with wtmod.locked(wt.path):  # nothing below runs while another run works here
        if opts.resume:
            wtmod.reset_clean(wt)  # drop what the interrupted run left uncommitted
        start = time.monotonic()
        try:
            _stages(ctx, wt, state)
        except RelayError as err:
            if err.fix is None:
                err.fix = (
                    f"{wt.branch} stays at its last good commit; rerun with --resume, "
                    "or remove it with `relay-git clean --branches`"
                )
            raise
        finally:
            state.wall_seconds += time.monotonic() - start
            _save(ctx, wt, state)
    return _report(ctx, state, wt.path)


def _open(ctx: Ctx) -> tuple[wtmod.RelayWorktree, RunState]:
    repo, opts = ctx.repo, ctx.opts
    slug = wtmod.slugify(opts.task)
    if opts.resume:
        found = wtmod.find_resumable(repo, slug)
        data = wtmod.read_state(found.path) or {}
        state = RunState.from_dict(data)
        for entry in state.ledger:
            ctx.app.ledger.record(entry_from_dict(entry))
        for outcome in state.outcomes:
            ctx.app.ledger.record_outcome(ParseOutcome(**outcome))
        return wtmod.RelayWorktree(found.path, found.branch, state.base), state
    branch = wtmod.free_branch(repo, slug)
    wtmod.check_branch_allowed(repo, branch, ctx.app.config.protected)
    base = repo.resolve(opts.base)
    wt = wtmod.create(repo, branch, base, opts.worktree)
    state = RunState(opts.task, slug, branch, base, str(wt.path), opts.large_only)
    _save(ctx, wt, state)
    return wt, state


def _save(ctx: Ctx, wt: wtmod.RelayWorktree, state: RunState) -> None:
    state.ledger = [e.to_dict() for e in ctx.app.ledger.entries]
    state.outcomes = [asdict(o) for o in ctx.app.ledger.outcomes]
    wtmod.write_state(wt.path, state.to_dict())


def _listing(wt: wtmod.RelayWorktree) -> list[str]:
    return [p for p in wt.git("ls-files", "-z").split("\0") if p]


def _spec(ctx: Ctx, wt: wtmod.RelayWorktree, state: RunState) -> Plan:
    listing = _listing(wt)
    if not state.done("plan"):
        state.plan = make_plan(ctx.env, state.task, listing).to_dict()
        state.completed.append("plan")
        _save(ctx, wt, state)
    if not state.done("plan-review"):
        assert state.plan is not None
        state.spec = _reviewed(ctx, Plan.from_dict(state.plan), listing, state.problems).to_dict()
        state.completed.append("plan-review")
        _save(ctx, wt, state)
    assert state.spec is not None
    return Plan.from_dict(state.spec)


def _reviewed(ctx: Ctx, plan: Plan, listing: list[str], problems: list[str]) -> Plan:
    """The reviewed spec; a reviewer that never gives a valid reply leaves the plan standing,
    unreviewed and said so, rather than throwing away the coder's work."""
    try:
        return review_plan(ctx.env, plan, listing)
    except ModelOutputError as err:
        problems.append(f"plan review failed, the coder's plan stands unreviewed: {err.message}")
        return replace(plan, review="(not reviewed: the reviewer gave no valid reply)")


def _stages(ctx: Ctx, wt: wtmod.RelayWorktree, state: RunState) -> None:
    spec = _spec(ctx, wt, state)
    if not state.done("generate"):
        applied = generate(ctx.env, spec, wt.path, _listing(wt))
        body = spec.text() + (f"\n\nCoder: {applied.summary}" if applied.summary else "")
        _commit(ctx, wt, state, "generate", ctx.env.coder, _subject(state.task), body)
        state.completed.append("generate")
        _save(ctx, wt, state)
    if not state.done("test-fix"):
        _test_and_fix(ctx, wt, state, spec)
        state.completed.append("test-fix")
        _save(ctx, wt, state)
    if not state.done("review"):
        _diff_review(ctx, wt, state)
        state.completed.append("review")
        state.finished = True
        _save(ctx, wt, state)


def _subject(task: str) -> str:
    text = " ".join(task.split())
    return f"relay: {text[:64]}" + ("…" if len(text) > 64 else "")


def _commit(
    ctx: Ctx,
    wt: wtmod.RelayWorktree,
    state: RunState,
    stage: str,
    seat: Seat,
    subject: str,
    body: str,
) -> None:
    current = wt.git("symbolic-ref", "-q", "--short", "HEAD").strip()
    if current != wt.branch:
        raise UsageError(f"the relay worktree is on {current!r}, not {wt.branch!r}; not committing")
    entries = ctx.app.ledger.entries[state.committed_entries :]
    out = sum(e.output_tokens for e in entries)
    prompt = sum(e.prompt_tokens for e in entries)
    author = wtmod.Identity(
        f"relay-git {seat.role} ({seat.spec})", f"{seat.role}@relay-git.invalid"
    )
    trailers = [
        ("Relay-Coder", ctx.env.coder.spec),
        ("Relay-Reviewer", ctx.env.reviewer.spec),
        ("Relay-Stage", stage),
        ("Relay-Tokens", f"{out} output, {prompt} prompt"),
    ]
    sha = wtmod.commit(wt, subject, body, trailers, author, ctx.environ)
    state.committed_entries = len(ctx.app.ledger.entries)
    state.commits.append(CommitInfo(sha, stage, author.name, subject).to_dict())


def _run_tests(ctx: Ctx, wt: wtmod.RelayWorktree, state: RunState, command: str) -> TestOutcome:
    ctx.env.progress("tests", command, 0)
    sandbox = Kind.NONE if ctx.opts.unsandboxed_tests else Kind.AUTO
    outcome = run(command, wt.path, ctx.app.config.test_timeout, ctx.environ, sandbox=sandbox)
    for path in wtmod.discard_protected(wt, ctx.opts.allow_paths):
        state.problems.append(f"the tests wrote {path!r}, a protected path: discarded")
    state.test_seconds += outcome.seconds
    return outcome


def _test_and_fix(ctx: Ctx, wt: wtmod.RelayWorktree, state: RunState, spec: Plan) -> None:
    configured = ctx.app.config.test_command
    trusted = trusted_source(ctx.repo.root, ctx.environ, configured)
    command, source = detect(wt.path, ctx.opts.test_cmd, configured, trusted=trusted)
    if command is None:
        state.tests = TestOutcome("skipped", reason=source).to_dict() | {"rounds": 0}
        return
    outcome = _run_tests(ctx, wt, state, command)
    while outcome.failed:
        stage = next_stage(state.rounds, ctx.opts.max_rounds, state.escalated)
        if stage is None:
            state.problems.append(
                f"tests still fail after {state.rounds} fix round(s) and an escalation"
            )
            break
        seat = ctx.env.reviewer if stage == "escalate" else ctx.env.coder
        changed = wtmod.changed_files(wt)
        attempt = fix_round(ctx.env, seat, stage, spec, outcome, wt.path, changed)
        if stage == "escalate":
            state.escalated = True
        else:
            state.rounds += 1
        if attempt.applied is None:
            state.problems.append(attempt.problem)
            wtmod.reset_clean(wt)
        else:
            body = f"Failing: {command}\n\n{attempt.applied.summary}".strip()
            _commit(ctx, wt, state, stage, seat, f"relay({stage}): make the tests pass", body)
            outcome = _run_tests(ctx, wt, state, command)
        state.tests = outcome.to_dict() | {"rounds": state.rounds, "escalated": state.escalated}
        _save(ctx, wt, state)
    state.tests = outcome.to_dict() | {"rounds": state.rounds, "escalated": state.escalated}


def _diff_review(ctx: Ctx, wt: wtmod.RelayWorktree, state: RunState) -> None:
    diff = ctx.repo.diff_commits(wt.base, wt.head())
    spec = ctx.env.reviewer.spec
    if diff.strip():
        reviewer = ctx.app.reviewer(
            use_cache=False,
            progress=lambda msg: ctx.env.progress("review", spec, 0),
            max_output_tokens=ctx.env.budget(REVIEW_TOKENS),
            stage="review",
        )
        try:
            review = reviewer.review(diff)
        except ModelOutputError as err:  # the branch's commits stand; say plainly it is unreviewed
            state.problems.append(f"diff review failed, the branch is NOT reviewed: {err.message}")
            state.verdict, state.summary = "unreviewed", "the reviewer gave no valid reply"
            return
    else:
        review = Review(Verdict.APPROVE, "Nothing changed.", (), Coverage())
    fix = None
    if review.verdict is Verdict.FIX and any(f.suggestion for f in review.findings):
        fix = apply_suggestions(wt.path, review, ctx.opts.allow_paths)
        if fix.applied:
            _review_fix_commit(ctx, wt, state, fix.applied)
    state.verdict, state.summary = review.verdict.value, review.summary
    state.notes = notes_text(review, fix)
    author = wtmod.Identity(f"relay-git reviewer ({spec})", "reviewer@relay-git.invalid")
    wtmod.add_note(wt, state.notes, author, ctx.environ)


def _review_fix_commit(
    ctx: Ctx, wt: wtmod.RelayWorktree, state: RunState, applied: tuple[Finding, ...]
) -> None:
    command = state.tests.get("command") or None
    if command:
        outcome = _run_tests(ctx, wt, state, str(command))
        state.tests = outcome.to_dict() | {
            "rounds": state.rounds,
            "escalated": state.escalated,
            "after_review_fix": True,
        }
    body = "\n".join(f"- {f.path}:{f.line}: {f.message}" for f in applied)
    _commit(
        ctx, wt, state, "review-fix", ctx.env.reviewer, "relay(review-fix): reviewer fixes", body
    )


def _dry_run(ctx: Ctx) -> Report:
    """Plan, review and generate in a throwaway detached worktree; show, commit nothing."""
    start = time.monotonic()
    base = ctx.repo.resolve(ctx.opts.base)
    wt = wtmod.create(ctx.repo, "", base, None, detach=True)
    state = RunState(ctx.opts.task, wtmod.slugify(ctx.opts.task), "", base, str(wt.path))
    try:
        listing = _listing(wt)
        plan = make_plan(ctx.env, state.task, listing)
        spec = _reviewed(ctx, plan, listing, state.problems)
        state.plan, state.spec = plan.to_dict(), spec.to_dict()
        generate(ctx.env, spec, wt.path, listing)
        wt.git("add", "-A")
        diff = wt.git("diff", "--cached", *DIFF_FLAGS)
    finally:
        wtmod.remove(ctx.repo, wt.path)
    state.wall_seconds = time.monotonic() - start
    state.tests = {"status": "not run", "reason": "dry run"}
    return _report(ctx, state, None, diff)


def _report(ctx: Ctx, state: RunState, path: Path | None, diff: str | None = None) -> Report:
    entries = ctx.app.ledger.entries
    if diff is None and path is not None and state.commits:
        diff = ctx.repo.diff_commits(state.base, state.commits[-1]["sha"])
    return Report(
        task=state.task,
        branch=state.branch,
        worktree=str(path) if path else "",
        base=state.base,
        dry_run=ctx.opts.dry_run,
        large_only=ctx.opts.large_only,
        commits=tuple(CommitInfo(**c) for c in state.commits),
        tests=state.tests | {"total_seconds": round(state.test_seconds, 3)},
        verdict=state.verdict,
        summary=state.summary,
        notes=state.notes,
        plan=state.spec,
        edits=diff or "",
        ledger=entries,
        headline=headline(entries, ctx.small, ctx.large),
        wall_seconds=state.wall_seconds,
        problems=tuple(state.problems),
        outcomes=ctx.app.ledger.outcomes,
    )
