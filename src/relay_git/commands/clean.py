"""``relay-git clean``: remove finished or abandoned relay worktrees (and relay branches)."""

from __future__ import annotations

from pathlib import Path

import click

from relay_git.cli_support.common import build_app
from relay_git.git import worktree as wtmod
from relay_git.git.clean import plan_clean


@click.command()
@click.option(
    "--branches", is_flag=True, help="Also delete merged relay/* branches (never others)."
)
@click.option(
    "--force",
    is_flag=True,
    help="Also delete unmerged relay branches and worktrees with uncommitted changes.",
)
@click.option("-n", "--dry-run", is_flag=True, help="Only say what would be removed.")
@click.pass_context
def clean(ctx: click.Context, branches: bool, force: bool, dry_run: bool) -> int:
    """Remove relay worktrees whose run finished or was abandoned.

    \b
    Examples:
      relay-git clean                     # worktrees only; branches stay for you to merge
      relay-git clean --branches          # also delete relay/* branches already merged
      relay-git clean --branches --force  # unmerged ones and uncommitted changes too

    Like `git branch -d`, a relay branch with commits that neither the default branch
    nor HEAD of the main checkout holds is kept, and so is a worktree with uncommitted
    changes; each is named with the reason. A run still in progress is never touched.
    Exit code 0, also when something was kept.
    """
    repo = build_app(ctx, need_repo=True).require_repo()
    steps = plan_clean(repo, branches, force)
    for step in steps:
        if step.keep:
            click.echo(f"kept {step.kind} {step.name}: {step.keep}")
            continue
        verb = {"worktree": "remove", "branch": "delete"}[step.kind]
        what = f"{step.state} worktree" if step.kind == "worktree" else "branch"
        click.echo(f"{'would ' + verb if dry_run else verb + 'd'} {what} {step.name}")
        if dry_run:
            continue
        if step.kind == "worktree":
            wtmod.remove(repo, Path(step.name))
        else:
            wtmod.delete_branch(repo, step.name)
    if not steps:
        click.echo("nothing to clean")
    return 0
