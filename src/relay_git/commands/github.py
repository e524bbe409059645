"""``relay-git github``: review a pull request inside GitHub Actions and comment on it.

The pull request is data. Configuration and prompt templates come from the *base*
commit, never from the pull request's own files, so a pull request cannot point the
reviewer (and its API key) somewhere else or rewrite the reviewer's instructions.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from relay_git.app import App, default_backend_factory
from relay_git.commands.common import echo_ledger, progress, save_raw_reply
from relay_git.config import FAIL_ON, load
from relay_git.diff import FileDiff, parse
from relay_git.errors import ModelOutputError, UsageError
from relay_git.findings import reaches
from relay_git.github import payloads as gh
from relay_git.gitops import Repository
from relay_git.ledger import Ledger
from relay_git.reporters.mdsafe import NO_LINKS, Site
from relay_git.review import full_coverage_error
from relay_git.types import Coverage, Review, Verdict

if TYPE_CHECKING:  # httpx and pydantic load only when the command runs
    from relay_git.github.client import GitHubClient
    from relay_git.github.event import ActionsContext, PullRequest

FETCH_FIX = "check out with actions/checkout and `fetch-depth: 0` so both commits are present"
TRUSTED_FILES = (".relay-git.toml", "pyproject.toml", ".relay-git/templates")


@dataclass(frozen=True)
class PostOptions:
    max_comments: int
    request_changes: bool
    fail_on: str
    author: str | None  # another login whose trailers count as ours (besides the token's own)
    site: Site = NO_LINKS  # where links in posted text may point


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
def github(
    ctx: click.Context,
    reviewer: str | None,
    local: bool,
    fail_on: str | None,
    max_comments: int,
    request_changes: bool,
    exclude: tuple[str, ...],
    jobs: int | None,
    no_cache: bool,
    sarif: str | None,
    no_post: bool,
    api_url: str | None,
    author: str | None,
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
    from relay_git.github.event import ActionsContext, load_event

    actx = ActionsContext.from_environ(os.environ, api_url)
    actx.refuse_pull_request_target(allow_pull_request_target)
    pr = load_event(actx.event_path, actx.repository)
    overrides = {"reviewer": reviewer, "fail_on": fail_on, "jobs": jobs}
    with tempfile.TemporaryDirectory(prefix="relay-git-base-") as tmp:
        app = trusted_app(ctx, pr, Path(tmp), overrides, local, exclude)
        diff_text = pr_diff(app.require_repo(), pr)
        result = run_review(app, diff_text, no_cache, quiet)
    click.echo(gh.workflow_commands(result))
    if sarif:
        from relay_git.reporters import sarif as sarif_reporter

        Path(sarif).write_text(sarif_reporter.render(result), encoding="utf-8")
    files = {fd.path: fd for fd in parse(diff_text)}
    site = Site(pr.full_name, actx.server_url)
    opts = PostOptions(max_comments, request_changes, app.config.fail_on, author, site)
    status = deliver(actx, pr, result, files, opts, no_post)
    click.echo(f"relay-git: {status}", err=True)
    if not quiet:
        echo_ledger(app)
    gap = full_coverage_error(result) if require_full_coverage else None
    if gap:
        click.echo(f"::error title=relay-git::{gh.escape_data(gap)}")
        click.echo(gap, err=True)
    return 1 if gap or reaches(result.findings, app.config.fail_on) else 0


def trusted_app(
    ctx: click.Context,
    pr: PullRequest,
    scratch: Path,
    overrides: Mapping[str, Any],
    local: bool,
    exclude: tuple[str, ...],
) -> App:
    """The App with settings and templates read from the base commit, not the pull request."""
    repo = Repository.discover(Path.cwd())
    require_commit(repo, pr.base_sha, "base")
    names = repo.git("ls-tree", "-r", "-z", "--name-only", pr.base_sha, "--", *TRUSTED_FILES)
    for name in filter(None, names.split("\0")):
        target = scratch / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(repo.git("show", f"{pr.base_sha}:{name}"), encoding="utf-8")
    environ = dict(os.environ)
    changes = dict(overrides, templates_dir=str(scratch / ".relay-git" / "templates"))
    if local:
        from relay_git.localmodels import local_specs

        changes["reviewer"] = changes.get("reviewer") or local_specs()[1]
    config = load(scratch, environ, trusted=True).replace(**changes)  # the base commit's files
    if exclude:
        config = config.replace(exclude=config.exclude + exclude)
    factory = (ctx.obj or {}).get("make_backend") or default_backend_factory(config, environ)
    return App(config, environ, repo, Ledger(), factory)


def require_commit(repo: Repository, sha: str, which: str) -> None:
    try:
        repo.resolve(sha)
    except UsageError:
        raise UsageError(
            f"the pull request's {which} commit {sha[:12]} is not in this checkout", FETCH_FIX
        ) from None


def pr_diff(repo: Repository, pr: PullRequest) -> str:
    """``base.sha...head.sha`` from the checkout (the same diff GitHub shows); fetches nothing."""
    require_commit(repo, pr.head_sha, "head")
    try:
        return repo.diff_range(f"{pr.base_sha}...{pr.head_sha}")
    except UsageError as err:
        raise UsageError(f"cannot diff the pull request: {err.message}", FETCH_FIX) from None


def run_review(app: App, diff_text: str, no_cache: bool, quiet: bool) -> Review:
    if not diff_text.strip():
        return Review(Verdict.APPROVE, "Nothing to review.", (), Coverage())
    try:
        with progress(quiet) as report:
            return app.reviewer(use_cache=not no_cache, progress=report).review(diff_text)
    except ModelOutputError as err:
        save_raw_reply(app, err)
        raise


def deliver(
    actx: ActionsContext,
    pr: PullRequest,
    review: Review,
    files: Mapping[str, FileDiff],
    opts: PostOptions,
    no_post: bool,
) -> str:
    """Post (unless told not to); the job summary is written whatever happens."""
    from relay_git.errors import GitHubError

    status = "posting skipped (--no-post)"
    try:
        if not no_post:
            status = publish(actx, pr, review, files, opts)
    except GitHubError as err:
        status = f"could not post: {err}"
        raise
    finally:
        write_step_summary(actx.step_summary, review, status, opts.site)
    return status


def publish(
    actx: ActionsContext,
    pr: PullRequest,
    review: Review,
    files: Mapping[str, FileDiff],
    opts: PostOptions,
) -> str:
    """Post the review and the summary; a read-only token degrades to annotations + job summary."""
    from relay_git.errors import ReadOnlyToken
    from relay_git.github.client import GitHubClient

    try:
        with GitHubClient(actx.api_url, actx.token) as client:
            return post_all(client, pr, review, files, opts)
    except ReadOnlyToken as err:
        click.echo(f"::warning title=relay-git::{gh.escape_data(str(err))}")
        return (
            "could not comment: the token is read-only (a pull request from a fork?);"
            " the review is in this job summary and in the annotations"
        )


def _ours(comment: Mapping[str, Any], logins: set[str]) -> bool:
    """Written by the token's own identity (or --author): only then are trailers read."""
    user = comment.get("user")
    login = user.get("login") if isinstance(user, dict) else None
    return isinstance(login, str) and login.lower() in logins


