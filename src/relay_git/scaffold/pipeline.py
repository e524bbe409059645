"""The relay, stage by stage, on its own branch and worktree; the user's checkout is never touched.

plan -> plan-review -> generate (one draft first; K drafts judged by each other only when it
falls short) -> test-fix (a commit per round, then one escalation) -> review (the honesty
gate, then the reviewer, whose findings go back to the coder). Each stage is
``stage(relay, state) -> state`` over an immutable ``RunState``; a stage is done when the
state it returns records it, and the state is saved after each step, in one place, for
--resume.
The run is done only when the gate and the reviewer both say so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from relay_git.app import App
from relay_git.errors import BrokenTestCommand, RelayError, UsageError
from relay_git.git import runstate
from relay_git.git import worktree as wtmod
from relay_git.git.repo import DIFF_FLAGS
from relay_git.models.ledger import ParseOutcome
from relay_git.safety.sandbox import Kind, resolve
from relay_git.scaffold.finish.report import Report, headline
from relay_git.scaffold.plan.scope import check_plan, scope_of
from relay_git.scaffold.relay import Options, Progress, Relay
from relay_git.scaffold.stages.first import generate_stage
from relay_git.scaffold.stages.plan import plan_review_stage, plan_stage, planned, reviewed
from relay_git.scaffold.stages.review import review_stage
from relay_git.scaffold.stages.testfix import fix_stage
from relay_git.scaffold.state import RunState, entry_from_dict
from relay_git.scaffold.verify import preflight
from relay_git.scaffold.verify.gate import Outcome
from relay_git.scaffold.verify.testrun import Status, TestOutcome, detect, trusted_source
from relay_git.scaffold.verify.workbench import Workbench
from relay_git.scaffold.write import rounds
from relay_git.scaffold.write.choose import draft_code

__all__ = ["STAGES", "Options", "scaffold"]

Stage = Callable[[Relay, RunState], RunState]  # the new state; done once it records the stage

STAGES: tuple[tuple[str, Stage], ...] = (
    ("plan", plan_stage),
    ("plan-review", plan_review_stage),
    ("generate", generate_stage),
    ("test-fix", fix_stage),
    ("review", review_stage),
)


def scaffold(app: App, opts: Options, progress: Progress) -> Report:
    repo = app.require_repo()
    if not repo.has_head():
        raise UsageError(
            "the repository has no commits yet; a relay branch needs a base commit",
            "make a first commit, then rerun",
        )
    relay = Relay.start(app, opts, progress)
    if opts.dry_run:
        return _dry_run(relay)
    if opts.test_cmd and not opts.unsandboxed_tests:
        resolve(Kind.AUTO, app.environ)  # no sandbox: refuse now, before any model works
    for seat in relay.seats:  # a model server that is down costs no branch
        relay.backend(seat).check()
    wt, state = _open(relay)
    broken: BrokenTestCommand | None = None
    with runstate.locked(wt.path):  # nothing below runs while another run works here
        if opts.resume:
            wtmod.reset_clean(wt)  # drop what the interrupted run left uncommitted
        try:
            bench, state = _workbench(relay, wt, state)
            state = _run(relay.at(bench), state)
        except BrokenTestCommand as err:  # before any model worked: leave nothing behind
            broken = err
    if broken is not None:
        _remove(relay, wt)
        raise broken
    report = _report(relay, state, wt.path)
    if state.finished and not state.commits:  # nothing to show: leave nothing behind
        _remove(relay, wt)
        report = replace(report, branch="", worktree="")
        report = replace(report, problems=(*report.problems, f"{wt.branch} removed: no commit"))
    return report


def _run(relay: Relay, state: RunState) -> RunState:
    """Every stage not yet done, the state saved after each step; the final state."""
    start = time.monotonic()
    try:
        if not state.done("plan") and relay.command is not None:
            _preflight(relay)
        for name, stage in STAGES:
            while not state.done(name):
                before, state = state, stage(relay, state)  # not done: again (a fix round)
                if state == before:  # a stage that neither finished nor progressed
                    raise RuntimeError(f"the {name} stage changed nothing: it would loop")
                save(relay, state)
    except BrokenTestCommand:
        raise
    except RelayError as err:
        if err.fix is None:
            err.fix = (
                f"{relay.wt.branch} stays at its last good commit; rerun with --resume, "
                "or remove it with `relay-git clean --branches`"
            )
        raise
    finally:
        state = replace(
            state,
            test_seconds=state.test_seconds + relay.bench.test_seconds,
            wall_seconds=state.wall_seconds + time.monotonic() - start,
        )
        relay.bench.test_seconds = 0.0
        save(relay, state)
    return state


def save(relay: Relay, state: RunState) -> None:
    """The one place the run's state is written (after every stage step), with the ledger
    so far: the relay keeps it as the run goes; the saved state carries it for --resume."""
    ledger = tuple(e.to_dict() for e in relay.ledger.entries)
    outcomes = tuple(asdict(o) for o in relay.ledger.outcomes)
    saved = replace(state, ledger=ledger, outcomes=outcomes)
    runstate.write_state(Path(state.worktree), saved.to_dict())


def _remove(relay: Relay, wt: wtmod.RelayWorktree) -> None:
    wtmod.remove(relay.repo, wt.path)
    wtmod.delete_branch(relay.repo, wt.branch)


def _open(relay: Relay) -> tuple[wtmod.RelayWorktree, RunState]:
    repo, opts = relay.repo, relay.opts
    slug = wtmod.slugify(opts.task)
    if opts.resume:
        found = wtmod.find_resumable(repo, slug)
        state = RunState.from_dict(runstate.read_state(found.path) or {})
        for entry in state.ledger:
            relay.ledger.record(entry_from_dict(entry))
        for outcome in state.outcomes:
            relay.ledger.record_outcome(ParseOutcome(**outcome))
        return wtmod.RelayWorktree(found.path, found.branch, state.base), state
    branch = wtmod.free_branch(repo, slug)
    wtmod.check_branch_allowed(repo, branch, relay.app.config.protected)
    base = repo.resolve(opts.base)
    wt = wtmod.create(repo, branch, base, opts.worktree)
    state = RunState(opts.task, slug, branch, base, str(wt.path), opts.large_only)
    save(relay, state)
    return wt, state


def _workbench(
    relay: Relay, wt: wtmod.RelayWorktree, state: RunState
) -> tuple[Workbench, RunState]:
    """Where drafts are written and the project's test command runs (sandboxed); the state,
    its tests skipped when there is no command to run."""
    configured = relay.app.config.test_command
    trusted = trusted_source(relay.repo.root, relay.app.environ, configured)
    found = detect(wt.path, relay.opts.test_cmd, configured, trusted=trusted)
    if found.command is None:
        skipped = TestOutcome(
            Status.SKIPPED, reason=found.source, needs_confirmation=found.needs_confirmation
        )
        state = state.tested(skipped)
    bench = Workbench(
        wt,
        relay.app.environ,
        Kind.NONE if relay.opts.unsandboxed_tests else Kind.AUTO,
        relay.app.config.test_timeout,
        relay.opts.allow_paths,
        command=found.command,
    )
    return bench, state


def _preflight(relay: Relay) -> None:
    """The test command, run once on the base tree: when it cannot run any test, the run
    ends now (exit 2), its branch removed, before any model works."""
    assert relay.command is not None
    relay.progress("tests", relay.command, 0)
    outcome = relay.bench.run(relay.command)
    refused = preflight.broken(outcome, relay.bench.runner is not None)
    if refused is not None:
        raise refused


def _dry_run(relay: Relay) -> Report:
    """Plan, review and draft in a throwaway detached worktree; show, commit nothing."""
    start = time.monotonic()
    base = relay.repo.resolve(relay.opts.base)
    wt = wtmod.create(relay.repo, "", base, None, detach=True)
    state = RunState(relay.opts.task, wtmod.slugify(relay.opts.task), "", base, str(wt.path))
    try:
        state, diff = _draft_once(
            relay.at(Workbench(wt, relay.app.environ, Kind.NONE, relay.app.config.test_timeout)),
            state,
        )
    finally:
        wtmod.remove(relay.repo, wt.path)
    state = replace(
        state,
        wall_seconds=time.monotonic() - start,
        outcome=Outcome.NOT_DONE,
        reasons=("dry run: nothing was committed",),
    )
    return _report(relay, state, None, diff)


def _draft_once(relay: Relay, state: RunState) -> tuple[RunState, str]:
    """The plan, its review and one draft, written (not run); the state and the staged diff."""
    listing, allow = relay.listing(), relay.opts.allow_paths
    drafted, said = planned(relay, state.task, listing)
    plan, repaired = check_plan(drafted, listing, allow)
    corrected, more = reviewed(relay, plan, listing, repaired)
    spec, _ = check_plan(corrected, listing, allow)
    shown = rounds.context(relay, relay.coder, spec, relay.bench, listing)
    target = scope_of(spec, listing)
    cands, wrong = draft_code(relay, relay.coder, "generate", spec, target, relay.bench, shown, 1)
    if cands:
        relay.bench.write(cands[0])
    relay.wt.git("add", "-A")
    state = replace(state, plan=plan, spec=spec, plan_problems=tuple(repaired))
    return state.noted([*said, *more, *wrong]), relay.wt.git("diff", "--cached", *DIFF_FLAGS)


def _report(relay: Relay, state: RunState, path: Path | None, diff: str | None = None) -> Report:
    entries = relay.ledger.entries
    if diff is None and path is not None and state.commits:
        diff = relay.repo.diff_commits(state.base, state.commits[-1].sha)
    return Report(
        task=state.task,
        branch=state.branch,
        worktree=str(path) if path else "",
        base=state.base,
        dry_run=relay.opts.dry_run,
        large_only=relay.opts.large_only,
        commits=tuple(state.commits),
        tests=_tests(relay, state),
        verdict=state.verdict,
        summary=state.summary,
        notes=state.notes,
        plan=state.spec.to_dict() if state.spec else None,
        edits=diff or "",
        ledger=entries,
        headline=headline(entries, relay.app.config.coder, relay.app.config.reviewer),
        wall_seconds=state.wall_seconds,
        problems=tuple(state.problems),
        outcomes=relay.ledger.outcomes,
        outcome=state.outcome or Outcome.NOT_DONE,
        reasons=tuple(state.reasons),
        plan_problems=tuple(state.plan_problems),
        test_names=tuple(state.test_names),
        pinned=state.pinned,
        support=state.support,
        model_load_seconds=_load_seconds(relay),
    )


def _tests(relay: Relay, state: RunState) -> dict[str, Any]:
    record = state.test_record()
    if relay.opts.dry_run:
        record = {"status": "not run", "reason": "dry run"}
    return record | {"total_seconds": round(state.test_seconds, 3)}


def _load_seconds(relay: Relay) -> dict[str, float]:
    """Seconds each in-process model took to load, reported apart from generation."""
    out: dict[str, float] = {}
    for spec in dict.fromkeys((relay.coder.spec, relay.reviewer.spec, relay.planner.spec)):
        seconds = getattr(relay.app.make_backend(spec), "load_seconds", None)
        if callable(seconds):
            out[spec] = round(float(seconds()), 3)
    return out
