"""``relay-git log``: past review and scaffold runs, and what the relay saved."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import click

from relay_git.errors import UsageError
from relay_git.history.store import default_path, runs


def _config_prices(ctx: click.Context) -> Any:
    """``prices`` from the effective config; an older Config without the key has none."""
    from relay_git.commands.common import build_app

    return getattr(build_app(ctx).config, "prices", None) or {}


@click.command()
@click.option("-n", "--limit", type=click.IntRange(1), default=20, show_default=True,
              help="Show the N newest runs.")  # fmt: skip
@click.option("--stats", is_flag=True, help="Totals per model, and the large-model-alone cost.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def log(ctx: click.Context, limit: int, stats: bool, as_json: bool) -> int:
    """List past runs (newest first), or with --stats what they cost and saved.

    \b
    Examples:
      relay-git log                 # the 20 newest runs
      relay-git log -n 5 --json
      relay-git log --stats         # tokens and time per model, and on the large model alone

    Every review and scaffold run is logged to $XDG_DATA_HOME/relay-git/history.sqlite3
    (default ~/.local/share): time, repository path, command, models, each model call's
    tokens and seconds, exit code and findings count — never the diff, prompts or replies.
    Turn it off with --no-log, or `log = false` in the config.

    --stats prices each model call as if the run's reviewer (the large model) had written
    its output, at the reviewer's speed measured in the history; with per-model prices
    in the config ([prices."ollama:gpt-oss:120b"] input/output = USD per million
    tokens) it shows dollars too.
    """
    path = default_path(dict(os.environ))
    try:
        text = _render(ctx, path, limit, stats, as_json)
    except sqlite3.Error as err:
        raise UsageError(f"cannot read the history {path}: {err}", "move the file away") from None
    click.echo(text.rstrip("\n"))
    return 0


def _render(ctx: click.Context, path: Path, limit: int, stats: bool, as_json: bool) -> str:
    from relay_git.reporters import history as report

    if stats:
        from relay_git.history.stats import compute, prices_from

        result = compute(runs(path), prices_from(_config_prices(ctx)))
        text = json.dumps(result.to_dict(), indent=2) if as_json else report.stats(result, path)
    else:
        found = runs(path, limit)
        data = [r.to_dict() for r in found]
        text = json.dumps(data, indent=2) if as_json else report.runs(found, path)
    return text
