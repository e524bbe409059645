"""The relay, stage by stage, on its own branch and worktree; the user's checkout is never touched.

plan -> plan check -> plan-review -> generate: k drafts per file and the tests, judged by
each other, the first that passes the project's tests committed -> fix rounds (a commit
each) -> escalate -> the honesty gate -> diff review (verdict first; findings, a
review-fix commit and notes only when it does not approve). State is saved after every
stage for --resume. The run is done only when the gate and the reviewer both say so.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from relay_git.app import App
from relay_git.errors import ModelOutputError, RelayError, UsageError
from relay_git.git import runstate
from relay_git.git import worktree as wtmod
from relay_git.git.repo import DIFF_FLAGS
from relay_git.models.call import retry_temperature
from relay_git.models.ledger import ParseOutcome
from relay_git.safety.sandbox import Kind, resolve
from relay_git.scaffold.env import Progress, Seat, StageEnv
from relay_git.scaffold.finish import review as judging
from relay_git.scaffold.finish.report import CommitInfo, Report, headline
from relay_git.scaffold.plan.spec import Plan, make_plan, review_plan
from relay_git.scaffold.plan.target import Target, check_plan, target_of
from relay_git.scaffold.runctx import (
    Ctx,
    Options,
    commit,
    discard_protected,
    save,
    subject,
    tests_dict,
)
from relay_git.scaffold.runctx import listing as ls_files
from relay_git.scaffold.state import RunState, entry_from_dict
from relay_git.scaffold.verify import preflight
from relay_git.scaffold.verify.choose import draft_code
from relay_git.scaffold.verify.testrun import TestOutcome, detect, trusted_source
from relay_git.scaffold.verify.workbench import Workbench, pytest_runner
from relay_git.scaffold.write import stages
from relay_git.scaffold.write.first import WIDEN_DRAFTS, failure_text, first_stands
from relay_git.scaffold.write.testfix import next_stage
from relay_git.scaffold.write.writer import Ask

__all__ = ["Options", "scaffold", "seats"]


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
    _check_backends(env)  # a model server that is down costs no branch
    wt, state = _open(ctx)
    with runstate.locked(wt.path):  # nothing below runs while another run works here
        if opts.resume:
            wtmod.reset_clean(wt)  # drop what the interrupted run left uncommitted
        start = time.monotonic()
        broken: preflight.Broken | None = None
        try:
            _stages(ctx, wt, state)
        except preflight.Broken as err:  # before any model worked: leave nothing behind
            broken = err
        except RelayError as err:
            if err.fix is None:
                err.fix = (
                    f"{wt.branch} stays at its last good commit; rerun with --resume, "
                    "or remove it with `relay-git clean --branches`"
                )
            raise
        finally:
            state.wall_seconds += time.monotonic() - start
            save(ctx, wt, state)
    if broken is not None:
        wtmod.remove(repo, wt.path)
        wtmod.delete_branch(repo, wt.branch)
        raise broken
    report = _report(ctx, state, wt.path)
    if state.finished and not state.commits:  # nothing to show: leave nothing behind
        wtmod.remove(repo, wt.path)
        wtmod.delete_branch(repo, wt.branch)
        report = replace(report, branch="", worktree="")
        report = replace(report, problems=(*report.problems, f"{wt.branch} removed: no commit"))
    return report


def _check_backends(env: StageEnv) -> None:
    for spec in dict.fromkeys(s.spec for s in (env.planner, env.coder, env.reviewer)):
        env.make_backend(spec).check()


def _open(ctx: Ctx) -> tuple[wtmod.RelayWorktree, RunState]:
    repo, opts = ctx.repo, ctx.opts
    slug = wtmod.slugify(opts.task)
    if opts.resume:
        found = wtmod.find_resumable(repo, slug)
        data = runstate.read_state(found.path) or {}
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
    save(ctx, wt, state)
    return wt, state


def _spec(ctx: Ctx, wt: wtmod.RelayWorktree, state: RunState) -> Plan:
    listing = ls_files(wt)
    if not state.done("plan"):
        drafted = _planned(ctx, state.task, listing, state.problems)
        checked, repaired = check_plan(drafted, listing, ctx.opts.allow_paths)
        state.plan = checked.to_dict()
        state.plan_problems = repaired
        state.completed.append("plan")
        save(ctx, wt, state)
    if not state.done("plan-review"):
        assert state.plan is not None
        reviewed = _reviewed(ctx, Plan.from_dict(state.plan), listing, state)
        spec, repaired = check_plan(reviewed, listing, ctx.opts.allow_paths)  # checked too
        state.plan_problems += [p for p in repaired if p not in state.plan_problems]
        state.spec = spec.to_dict()
        state.completed.append("plan-review")
        save(ctx, wt, state)
    assert state.spec is not None
    return Plan.from_dict(state.spec)


def _planned(ctx: Ctx, task: str, listing: list[str], problems: list[str]) -> Plan:
    """The drafted plan; one that never validates is replaced by the checker's own."""
    try:
        return make_plan(ctx.env, task, listing)
    except ModelOutputError as err:
        problems.append(f"the planner gave no valid plan; planned from the task: {err.message}")
        return Plan(task, "", (), ())


