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


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="relay-git")
@click.option(
    "--no-log",
    is_flag=True,
    expose_value=False,
    callback=lambda ctx, _p, v: ctx.meta.update({"relay_git.no_log": True}) if v else None,
    help="Do not add this run to the history (`relay-git log`); config: log = false.",
)
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
    """THE map from an error to what the user sees: ``relay-git: LABEL: message``, any
    detail lines, and the error's own exit code."""
    click.echo(f"relay-git: {err.label}: {err}", err=True)
    for line in err.details():
        click.echo(f"relay-git: {line}", err=True)
    return leave(err.exit_code, obj) if err.leave_at_once else err.exit_code


def interrupted(obj: dict[str, Any] | None) -> int:
    """Ctrl-C: say so and leave with 130.

    Every ``finally`` on the way up (the scaffold's state save) has already run.
    """
    click.echo("relay-git: interrupted", err=True)
    return leave(130, obj)


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
    """Run the CLI; ``obj`` lets tests inject a backend factory (``{"make_backend": f}``)."""
    try:
        result = cli.main(
            args=list(argv) if argv is not None else None,
            standalone_mode=False,
            prog_name="relay-git",
            obj=obj,
        )
    except RelayError as err:
        return report_error(err, obj)
    except click.exceptions.Abort:  # click's form of KeyboardInterrupt
        return interrupted(obj)
    except click.ClickException as err:
        err.show()
        return 2
    except KeyboardInterrupt:
        return interrupted(obj)
    except BrokenPipeError:
        return 141
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
