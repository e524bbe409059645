"""``relay-git doctor``: is everything a relay needs reachable, and if not, how to fix it."""

from __future__ import annotations

import shutil
import time
from typing import TYPE_CHECKING

import click

from relay_git.cli_support.common import build_app, color_wanted, style
from relay_git.config import trust as trustmod
from relay_git.errors import BackendUnavailable, BudgetExceeded, RelayError, UsageError
from relay_git.util.timeout import run_within

if TYPE_CHECKING:  # the app loads when a command runs, not at start-up
    from relay_git.app import App
    from relay_git.models.base import Backend

PROBE_SECONDS = 30.0  # default time a model has to answer the one-token request
PROBE_MAX_TOKENS = 16  # one asked; some servers count special or reasoning tokens too


def say(line: str) -> None:
    click.echo(line, color=color_wanted())


def probe(backend: Backend, seconds: float) -> str:
    """Ask the model for one token: a server that hangs or ignores the output bound (answers
    in prose) is not ok. The detail for the line, or BackendUnavailable."""
    from relay_git.models.base import ChatRequest

    request = ChatRequest(({"role": "user", "content": "Reply with one word: ok"},), 1)
    start = time.monotonic()
    try:
        result = run_within(lambda: backend.chat(request), seconds)
    except BudgetExceeded:
        raise BackendUnavailable(
            f"no answer to a one-token request within {seconds:g} s",
            "check the server's log (a hung or overloaded server), or raise --timeout",
        ) from None
    if result.output_tokens > PROBE_MAX_TOKENS:
        raise BackendUnavailable(
            f"answered {result.output_tokens} tokens to a one-token request (it ignores "
            "the output bound: every reply would run to its context limit)",
            "use a server that honours max_tokens / num_predict",
        )
    return f"answered in {time.monotonic() - start:.1f} s"


def check_role(app: App, role: str, spec: str, seconds: float) -> int:
    """One line for a model: ok with its context and answer time, or FAIL with the fix."""
    try:
        backend = app.make_backend(spec)
        backend.check()
        answered = probe(backend, seconds)
        ok = style("ok", "green")
        say(f"{role} {spec}: {ok} (context {backend.context_length()} tokens, {answered})")
        return 0
    except RelayError as err:
        say(f"{role} {spec}: " + style("FAIL", "red") + f" — {err}")
        return err.exit_code


@click.command()
@click.option("--local", is_flag=True, help="Check the packaged offline GGUF models instead.")
@click.option(
    "--timeout",
    type=click.FloatRange(0, min_open=True),
    default=PROBE_SECONDS,
    show_default=True,
    metavar="SECONDS",
    help="How long each model may take to answer a one-token request.",
)
@click.pass_context
def doctor(ctx: click.Context, local: bool, timeout: float) -> int:
    """Check git, the repository, configuration, model servers and models.

    Each model is asked for one token: reachable is not enough, it must answer in time and
    within the bound it was given.

    \b
    Example:
      relay-git doctor        # prints one line per check, with the fix for each failure

    Exits 3 when a model backend is unavailable, 2 for other problems.
    """
    # A report, not an error: every problem is a line on stdout, and the exit code is the
    # worst of the problems' own exit codes (relay_git.errors), so it matches the CLI's map.
    ok = style("ok", "green")
    if shutil.which("git") is None:
        say("git: not found — install git")
        return UsageError.exit_code
    try:
        app = build_app(ctx, local=local)
    except RelayError as err:
        say(f"configuration: {err}")
        return err.exit_code
    say(f"git: {ok}")
    where = app.repo.root if app.repo else "not in a git repository (review needs one)"
    say(f"repository: {where}")
    if app.resolved is not None and app.resolved.notices:
        ignored = len(app.resolved.notices)
        say(f"trust: not trusted: {ignored} repository setting(s) ignored — {trustmod.HOW}")
    elif app.repo is not None:
        say(f"trust: {ok}")
    roles = (("coder", app.config.coder), ("reviewer", app.config.reviewer))
    return max(check_role(app, role, spec, timeout) for role, spec in roles)