def _reviewed(ctx: Ctx, plan: Plan, listing: list[str], state: RunState) -> Plan:
    """The reviewed spec; a reviewer that never gives a valid reply leaves the plan standing,
    unreviewed and said so, rather than throwing away the coder's work."""
    try:
        return review_plan(ctx.env, plan, listing, state.plan_problems)
    except ModelOutputError as err:
        state.problems.append(f"plan review failed, the plan stands unreviewed: {err.message}")
        return replace(plan, review="(not reviewed: the reviewer gave no valid reply)")


def _stages(ctx: Ctx, wt: wtmod.RelayWorktree, state: RunState) -> None:
    command = _test_command(ctx, wt, state)
    wb = Workbench(
        wt,
        ctx.environ,
        Kind.NONE if ctx.opts.unsandboxed_tests else Kind.AUTO,
        ctx.app.config.test_timeout,
        ctx.opts.allow_paths,
        pytest_runner(command),
    )
    if not state.done("plan") and command is not None:
        _preflight(ctx, wt, wb, command)
    spec = _spec(ctx, wt, state)
    target = target_of(spec, ls_files(wt))
    try:
        by_need = ctx.opts.drafts is None
        if not state.done("generate") and by_need:
            first_stands(ctx, wt, state, spec, target, wb, command)
        if not state.done("generate"):
            _generate(ctx, wt, state, spec, target, wb, command)
        if not state.done("test-fix"):
            _test_and_fix(ctx, wt, state, spec, target, wb, command)
        if not state.done("review"):
            judging.judge(ctx, wt, state, target, wb)
            state.completed.append("review")
            state.finished = True
            save(ctx, wt, state)
    finally:
        state.test_seconds += wb.test_seconds
        wb.test_seconds = 0.0


def _preflight(ctx: Ctx, wt: wtmod.RelayWorktree, wb: Workbench, command: str) -> None:
    """The test command, run once on the base tree: when it cannot run any test, the run
    ends now (exit 2), its branch removed, before any model works."""
    ctx.env.progress("tests", command, 0)
    outcome = wb.run(command)
    refused = preflight.broken(outcome, wb.runner is not None)
    if refused is not None:
        raise refused


def _test_command(ctx: Ctx, wt: wtmod.RelayWorktree, state: RunState) -> str | None:
    configured = ctx.app.config.test_command
    trusted = trusted_source(ctx.repo.root, ctx.environ, configured)
    command, source = detect(wt.path, ctx.opts.test_cmd, configured, trusted=trusted)
    if command is None:
        state.tests = TestOutcome("skipped", reason=source).to_dict() | {"rounds": 0}
    return command


def _generate(
    ctx: Ctx,
    wt: wtmod.RelayWorktree,
    state: RunState,
    spec: Plan,
    target: Target,
    wb: Workbench,
    command: str | None,
) -> None:
    drafts = ctx.opts.drafts or WIDEN_DRAFTS
    written = stages.generate(ctx.env, spec, target, wb, ls_files(wt), command, drafts)
    state.problems += written.problems
    state.test_names, state.pinned = list(written.test_names), written.pinned
    state.support = written.support
    if written.files:
        discard_protected(ctx, wt, state)
        tried = f"{written.tried} of the ranked drafts tried" if written.tried else ""
        tests = f"tests kept: {len(written.test_names)}" + (
            f" ({written.pinned} with expected values from agreeing drafts)"
            if written.pinned
            else ""
        )
        body = "\n".join(x for x in (spec.text(), "", tried, tests) if x is not None)
        commit(
            ctx,
            wt,
            state,
            "generate",
            ctx.env.coder,
            subject(state.task),
            body,
            list(written.files),
        )
    if written.outcome is not None:
        state.tests = tests_dict(written.outcome, state)
    state.completed.append("generate")
    save(ctx, wt, state)


