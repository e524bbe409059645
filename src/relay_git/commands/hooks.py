"""``relay-git hooks install|uninstall``: plain git hooks for people without pre-commit."""

from __future__ import annotations

import click

from relay_git.cli_support.common import build_app


@click.group()
def hooks() -> None:
    """Install relay-git as plain git hooks (pre-commit users: see .pre-commit-hooks.yaml).

    \b
    Examples:
      relay-git hooks install              # review the staged diff at every commit
      relay-git hooks install --pre-push   # ... and what is pushed at every push
      relay-git hooks install --force      # keep your own hook: it runs first, then the review
      relay-git hooks uninstall            # remove them, restore any previous hooks

    Hooks go where git runs them (core.hooksPath is honoured). They call this very
    interpreter, so they work from GUI clients and without an active virtualenv.
    """


@hooks.command()
@click.option("--pre-push", "pre_push", is_flag=True, help="Also install the pre-push hook.")
@click.option(
    "--force",
    is_flag=True,
    help="Chain a hook that is not relay-git's: it runs first and its failure stops git "
    "(uninstall puts it back).",
)
@click.pass_context
def install(ctx: click.Context, pre_push: bool, force: bool) -> int:
    """Install the pre-commit (and with --pre-push the pre-push) hook."""
    from relay_git.hooks.install import install as do_install

    repo = build_app(ctx, need_repo=True).require_repo()
    kinds = ("pre-commit", "pre-push") if pre_push else ("pre-commit",)
    for change in do_install(repo, kinds, force):
        click.echo(f"relay-git: {change}")
    return 0


@hooks.command()
@click.pass_context
def uninstall(ctx: click.Context) -> int:
    """Remove relay-git's hooks and restore the hooks they replaced."""
    from relay_git.hooks.install import uninstall as do_uninstall

    repo = build_app(ctx, need_repo=True).require_repo()
    for change in do_uninstall(repo):
        click.echo(f"relay-git: {change}")
    return 0
