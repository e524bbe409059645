"""``relay-git github``: review a pull request inside GitHub Actions and comment on it.

Parses the options and renders the outcome; the workflow (base-commit settings, review,
posting, the 422 retry) is ``relay_git.github.publish``.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from relay_git.cli_support.common import echo_ledger, progress, save_raw_reply
from relay_git.cli_support.options import into
from relay_git.config import FAIL_ON
from relay_git.github.options import Options, Posting, Settings
from relay_git.github.payloads import escape_data


@click.command("github")
@click.option(
    "--reviewer", metavar="SPEC", help="Reviewer model, e.g. anthropic:claude-sonnet-4-5."
)
@click.option("--local", is_flag=True, help="Use the packaged offline GGUF models.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), help="Exit 1 at or above this severity.")
@click.option(
    "--max-comments",
    type=click.IntRange(0),
    default=20,
    show_default=True,
    envvar="RELAY_GIT_MAX_COMMENTS",
    help="Inline comments per review, most severe first; the rest are summarized.",
)
@click.option(
    "--request-changes/--comment-only",
    default=False,
    envvar="RELAY_GIT_REQUEST_CHANGES",
    help="Submit REQUEST_CHANGES when findings reach --fail-on [default: comment only].",
)
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip matching files (repeatable).")
@click.option("--jobs", type=click.IntRange(1, 32), help="Chunks reviewed at once.")
@click.option("--no-cache", is_flag=True, help="Ask the model even if this diff was reviewed.")
@click.option("--sarif", metavar="FILE", envvar="RELAY_GIT_SARIF", help="Also write SARIF here.")
@click.option("--no-post", is_flag=True, help="Annotations and job summary only; post nothing.")
@click.option("--api-url", metavar="URL", help="REST API root [default: $GITHUB_API_URL].")
@click.option(
    "--author",
    metavar="LOGIN",
    envvar="RELAY_GIT_GITHUB_AUTHOR",
    help="Also read relay-git's trailers in comments by LOGIN (besides the token's own login).",
)
@click.option(
    "--allow-pull-request-target",
    is_flag=True,
    envvar="RELAY_GIT_ALLOW_PULL_REQUEST_TARGET",
    help="Run on `pull_request_target` too (refused by default: secrets + a fork's code).",
)
@click.option(
    "--require-full-coverage/--allow-partial",
    default=False,
    envvar="RELAY_GIT_REQUIRE_FULL_COVERAGE",
    help="Exit 1 when any file or hunk was left unreviewed for budget (--max-files, the "
    "model's context) [default: allow partial, which every report states].",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress and no ledger on stderr.")
@click.pass_context
@into(Settings, "settings")
@into(Posting, "posting")
def github(
    ctx: click.Context,
    /,
    settings: Settings,
    posting: Posting,
    sarif: str | None,
    allow_pull_request_target: bool,
    require_full_coverage: bool,
    quiet: bool,
) -> int:
    """Review the pull request this workflow runs for, and comment on it.

    \b
    Inside GitHub Actions (see docs/github-action.md):
      relay-git github --reviewer anthropic:claude-sonnet-4-5 --fail-on error

    Reads GITHUB_EVENT_PATH, GITHUB_REPOSITORY, GITHUB_API_URL and GITHUB_TOKEN; reviews
    base.sha...head.sha; posts one review (new findings only) and keeps one summary
    comment up to date; prints ::error annotations; appends to $GITHUB_STEP_SUMMARY.
    Exit codes as for review: 0 ok, 1 findings at or above --fail-on, 2 usage, 3 backend.
    """
    from relay_git.github.publish import Terminal, review_pull_request

    opts = Options(settings, posting, sarif, allow_pull_request_target, require_full_coverage)
    term = Terminal(click.echo, lambda: progress(quiet), save_raw_reply)
    injected = (ctx.obj or {}).get("make_backend")
    outcome = review_pull_request(opts, dict(os.environ), Path.cwd(), injected, term)
    click.echo(f"relay-git: {outcome.status}", err=True)
    if not quiet:
        echo_ledger(outcome.app)
    if outcome.gap:
        click.echo(f"::error title=relay-git::{escape_data(outcome.gap)}")
        click.echo(outcome.gap, err=True)
    return outcome.exit_code
