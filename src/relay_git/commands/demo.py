"""``relay-git demo``: the offline demo, on an example repository it creates."""

from __future__ import annotations

import os
from pathlib import Path

import click


@click.command()
@click.argument("directory", required=False, default="", metavar="[DIR]")
@click.option("--json", "as_json", is_flag=True, help="Print the scaffold report as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
@click.pass_context
def demo(ctx: click.Context, directory: str, as_json: bool, quiet: bool) -> int:
    """Run the whole relay offline on a small example repository it creates.

    DIR (default ./relay-git-demo) becomes a git repository holding a tiny package and a
    test that defines "done": tests/test_is_even.py needs mathkit.numbers.is_even. The
    packaged models (SmolLM2-135M writes, Gemma 3 270M reviews) then plan, draft, test
    and review the change on a branch relay/<slug>, exactly as `relay-git scaffold
    --local` does, with the demo's tests run in the sandbox.

    \b
    Examples:
      relay-git demo                 # then: cd relay-git-demo && git log relay/…
      relay-git demo /tmp/mathkit --json

    Exit codes: as `relay-git scaffold` (0 done, 1 not done, 2 usage, 3 backend).
    """
    from relay_git.commands.scaffold import scaffold
    from relay_git.starter import demo as example

    target = Path(directory or example.DEFAULT_DIR).resolve()
    example.create(target, dict(os.environ))
    if not quiet:
        click.echo(f"relay-git demo: example repository at {target}", err=True)
        click.echo(f"relay-git demo: task: {example.TASK}", err=True)
    os.chdir(target)
    code: int = ctx.invoke(
        scaffold,
        task=example.TASK,
        local=True,
        test_cmd=example.test_command(),
        as_json=as_json,
        quiet=quiet,
    )
    return code
