"""The command line: parse, build dependencies once, call the core, render, exit code.

Only this module imports click and writes to the terminal. Heavy imports (backends,
pydantic, rich) are deferred into the commands that need them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import click

from relay_git import __version__
from relay_git.errors import ModelOutputError, RelayError

# Each name is a module in relay_git.commands defining a click command of the same name.
COMMANDS = (
    "demo",
    "scaffold",
    "review",
    "hooks",
    "github",
    "doctor",
    "clean",
    "init",
    "completion",
    "trust",
    "config",
    "log",
    "models",
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


def _register() -> None:
    import importlib

    for name in COMMANDS:
        module = importlib.import_module(f"relay_git.commands.{name}")
        cli.add_command(getattr(module, name))


def report_error(err: RelayError) -> int:
    click.echo(f"relay-git: error: {err}", err=True)
    if isinstance(err, ModelOutputError) and err.saved:
        click.echo(f"relay-git: the model's last raw reply is saved in {err.saved}", err=True)
    return err.exit_code


def interrupted(obj: dict[str, Any] | None) -> int:
    """Ctrl-C: say so and leave with 130.

    The real program (no ``obj`` injected) ends at once: the interpreter would otherwise
    join worker threads still blocked in a model call (a review's chunks) before exiting.
    Every ``finally`` on the way up (the scaffold's state save) has already run.
    """
    click.echo("relay-git: interrupted", err=True)
    if obj is None:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    return 130


def main(argv: Sequence[str] | None = None, *, obj: dict[str, Any] | None = None) -> int:
    """Run the CLI; ``obj`` lets tests inject a backend factory (``{"make_backend": f}``)."""
    _register()
    try:
        result = cli.main(
            args=list(argv) if argv is not None else None,
            standalone_mode=False,
            prog_name="relay-git",
            obj=obj,
        )
    except RelayError as err:
        return report_error(err)
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
