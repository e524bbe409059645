"""The command line: parse, build dependencies once, call the core, render, exit code.

Only this module, the click commands in ``commands/`` and what they share in
``cli_support/`` import click. Heavy imports (backends, pydantic, rich) are deferred into
the commands that need them. Every error
reaches :func:`main`, which maps it to a message and an exit code in one place.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import click

from relay_git import __version__
from relay_git.cli_support.exits import ReaderGone, exit_code_for, returned
from relay_git.cli_support.runlog import no_log_option
from relay_git.commands.clean import clean
from relay_git.commands.completion import completion
from relay_git.commands.config import config
from relay_git.commands.demo import demo
from relay_git.commands.doctor import doctor
from relay_git.commands.github import github
from relay_git.commands.hooks import hooks
from relay_git.commands.init import init
from relay_git.commands.log import log
from relay_git.commands.models import models
from relay_git.commands.review import review
from relay_git.commands.scaffold import scaffold
from relay_git.commands.trust import trust
from relay_git.errors import RelayError

COMMANDS = (
    demo,
    scaffold,
    review,
    hooks,
    github,
    doctor,
    clean,
    init,
    completion,
    trust,
    config,
    log,
    models,
)


class Group(click.Group):
    """The root group: a broken pipe reaches :func:`main` (exit 141, as the run log
    records it), not click's EPIPE handler (exit 1)."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        """Parsing prints ``--help`` and ``--version``: a reader gone then is exit 141 too."""
        try:
            return super().make_context(info_name, args, parent, **extra)
        except BrokenPipeError as err:
            raise ReaderGone(str(err)) from err

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError as err:
            raise ReaderGone(str(err)) from err


@click.group(
    cls=Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="relay-git")
@no_log_option
@click.option(
    "--color",
    type=click.Choice(("auto", "always", "never")),
    default="auto",
    show_default=True,
    expose_value=False,
    callback=lambda ctx, _p, v: ctx.meta.update({"relay_git.color": v}),
    help="Colour in reports: auto is on a terminal unless NO_COLOR is set.",
)
def cli() -> None:
    """Small model writes, large model reviews — on git branches.

    \b
    Examples:
      relay-git demo                        # the whole relay, offline, on an example repo
      relay-git scaffold "add a slugify() helper with tests"
      relay-git review                      # review the staged diff
      relay-git review main..feature --format markdown
      relay-git doctor                      # check git, model servers and models
      relay-git config show                 # every setting and where it came from
      relay-git trust                       # let this repository's .relay-git.toml count
      relay-git models                      # what each configured backend serves
      relay-git log --stats                 # past runs: tokens, time, what the relay saved

    Models are named BACKEND:NAME (ollama, openai, anthropic, llamacpp); a bare
    name means Ollama. Settings come from flags, RELAY_GIT_* variables,
    ~/.config/relay-git/config.toml, .relay-git.toml or [tool.relay-git] in
    pyproject.toml; a repository's own settings need `relay-git trust` to choose
    models, endpoints, the test command or templates.
    """


for _command in COMMANDS:
    cli.add_command(_command)


def report_error(err: RelayError, obj: dict[str, Any] | None) -> int:
    """What the user sees of an error: ``relay-git: LABEL: message``, any detail lines;
    and its exit code."""
    click.echo(f"relay-git: {err.label}: {err}", err=True)
    for line in err.details():
        click.echo(f"relay-git: {line}", err=True)
    code = exit_code_for(err)
    return leave(code, obj) if err.leave_at_once else code


def interrupted(err: BaseException, obj: dict[str, Any] | None) -> int:
    """Ctrl-C: say so and leave with 130.

    Every ``finally`` on the way up (the scaffold's state save) has already run.
    """
    click.echo("relay-git: interrupted", err=True)
    return leave(exit_code_for(err), obj)


def leave(code: int, obj: dict[str, Any] | None) -> int:
    """End the real program (no ``obj`` injected) at once with ``code``.

    The interpreter would otherwise join worker threads still blocked in a model call (a
    review's chunks, a review abandoned past its budget) before exiting, keeping the user
    waiting. An embedding caller or a test that passes ``obj`` keeps its process and gets
    the exit code back.
    """
    if obj is None:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def main(argv: Sequence[str] | None = None, *, obj: dict[str, Any] | None = None) -> int:
    """Run the CLI; ``obj`` lets tests inject a backend factory (``{"make_backend": f}``).

    Every error a user can cause is caught here, said, and mapped to its exit code by
    ``exit_code_for`` (the run log records the same code); anything else is a bug and
    raises.
    """
    try:
        result = cli.main(
            args=list(argv) if argv is not None else None,
            standalone_mode=False,
            prog_name="relay-git",
            obj=obj,
        )
    except RelayError as err:
        return report_error(err, obj)
    except (click.exceptions.Abort, KeyboardInterrupt) as err:  # Abort: click's Ctrl-C
        return interrupted(err, obj)
    except click.ClickException as err:
        err.show()
        return exit_code_for(err)
    except (BrokenPipeError, ReaderGone) as err:
        return reader_gone(err, obj)
    return returned(result)


def reader_gone(err: BrokenPipeError | ReaderGone, obj: dict[str, Any] | None) -> int:
    """The reader of stdout went away (``| head``): exit 141, silently.

    In the real program stdout is pointed at /dev/null first, as Python's signal docs
    advise: the interpreter's last flush of what is still buffered would fail again and end
    the process with 1 instead, which is not what the run log recorded.
    """
    if obj is None:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):  # no real stdout to redirect
            pass
    return exit_code_for(err)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
