"""Logging a command's run to the history, from one place: the ``@logged`` decorator.

The decorator adds ``--no-log`` to the command, notes when it started, and once its exit
code is known — returned, or the one ``exit_code_for`` gives the error on its way to the
CLI — appends the run's metadata to the history, before the CLI reports the error (and, for a
hook past its budget, ends the process at once). A log that cannot be written costs one
warning line, never the command.
"""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from relay_git.cli_support.exits import exit_code_for, returned
from relay_git.history.stats import canonical
from relay_git.history.store import Run, append, default_path
from relay_git.types import Finding

if TYPE_CHECKING:  # the app loads when a command runs, not at start-up
    from relay_git.app import App

APP_KEY = "relay_git.app"
NO_LOG_KEY = "relay_git.no_log"
_RUN_KEY = "relay_git.run"
_FINDINGS_KEY = "relay_git.findings"

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class _Started:
    command: str
    time: str
    monotonic: float
    recorded: bool = False


def remember_app(ctx: click.Context, app: App) -> None:
    """Called by the composition root: the run's config, repository and ledger."""
    ctx.meta[APP_KEY] = app


def count_findings(count: int) -> None:
    """Add to the run's findings count (a review of several pushed refs adds several)."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta[_FINDINGS_KEY] = ctx.meta.get(_FINDINGS_KEY, 0) + count


_VERDICT_KEY = "relay_git.verdict"
_SAID_KEY = "relay_git.said"
_WORST = {"approve": 0, "fix": 1, "reject": 2}


def note_verdict(verdict: str) -> None:
    """Keep the run's verdict for the history: the worst of several reviews."""
    ctx = click.get_current_context(silent=True)
    kept = None if ctx is None else ctx.meta.get(_VERDICT_KEY)
    if ctx is not None and (kept is None or _WORST.get(verdict, 0) > _WORST.get(kept, 0)):
        ctx.meta[_VERDICT_KEY] = verdict


def note_review(verdict: str, findings: Sequence[Finding]) -> None:
    """Keep a review's verdict, its findings and their count for the history."""
    count_findings(len(findings))
    note_verdict(verdict)
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta[_SAID_KEY] = (*ctx.meta.get(_SAID_KEY, ()), *findings)


def set_no_log(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.meta[NO_LOG_KEY] = True  # meta is shared: the group's flag reaches the command
    return value


# The one --no-log: on the group (``relay-git --no-log review``) and on each logged command
# (``relay-git review --no-log``).
no_log_option = click.option(
    "--no-log",
    is_flag=True,
    expose_value=False,
    callback=set_no_log,
    help="Do not add this run to the history (`relay-git log`); config: log = false.",
)


def logged(command: str) -> Callable[[F], F]:
    """Log every run of the decorated click callback (which takes ``ctx`` first), with the
    exit code the process ends with (cli_support/exits.py, as cli.main maps it)."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def run(ctx: click.Context, /, *args: Any, **kwargs: Any) -> Any:
            now = datetime.now(UTC).isoformat(timespec="seconds")
            ctx.meta[_RUN_KEY] = _Started(command, now, time.monotonic())
            try:
                result = fn(ctx, *args, **kwargs)
            except BaseException as err:  # recorded, then re-raised as it was
                record(ctx, exit_code_for(err))
                raise
            record(ctx, returned(result))
            return result

        return cast(F, no_log_option(run))

    return wrap


def _kept(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    """Findings as the history keeps them: no suggestion, secrets in the message redacted."""
    if not findings:
        return ()
    from relay_git.safety.redact import redact

    return tuple(
        replace(f, message=redact(f.message)[0], suggestion=None, fingerprint="") for f in findings
    )


def record(ctx: click.Context, code: int) -> None:
    """Append the run to the history once, unless logging is off or nothing was built."""
    started = ctx.meta.get(_RUN_KEY)
    app = ctx.meta.get(APP_KEY)
    from relay_git.app import App

    if not isinstance(started, _Started) or started.recorded or not isinstance(app, App):
        return
    started.recorded = True
    if ctx.meta.get(NO_LOG_KEY) or not app.config.log:
        return
    run = Run(
        time=started.time,
        repo=str(app.repo.root if app.repo else Path.cwd()),
        command=started.command,
        coder=canonical(app.config.coder),
        reviewer=canonical(app.config.reviewer),
        exit_code=code,
        findings=ctx.meta.get(_FINDINGS_KEY),
        wall_seconds=time.monotonic() - started.monotonic,
        ledger=app.ledger.entries,
        source="hook" if ctx.params.get("hook") else "manual",
        verdict=ctx.meta.get(_VERDICT_KEY),
        said=_kept(ctx.meta.get(_SAID_KEY, ())),
    )
    path = default_path(app.environ)
    try:
        append(path, run)
    except (OSError, sqlite3.Error) as err:
        click.echo(f"relay-git: warning: run not logged to {path}: {err}", err=True)