def post_all(
    client: GitHubClient,
    pr: PullRequest,
    review: Review,
    files: Mapping[str, FileDiff],
    opts: PostOptions,
) -> str:
    logins = {client.identity().lower()} | ({opts.author.lower()} if opts.author else set())
    posted = [c for c in client.list_review_comments(pr) if _ours(c, logins)]
    summary = next(
        (
            c
            for c in client.list_issue_comments(pr)
            if _ours(c, logins) and str(c.get("body", "")).startswith(gh.SUMMARY_MARKER)
        ),
        None,
    )
    earlier = gh.parse_summary(str(summary["body"]) if summary else "")
    from_comments = gh.earlier_from_comments(posted)
    rp = gh.plan(review.findings, files, set(from_comments) | set(earlier.open), opts.max_comments)
    status = f"nothing new to post ({len(rp.already)} finding(s) reported earlier)"
    if rp.new:
        event = "COMMENT"
        if opts.request_changes and reaches(review.findings, opts.fail_on):
            event = "REQUEST_CHANGES"
        body = gh.review_body(review, rp, pr.head_sha, opts.site)
        payload = gh.review_payload(body, rp.inline, pr.head_sha, event, opts.site)
        sent = post_review(client, pr, payload)
        status = f"posted a review with {len(sent['comments'])} inline comment(s)"
    known = gh.Earlier({**from_comments, **earlier.open}, earlier.resolved)
    text = gh.summary_comment(review, known, pr.head_sha, status, opts.site)
    if summary is not None:
        client.update_issue_comment(pr, int(summary["id"]), text)
    else:
        client.create_issue_comment(pr, text)
    return status


def post_review(client: GitHubClient, pr: PullRequest, payload: dict[str, Any]) -> dict[str, Any]:
    """POST the review; on a 422 fold the offending comments (all, if GitHub won't say) and retry.

    Returns the payload GitHub accepted. A review is created all-or-nothing, so a refused
    one was not created and retrying cannot duplicate it.
    """
    from relay_git.errors import GitHubError
    from relay_git.github.client import offending_comments

    attempt, partial_tried = payload, False
    while True:
        try:
            client.create_review(pr, attempt)
            return attempt
        except GitHubError as err:
            if err.status != 422:
                raise
            comments = attempt["comments"]
            if comments:
                named = None if partial_tried else offending_comments(err.errors, len(comments))
                partial_tried = True
                attempt = gh.fold(attempt, named)
            elif attempt["event"] != "COMMENT":
                attempt = {**attempt, "event": "COMMENT"}  # e.g. changes on one's own PR
            else:
                raise


def write_step_summary(path: Path | None, review: Review, status: str, site: Site) -> None:
    """Append the Markdown report (findings, coverage, ledger) to the job summary."""
    if path is None:
        return
    from relay_git.reporters import markdown
    from relay_git.reporters.mdsafe import inline

    text = markdown.render(review, site).rstrip("\n") + f"\n\n**GitHub:** {inline(status)}\n"
    with path.open("a", encoding="utf-8") as fh:
        fh.write(text + "\n")
