"""Drafts by need: one draft first, verified; one repair request when it falls short;
only then K drafts judged by each other (CodeT, ``rounds.generate``).

The first draft stands when its tests pass, the signature the task names is kept, what
the task asks for is defined, and its new tests fail without it (``evidence``). What falls
short goes back to the coder once, said plainly: the failing output, the broken signature,
or the behaviour no test shows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from relay_git.scaffold.plan.scope import Scope, structural
from relay_git.scaffold.plan.spec import TaskPlan
from relay_git.scaffold.relay import Relay
from relay_git.scaffold.stages.commit import commit, discard_protected, subject
from relay_git.scaffold.stages.plan import run_scope, spec_of
from relay_git.scaffold.state import RunState
from relay_git.scaffold.verify import evidence, gate
from relay_git.scaffold.verify.testrun import TestOutcome
from relay_git.scaffold.write import rounds
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
    relay: Relay, target: Scope, files: dict[str, str]
) -> tuple[evidence.Tree, evidence.Tree]:
    paths = sorted(set(files) | set(target.code) | set(target.tests))
    base = {p: relay.repo.read_blob(relay.wt.base, p) for p in paths}
    return base, {p: files.get(p, base[p]) for p in paths}


def shortfall(
    relay: Relay,
    target: Scope,
    files: dict[str, str],
    outcome: TestOutcome | None,
    stage: str,
) -> Shortfall | None:
    """What keeps a draft from standing, as a request that could repair it (None: it stands)."""
    task = relay.opts.task
    code = tuple(target.code)
    if outcome is not None and outcome.failed:
        return Shortfall("its tests fail", code, Ask(stage, failure=failure_text(outcome)))
    base, head = trees(relay, target, files)
    wrong = gate.hollow(task, target, base, head) + evidence.signature_problems(task, head, code)
    if wrong:
        return Shortfall("; ".join(wrong), code, Ask(stage, findings=_lines(wrong)))
    if outcome is None or structural(task):
        return None
    found = relay.bench.evidence(base, head, code, outcome.command)
    reasons = found.reasons()
    if not reasons:
        return None
    paths = tuple(target.tests) or code
    return Shortfall("; ".join(reasons), paths, Ask(stage, findings=_lines(reasons)))


def _lines(reasons: list[str]) -> str:
    return "\n".join(f"- {r}" for r in reasons)


def generate_stage(relay: Relay, state: RunState) -> RunState:
    """Generate: by need, one draft first (repaired once); K drafts judged by each other
    when it falls short, or always with --drafts K."""
    spec, target = spec_of(state), run_scope(relay, state)
    if relay.opts.drafts is None:
        state, stood = first_stands(relay, state, spec, target)
        if stood:
            return state.complete("generate")
    return _k_drafts(relay, state, spec, target).complete("generate")


def first_stands(
    relay: Relay, state: RunState, spec: TaskPlan, target: Scope
) -> tuple[RunState, bool]:
    """The first draft, repaired once if it falls short, committed when it stands. False:
    nothing was committed and the worktree is clean, for K drafts to follow."""
    wb = relay.bench
    written = rounds.first(relay, spec, target, state.plan_problems)
    said = list(written.problems)
    if not written.files:
        wb.reset()
        return state.noted(said), False
    files, outcome = dict(written.files), written.outcome
    short = shortfall(relay, target, files, outcome, "fix-1")
    fixed = 0
    if short is not None:
        fixed = 1
        how = Ask(
            short.how.stage,
            failure=short.how.failure,
            findings=short.how.findings,
            repairs=state.plan_problems,
        )
        again = rounds.rewrite(relay, relay.coder, spec, target, short.paths, how)
        said += again.problems
        if again.files:
            files |= again.files
            outcome = again.outcome
            short = shortfall(relay, target, files, outcome, "fix-1")
    if short is not None:
        drafts = relay.opts.drafts or WIDEN_DRAFTS
        said.append(f"the first draft fell short ({short.why}); drafting {drafts}")
        wb.reset()
        return replace(state, rounds=0).noted(said), False
    state = replace(state, rounds=state.rounds + fixed).noted(said)
    return _commit_first(relay, state, spec, target, files, outcome), True


def _commit_first(
    relay: Relay,
    state: RunState,
    spec: TaskPlan,
    target: Scope,
    files: dict[str, str],
    outcome: TestOutcome | None,
) -> RunState:
    base, head = trees(relay, target, files)
    names = tuple(evidence.new_tests(base, head))
    state = discard_protected(relay, replace(state, test_names=names))
    tests = f"tests written: {len(names)}"
    body = "\n".join(
        (spec.text(), "", "first draft" + (", fixed once" if state.rounds else ""), tests)
    )
    state = commit(relay, state, "generate", relay.coder, subject(state.task), body, list(files))
    return state.tested(outcome) if outcome is not None else state


def _k_drafts(relay: Relay, state: RunState, spec: TaskPlan, target: Scope) -> RunState:
    """K drafts per file and the tests, judged by each other; the best that passes kept."""
    drafts = relay.opts.drafts or WIDEN_DRAFTS
    written = rounds.generate(relay, spec, target, drafts)
    state = replace(
        state,
        test_names=tuple(written.test_names),
        pinned=written.pinned,
        support=written.support,
    ).noted(written.problems)
    if written.files:
        state = discard_protected(relay, state)
        tried = f"{written.tried} of the ranked drafts tried" if written.tried else ""
        tests = f"tests kept: {len(written.test_names)}" + (
            f" ({written.pinned} with expected values from agreeing drafts)"
            if written.pinned
            else ""
        )
        body = "\n".join(x for x in (spec.text(), "", tried, tests) if x is not None)
        files = list(written.files)
        state = commit(relay, state, "generate", relay.coder, subject(state.task), body, files)
    return state.tested(written.outcome) if written.outcome is not None else state
