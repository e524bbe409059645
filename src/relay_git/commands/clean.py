"""``relay-git clean``: remove finished or abandoned relay worktrees (and relay branches)."""

from __future__ import annotations

import click

from relay_git.commands.common import build_app
from relay_git.git import worktree as wtmod


@click.command()
@click.option("--branches", is_flag=True, help="Also delete relay/* branches (never others).")
@click.option("-n", "--dry-run", is_flag=True, help="Only say what would be removed.")
@click.pass_context
def clean(ctx: click.Context, branches: bool, dry_run: bool) -> int:
    """Remove relay worktrees whose run finished or was abandoned.

    \b
    Examples:
      relay-git clean               # worktrees only; branches stay for you to merge
      relay-git clean --branches    # also delete the relay/* branches

    A worktree with a relay run still in progress is left alone.
    """
    repo = build_app(ctx, need_repo=True).require_repo()
    removed = 0
    for item in wtmod.list_relay(repo):
        if item.locked_by is not None:
            click.echo(f"kept {item.path}: a run (pid {item.locked_by}) is still working there")
            continue
        state = "finished" if item.finished else "abandoned"
        click.echo(f"{'would remove' if dry_run else 'removed'} {state} worktree {item.path}")
        if not dry_run:
            wtmod.remove(repo, item.path)
        removed += 1
    if branches:
        busy = {w.branch for w in wtmod.list_relay(repo) if w.locked_by is not None}
        for branch in wtmod.relay_branches(repo):
            if branch in busy:
                continue
            click.echo(f"{'would delete' if dry_run else 'deleted'} branch {branch}")
            if not dry_run:
                wtmod.delete_branch(repo, branch)
    if not removed and not branches:
        click.echo("nothing to clean")
    return 0