def _test_and_fix(
    ctx: Ctx,
    wt: wtmod.RelayWorktree,
    state: RunState,
    spec: Plan,
    target: Target,
    wb: Workbench,
    command: str | None,
) -> None:
    outcome = TestOutcome.from_dict(state.tests) if state.tests.get("command") else None
    last: list[str] = []
    while command is not None and outcome is not None and outcome.failed:
        stage = next_stage(state.rounds, ctx.opts.max_rounds, state.escalated)
        if stage is None:
            state.problems.append(
                f"tests still fail after {state.rounds} fix round(s) and an escalation"
            )
            break
        seat = ctx.env.reviewer if stage == "escalate" else ctx.env.coder
        if ctx.opts.drafts is None:  # by need: one request for the files, shown the failure
            how = Ask(  # never the same request twice: what the last round did, hotter
                stage,
                failure=failure_text(outcome),
                problems=tuple(last),
                repairs=tuple(state.plan_problems),
                temperature=retry_temperature(min(state.rounds + 1, 3)),
                seed=state.rounds + 1,
            )
            listing = ls_files(wt)
            code = list(target.code)
            written = stages.rewrite(ctx.env, seat, spec, target, wb, listing, code, how, command)
        else:
            count = 1 if stage == "escalate" else ctx.opts.drafts
            written = stages.fix(
                ctx.env, seat, stage, spec, target, wb, ls_files(wt), outcome, count
            )
        state.escalated = state.escalated or stage == "escalate"
        state.rounds += stage != "escalate"
        state.problems += written.problems
        last = [p.split(": ", 1)[-1] for p in written.problems]
        if written.outcome is None:
            wb.reset()
        else:
            discard_protected(ctx, wt, state)
            body = f"Failing: {command}\n\n{outcome.output[-400:]}".strip()
            subject = f"relay({stage}): make the tests pass"
            commit(ctx, wt, state, stage, seat, subject, body, list(written.files))
            outcome = written.outcome
        state.tests = tests_dict(outcome, state)
        save(ctx, wt, state)
    state.completed.append("test-fix")
    save(ctx, wt, state)


def _dry_run(ctx: Ctx) -> Report:
    """Plan, review and draft in a throwaway detached worktree; show, commit nothing."""
    start = time.monotonic()
    base = ctx.repo.resolve(ctx.opts.base)
    wt = wtmod.create(ctx.repo, "", base, None, detach=True)
    state = RunState(ctx.opts.task, wtmod.slugify(ctx.opts.task), "", base, str(wt.path))
    try:
        listing = ls_files(wt)
        allow = ctx.opts.allow_paths
        plan, state.plan_problems = check_plan(
            _planned(ctx, state.task, listing, state.problems), listing, allow
        )
        spec, _ = check_plan(_reviewed(ctx, plan, listing, state), listing, allow)
        state.plan, state.spec = plan.to_dict(), spec.to_dict()
        wb = Workbench(wt, ctx.environ, Kind.NONE, ctx.app.config.test_timeout)
        shown = stages.context(ctx.env, ctx.env.coder, spec, wb, listing)
        target = target_of(spec, listing)
        cands, more = draft_code(ctx.env, ctx.env.coder, "generate", spec, target, wb, shown, 1)
        state.problems += more
        if cands:
            wb.write(cands[0])
        wt.git("add", "-A")
        diff = wt.git("diff", "--cached", *DIFF_FLAGS)
    finally:
        wtmod.remove(ctx.repo, wt.path)
    state.wall_seconds = time.monotonic() - start
    state.tests = {"status": "not run", "reason": "dry run"}
    state.outcome, state.reasons = "not done", ["dry run: nothing was committed"]
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
        outcome=state.outcome or "not done",
        reasons=tuple(state.reasons),
        plan_problems=tuple(state.plan_problems),
        test_names=tuple(state.test_names),
        pinned=state.pinned,
        support=state.support,
        model_load_seconds=_load_seconds(ctx),
    )


def _load_seconds(ctx: Ctx) -> dict[str, float]:
    """Seconds each in-process model took to load, reported apart from generation."""
    out: dict[str, float] = {}
    for spec in dict.fromkeys((ctx.env.coder.spec, ctx.env.reviewer.spec, ctx.env.planner.spec)):
        seconds = getattr(ctx.env.make_backend(spec), "load_seconds", None)
        if callable(seconds):
            out[spec] = round(float(seconds()), 3)
    return out
