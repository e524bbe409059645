"""``relay-git init``: a commented config, the pre-commit hook and (optionally) a workflow."""

from __future__ import annotations

from pathlib import Path

import click

from relay_git.git.repo import Repository
from relay_git.starter import files as starter


@click.command()
@click.option("--github", is_flag=True, help=f"Also write {starter.WORKFLOW_FILE}.")
@click.option(
    "--action",
    default=starter.ACTION_PLACEHOLDER,
    show_default=True,
    metavar="OWNER/relay-git@REF",
    help="The relay-git action the workflow uses: your fork and the full commit SHA of a "
    "release (a branch or tag works, unpinned).",
)
@click.option("-n", "--dry-run", is_flag=True, help="Show the diff; write nothing.")
def init(github: bool, action: str, dry_run: bool) -> int:
    """Set a repository up for relay-git; files that exist are kept.

    \b
    Writes, at the top of the repository:
      .relay-git.toml            every setting with its default, commented out
      .pre-commit-config.yaml    the relay-git-review hook (created, or appended to)
      .github/workflows/relay-git.yml   with --github: review every pull request

    \b
    Examples:
      relay-git init --dry-run     # the diff, nothing written
      relay-git init && pre-commit install
      relay-git init --github --action my-org/relay-git@<40-hex commit SHA>

    Running it again changes nothing and says so.
    """
    root = Repository.discover(Path.cwd()).root
    changes = starter.plan(root, github=github, action=action)
    if dry_run:
        click.echo(starter.unified_diff(changes), nl=False)
    else:
        starter.apply(root, changes)
    for change in changes:
        click.echo(change.describe(dry_run), err=True)
    written = [c.path for c in changes if c.changed]
    if not written:
        click.echo("relay-git init: nothing to do, the repository is set up", err=True)
    elif not dry_run:
        click.echo(
            "next: pre-commit install, then stage a change and run relay-git review", err=True
        )
    if starter.WORKFLOW_FILE in written:
        note = workflow_note(action)
        if note:
            click.echo(note, err=True)
    return 0


def workflow_note(action: str) -> str | None:
    """What the user still has to do to the workflow's relay-git line, if anything."""
    if action == starter.ACTION_PLACEHOLDER:
        return (
            f"note: in {starter.WORKFLOW_FILE}, replace <YOUR-FORK> (the account you get "
            "relay-git from) and RELEASE_SHA (the full commit of the release you checked), "
            "or delete the file and rerun with --action OWNER/relay-git@SHA"
        )
    if not starter.FULL_SHA.search(action):
        return f"note: {action} is not pinned to a full commit SHA (zizmor: unpinned-uses)"
    return None
