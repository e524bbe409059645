"""``relay-git review``: the reviewer model reviews a diff."""

from __future__ import annotations

import importlib
from typing import IO

import click

from relay_git.app import App
from relay_git.commands.common import build_app, echo_ledger, emit, progress, save_raw_reply
from relay_git.errors import ModelOutputError, UsageError
from relay_git.findings import reaches
from relay_git.types import Coverage, Review, Verdict

FORMATS = ("text", "json", "sarif", "markdown")
REPORTERS = {
    "text": "relay_git.reporters.text",
    "json": "relay_git.reporters.json",
    "sarif": "relay_git.reporters.sarif",
    "markdown": "relay_git.reporters.markdown",
}


def read_diff(
    app: App, revisions: str | None, base: str | None, diff_file: IO[str] | None
) -> tuple[str, str]:
    """The diff text and a description of what it is."""
    chosen = [x for x in (revisions, base, diff_file) if x is not None]
    if len(chosen) > 1:
        raise UsageError("give only one of RANGE, --base, --diff-file (or --staged)")
    if diff_file is not None:
        return diff_file.read(), f"patch from {getattr(diff_file, 'name', 'stdin')}"
    repo = app.require_repo()
    if revisions:
        return repo.diff_range(revisions), revisions
    if base:
        return repo.diff_commits(repo.merge_base(base), repo.resolve("HEAD")), f"{base}...HEAD"
    return repo.diff_staged(), "staged changes"


def render(review: Review, fmt: str) -> str:
    module = importlib.import_module(REPORTERS[fmt])
    text: str = module.render(review)
    return text


@click.command()
@click.argument("revisions", metavar="[RANGE]", required=False)
@click.option("--staged", is_flag=True, help="Review the staged changes (the default).")
@click.option("--base", metavar="REF", help="Review HEAD against its merge-base with REF.")
@click.option(
    "--diff-file",
    type=click.File("r", encoding="utf-8", errors="surrogateescape"),
    help="Review a patch file ('-' reads stdin).",
)
@click.option("--reviewer", metavar="SPEC", help="Reviewer model, e.g. ollama:gpt-oss:120b.")
@click.option("--local", is_flag=True, help="Use the packaged offline GGUF models.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--fail-on",
    type=click.Choice(("error", "warning", "info", "never")),
    help="Exit 1 when a finding is at or above this severity [default: error].",
)
@click.option("--jobs", type=click.IntRange(1, 32), help="Chunks reviewed at once [default: 2].")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip matching files (repeatable).")
@click.option("--max-files", type=click.IntRange(1), help="Review at most N files.")
@click.option("--no-cache", is_flag=True, help="Ask the model even if this diff was reviewed.")
@click.option("-o", "--output", metavar="FILE", help="Write the report to FILE.")
@click.option("-q", "--quiet", is_flag=True, help="No progress and no ledger on stderr.")
@click.pass_context
def review(
    ctx: click.Context,
    revisions: str | None,
    staged: bool,
    base: str | None,
    diff_file: IO[str] | None,
    reviewer: str | None,
    local: bool,
    fmt: str,
    fail_on: str | None,
    jobs: int | None,
    exclude: tuple[str, ...],
    max_files: int | None,
    no_cache: bool,
    output: str | None,
    quiet: bool,
) -> int:
    """Review a diff with the reviewer (large) model.

    \b
    Examples:
      relay-git review                       # the staged diff
      relay-git review main..HEAD --format markdown
      relay-git review --base origin/main --fail-on warning
      git diff | relay-git review --diff-file - --format json

    Exit codes: 0 approved or below --fail-on, 1 findings at or above --fail-on,
    2 usage error, 3 model backend unavailable.
    """
    app = build_app(
        ctx, local=local, reviewer=reviewer, fail_on=fail_on, jobs=jobs, max_files=max_files
    )
    if exclude:
        app.config = app.config.replace(exclude=app.config.exclude + exclude)
    diff_text, what = read_diff(app, revisions, base, diff_file)
    if not diff_text.strip():
        if fmt == "text":
            click.echo(f"relay-git: nothing to review ({what} are empty)", err=True)
            return 0
        result = Review(Verdict.APPROVE, "Nothing to review.", (), Coverage())
    else:
        try:
            with progress(quiet) as report:
                result = app.reviewer(use_cache=not no_cache, progress=report).review(diff_text)
        except ModelOutputError as err:
            save_raw_reply(app, err)
            raise
    emit(render(result, fmt), output)
    if not quiet:
        echo_ledger(app)
    return 1 if reaches(result.findings, app.config.fail_on) else 0
