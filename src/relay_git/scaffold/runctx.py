"""What every stage of a run shares: the options, the assembled context, and the two effects
a stage has on the branch: a commit (with the Relay-* trailers) and the saved state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from relay_git.app import App
from relay_git.errors import UsageError
from relay_git.git import runstate
from relay_git.git import worktree as wtmod
from relay_git.git.repo import Repository
from relay_git.scaffold.env import Seat, StageEnv
from relay_git.scaffold.finish.report import CommitInfo
from relay_git.scaffold.state import RunState
from relay_git.scaffold.verify.testrun import TestOutcome


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
    review_rounds: int = 2  # the reviewer's findings back to the coder, at most this often
    max_tokens: int | None = None  # caps every stage's output bound
    drafts: int | None = None  # None: one draft, K only when it falls short; K: always K
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


def save(ctx: Ctx, wt: wtmod.RelayWorktree, state: RunState) -> None:
    state.ledger = [e.to_dict() for e in ctx.app.ledger.entries]
    state.outcomes = [asdict(o) for o in ctx.app.ledger.outcomes]
    runstate.write_state(wt.path, state.to_dict())


def listing(wt: wtmod.RelayWorktree) -> list[str]:
    return [p for p in wt.git("ls-files", "-z").split("\0") if p]


def tests_dict(outcome: TestOutcome, state: RunState) -> dict[str, object]:
    return outcome.to_dict() | {"rounds": state.rounds, "escalated": state.escalated}


def discard_protected(ctx: Ctx, wt: wtmod.RelayWorktree, state: RunState) -> None:
    for path in wtmod.discard_protected(wt, ctx.opts.allow_paths):
        state.problems.append(f"the tests wrote {path!r}, a protected path: discarded")


def subject(task: str) -> str:
    text = " ".join(task.split())
    return f"relay: {text[:64]}" + ("…" if len(text) > 64 else "")


def commit(
    ctx: Ctx,
    wt: wtmod.RelayWorktree,
    state: RunState,
    stage: str,
    seat: Seat,
    subject: str,
    body: str,
    paths: Sequence[str] | None = None,
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
    sha = wtmod.commit(wt, subject, body, trailers, author, ctx.environ, paths)
    state.committed_entries = len(ctx.app.ledger.entries)
    state.commits.append(CommitInfo(sha, stage, author.name, subject).to_dict())
