"""``relay-git demo``: the offline demo, on an example repository it creates."""

from __future__ import annotations

import importlib.util
import os
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from relay_git.cli_support.common import build_app


@click.command()
@click.argument("directory", required=False, default="", metavar="[DIR]")
@click.option(
    "--coder",
    metavar="SPEC",
    help="Coder model instead of the packaged SmolLM2 (ollama:…, openai:…).",
)
@click.option(
    "--reviewer", metavar="SPEC", help="Reviewer model instead of the packaged Gemma 3 270M."
)
@click.option("--json", "as_json", is_flag=True, help="Print the scaffold report as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
@click.pass_context
def demo(
    ctx: click.Context,
    directory: str,
    coder: str | None,
    reviewer: str | None,
    as_json: bool,
    quiet: bool,
) -> int:
    """Run the whole relay offline on a small example repository it creates.

    DIR (default ./relay-git-demo) becomes a git repository holding a tiny package and a
    test that defines "done": tests/test_is_even.py needs mathkit.numbers.is_even. The
    packaged models (SmolLM2-135M writes, Gemma 3 270M reviews) then plan, draft, test
    and review the change on a branch relay/<slug>, exactly as `relay-git scaffold
    --local` does, with the demo's tests run in the sandbox. --coder/--reviewer use
    your own models instead (Ollama, an OpenAI-compatible server, Anthropic).

    Everything it needs (llama-cpp-python and the packaged models, or your model
    servers; pytest; the sandbox) is checked before DIR is written: what is missing
    ends with exit 3 (2 for pytest or the sandbox) and the command that fixes it. A rerun
    reuses DIR's example repository as it is, on a new branch from its first commit.

    \b
    Examples:
      relay-git demo                 # then: cd relay-git-demo && git log relay/…
      relay-git demo /tmp/mathkit --json
      relay-git demo --coder ollama:qwen3-coder:30b --reviewer ollama:gpt-oss:120b

    Exit codes: as `relay-git scaffold` (0 done, 1 not done, 2 usage, 3 backend).
    """
    from relay_git.commands.scaffold import scaffold
    from relay_git.starter import demo as example

    target = Path(directory or example.DEFAULT_DIR).resolve()
    example.check_folder(target)
    local = not (coder and reviewer)
    preflight(ctx, local, coder, reviewer)
    base, reused = example.prepare(target, dict(os.environ))
    if not quiet:
        say_where(target, reused, example.TASK)
    os.chdir(target)
    with where_on_interrupt(target):
        code: int = ctx.invoke(
            scaffold,
            task=example.TASK,
            base=base,
            coder=coder,
            reviewer=reviewer,
            local=local,
            new=True,  # an earlier run's branch stays; this run takes its own
            test_cmd=example.test_command(),
            as_json=as_json,
            quiet=quiet,
        )
    return code


def say_where(target: Path, reused: bool, task: str) -> None:
    how = "reusing the" if reused else "created an"
    click.echo(f"relay-git demo: {how} example repository at {target}", err=True)
    click.echo(f"relay-git demo: task: {task}", err=True)


@contextmanager
def where_on_interrupt(target: Path) -> Iterator[None]:
    """Ctrl-C: the scaffold's resume hints are for the example repository; say where it is."""
    try:
        yield
    except KeyboardInterrupt:
        where = shlex.quote(str(target))
        click.echo(f"relay-git demo: run those in the example repository: cd {where}", err=True)
        raise


def preflight(ctx: click.Context, local: bool, coder: str | None, reviewer: str | None) -> None:
    """What the demo needs, checked before it writes anything; each miss names its fix."""
    from relay_git.errors import BackendUnavailable, UsageError
    from relay_git.safety.sandbox import Kind, resolve

    if importlib.util.find_spec("pytest") is None:
        fix = f"{shlex.quote(sys.executable)} -m pip install pytest"
        raise UsageError("the demo's tests need pytest in relay-git's Python", fix)
    if local and importlib.util.find_spec("llama_cpp") is None:
        from relay_git.models.local import LOCAL_FIX

        raise BackendUnavailable("the packaged models need llama-cpp-python", LOCAL_FIX)
    app = build_app(ctx, local=local, coder=coder, reviewer=reviewer)
    for spec in dict.fromkeys((app.config.coder, app.config.reviewer)):
        app.make_backend(spec).check()  # a server that is down, a model not pulled: exit 3
    resolve(Kind.AUTO, app.environ)  # the sandbox the example's tests run in
