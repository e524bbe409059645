"""A stage's effect on the branch: a commit with the Relay-* trailers, authored as the seat
that wrote it; what the model-written tests wrote to a protected path is discarded first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from relay_git.errors import UsageError
from relay_git.git import worktree as wtmod
from relay_git.scaffold.finish.report import CommitInfo
from relay_git.scaffold.relay import Relay, Seat
from relay_git.scaffold.state import RunState


def discard_protected(relay: Relay, state: RunState) -> RunState:
    """Undo what test runs wrote to protected paths, and name each path in the report once
    (the workbench discards them after every run; the worktree may be clean by now)."""
    found = set(wtmod.discard_protected(relay.wt, relay.opts.allow_paths))
    found |= relay.bench.discarded
    relay.bench.discarded.clear()
    said = (f"the tests wrote {path!r}, a protected path: discarded" for path in sorted(found))
    return state.noted(line for line in said if line not in state.problems)


def subject(task: str) -> str:
    text = " ".join(task.split())
    return f"relay: {text[:64]}" + ("…" if len(text) > 64 else "")


def commit(
    relay: Relay,
    state: RunState,
    stage: str,
    seat: Seat,
    subject: str,
    body: str,
    paths: Sequence[str] | None = None,
) -> RunState:
    """The commit on the branch; the state that holds it."""
    wt = relay.wt
    current = wt.git("symbolic-ref", "-q", "--short", "HEAD").strip()
    if current != wt.branch:
        raise UsageError(f"the relay worktree is on {current!r}, not {wt.branch!r}; not committing")
    entries = relay.ledger.entries[state.committed_entries :]
    out = sum(e.output_tokens for e in entries)
    prompt = sum(e.prompt_tokens for e in entries)
    author = wtmod.Identity(
        f"relay-git {seat.role} ({seat.spec})", f"{seat.role}@relay-git.invalid"
    )
    trailers = [
        ("Relay-Coder", relay.coder.spec),
        ("Relay-Reviewer", relay.reviewer.spec),
        ("Relay-Stage", stage),
        ("Relay-Tokens", f"{out} output, {prompt} prompt"),
    ]
    sha = wtmod.commit(wt, subject, body, trailers, author, relay.app.environ, paths)
    made = CommitInfo(sha, stage, author.name, subject)
    counted = len(relay.ledger.entries)
    return replace(state, committed_entries=counted, commits=(*state.commits, made))
