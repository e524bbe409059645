"""``relay-git trust``: let this repository's own config and templates take effect (like
``direnv allow``), see whether it is trusted, or take that back."""

from __future__ import annotations

import os
from pathlib import Path

import click

from relay_git.config import GATED, resolve
from relay_git.config import trust as trustmod
from relay_git.config.gate import loosens
from relay_git.errors import UsageError
from relay_git.git.repo import Repository


@click.command()
@click.option("--show", is_flag=True, help="Say whether the repository is trusted; change nothing.")
@click.option("--revoke", is_flag=True, help="Forget the approval.")
def trust(show: bool, revoke: bool) -> int:
    """Trust this repository's .relay-git.toml, [tool.relay-git] and prompt templates.

    Until then, they cannot choose models, endpoints, the test command or templates, can
    only add secret patterns, and can only make a review stricter. The approval covers the
    files' exact content (SHA-256; templates by what they lead to, in every template folder
    inside the repository), is kept in your config directory, never in the repository, and
    lapses when the content changes.

    \b
    Examples:
      relay-git trust             # show what the repository sets, then trust it
      relay-git trust --show      # trusted or not, and what the approval covers
      relay-git trust --revoke
    """
    if show and revoke:
        raise UsageError("--show and --revoke do not go together")
    environ = dict(os.environ)
    root = Repository.discover(Path.cwd()).root
    if revoke:
        done = trustmod.revoke(root, environ)
        click.echo(f"{root}: " + ("no longer trusted" if done else "was not trusted"))
        return 0
    if show:
        click.echo(describe(trustmod.status(root, environ)))
        return 0
    for line in gated_settings(root):
        click.echo(line)
    state = trustmod.trust(root, environ)
    click.echo(f"trusted {root} ({covered(state)}); recorded in {trustmod.store_path(environ)}")
    return 0


def gated_settings(root: Path) -> list[str]:
    """What trusting will let the repository decide, as the repository's files set it: the
    gated keys, and the settings that loosen a review (an exclude, fail_on = "never", ...)."""
    resolved = resolve(root, {}, trusted=True)
    lines = []
    for key, where in resolved.sources.items():
        value = getattr(resolved.config, key)
        if (key in GATED or loosens(key, value)) and where != "default" and str(root) in where:
            lines.append(f"  {key} = {value!r}  ({where})")
    return lines


def covered(state: trustmod.Status) -> str:
    return ", ".join(state.files) if state.files else "no config files yet"


def describe(state: trustmod.Status) -> str:
    if state.trusted:
        return f"{state.root}: trusted since {state.trusted_at} ({covered(state)})"
    if state.recorded is not None:
        return f"{state.root}: NOT trusted: changed since it was trusted ({covered(state)})"
    return f"{state.root}: not trusted ({covered(state)}); {trustmod.HOW}"
