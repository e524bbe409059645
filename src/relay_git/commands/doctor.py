"""``relay-git doctor``: is everything a relay needs reachable, and if not, how to fix it."""

from __future__ import annotations

import shutil

import click

from relay_git.commands.common import build_app
from relay_git.config import trust as trustmod
from relay_git.errors import RelayError, UsageError


@click.command()
@click.option("--local", is_flag=True, help="Check the packaged offline GGUF models instead.")
@click.pass_context
def doctor(ctx: click.Context, local: bool) -> int:
    """Check git, the repository, configuration, model servers and models.

    \b
    Example:
      relay-git doctor        # prints one line per check, with the fix for each failure

    Exits 3 when a model backend is unavailable, 2 for other problems.
    """
    # A report, not an error: every problem is a line on stdout, and the exit code is the
    # worst of the problems' own exit codes (relay_git.errors), so it matches the CLI's map.
    worst = 0
    ok = click.style("ok", fg="green")
    if shutil.which("git") is None:
        click.echo("git: not found — install git")
        return UsageError.exit_code
    try:
        app = build_app(ctx, local=local)
    except RelayError as err:
        click.echo(f"configuration: {err}")
        return err.exit_code
    click.echo(f"git: {ok}")
    where = app.repo.root if app.repo else "not in a git repository (review needs one)"
    click.echo(f"repository: {where}")
    if app.resolved is not None and app.resolved.notices:
        ignored = len(app.resolved.notices)
        click.echo(f"trust: not trusted: {ignored} repository setting(s) ignored — {trustmod.HOW}")
    elif app.repo is not None:
        click.echo(f"trust: {ok}")
    for role, spec in (("coder", app.config.coder), ("reviewer", app.config.reviewer)):
        try:
            backend = app.make_backend(spec)
            backend.check()
            click.echo(f"{role} {spec}: {ok} (context {backend.context_length()} tokens)")
        except RelayError as err:
            click.echo(f"{role} {spec}: " + click.style("FAIL", fg="red") + f" — {err}")
            worst = max(worst, err.exit_code)
    return worst
