"""``relay-git log``: past runs, what the reviewer said, and what the relay saved."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import click

from relay_git.errors import UsageError
from relay_git.history.store import Query, default_path, runs

LIST_LIMIT = 20  # runs listed when -n is not given (--stats counts all of them)
KINDS = ("scaffold", "review", "hook")


def _repo(value: str | None, all_repos: bool) -> str | None:
    """The repository root to show (None: all): ``--repo``'s, else the current one's."""
    from relay_git.git.repo import Repository

    if all_repos or value == "all":
        return None
    where = Path(value or ".").resolve()
    try:
        return str(Repository.discover(where).root)
    except UsageError:
        if value is None:
            return None  # outside a repository: every run
        return str(where)  # a repository since moved or deleted: its runs as logged


@click.command()
@click.option(
    "-n",
    "--limit",
    type=click.IntRange(1),
    default=None,
    help=f"Only the N newest runs [default: {LIST_LIMIT}; with --stats, all].",
)
@click.option(
    "--repo",
    metavar="PATH|all",
    help="Runs in this repository [default: the current one; outside one, all].",
)
@click.option("--all-repos", is_flag=True, help="Runs in every repository (= --repo all).")
@click.option("--since", metavar="WHEN", help="Runs since a date (2026-01-31) or an age (7d, 2w).")
@click.option(
    "--command",
    "kind",
    type=click.Choice(KINDS),
    help="Only scaffold runs, reviews run by hand, or reviews a git hook ran.",
)
@click.option("--model", metavar="SPEC", help="Runs that used this model (coder or reviewer).")
@click.option("--findings", is_flag=True, help="Show what each review said (path:line severity).")
@click.option("--stats", is_flag=True, help="Totals per model, and the large-model-alone time.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def log(ctx: click.Context, /, **opts: Any) -> int:
    """List past runs (newest first), what their reviews said, or with --stats what they
    cost and saved.

    \b
    Examples:
      relay-git log                       # the 20 newest runs in this repository
      relay-git log --findings --since 7d # what the reviewer said this week
      relay-git log --command hook --all-repos -n 5 --json
      relay-git log --stats --model ollama:gpt-oss:120b

    Every review and scaffold run is logged to $XDG_DATA_HOME/relay-git/history.sqlite3
    (default ~/.local/share; private: mode 0600): time, repository, command (a hook's
    review told apart), models, each model call's tokens and timings, exit code, the
    review's verdict and findings (path, line, severity, message) — never the diff,
    prompts, replies, suggestions or the task. Turn it off with --no-log, or `log = false`.

    --stats measures each model's prefill and decode rates and compares the scaffold runs
    with their reviewer (the large model) doing every call alone: its prefill of what the
    small model read plus the small model's output at its decode rate. With per-model
    prices in the config ([prices."ollama:gpt-oss:120b"] input/output = USD per million
    tokens) it shows dollars too.
    """
    from relay_git.history.since import parse_since
    from relay_git.history.stats import canonical

    query = Query(
        limit=opts["limit"],
        repo=_repo(opts["repo"], opts["all_repos"]),
        since=parse_since(opts["since"]) if opts["since"] else None,
        kind=opts["kind"],
        model=canonical(opts["model"]) if opts["model"] else None,
    )
    path = default_path(dict(os.environ))
    try:
        text = _render(ctx, path, query, opts)
    except sqlite3.Error as err:
        raise UsageError(f"cannot read the history {path}: {err}", "move the file away") from None
    click.echo(text.rstrip("\n"))
    return 0


def _render(ctx: click.Context, path: Path, query: Query, opts: dict[str, Any]) -> str:
    from relay_git.reporters import history as report

    as_json = bool(opts["as_json"])
    if opts["stats"]:
        from relay_git.cli_support.common import build_app
        from relay_git.history.stats import compute

        result = compute(runs(path, query=query), build_app(ctx).config.prices)
        return json.dumps(result.to_dict(), indent=2) if as_json else report.stats(result, path)
    found = runs(path, query.limit or LIST_LIMIT, query)
    if as_json:
        return json.dumps([r.to_dict() for r in found], indent=2)
    show = report.findings if opts["findings"] else report.runs
    return show(found, path, _scope(query))


def _scope(query: Query) -> str:
    """Which runs were asked for, said when there are none."""
    parts = [f"in {query.repo} (--all-repos: every repository)"] if query.repo else []
    parts += [f"since {query.since}"] if query.since else []
    parts += [f"of --command {query.kind}"] if query.kind else []
    parts += [f"with {query.model}"] if query.model else []
    return "".join(f" {p}" for p in parts)
