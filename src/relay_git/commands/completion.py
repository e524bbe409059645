"""``relay-git completion SHELL``: Click's completion script for bash, zsh or fish."""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = "_RELAY_GIT_COMPLETE"


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
@click.pass_context
def completion(ctx: click.Context, shell: str) -> int:
    """Print the shell completion script for SHELL.

    \b
    Examples:
      eval "$(relay-git completion bash)"       # in ~/.bashrc
      eval "$(relay-git completion zsh)"        # in ~/.zshrc
      relay-git completion fish > ~/.config/fish/completions/relay-git.fish
    """
    make = get_completion_class(shell)
    if make is None:  # click ships all three SHELLS; a future click might not
        raise click.UsageError(f"click has no completion for {shell}")
    root = ctx.find_root().command
    click.echo(make(root, {}, "relay-git", COMPLETE_VAR).source(), nl=False)
    return 0
