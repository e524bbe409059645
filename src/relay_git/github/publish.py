"""Review a pull request inside GitHub Actions and comment on it: the workflow.

The pull request is data. Configuration and prompt templates come from the *base*
commit (``app.build_at_commit``), never from the pull request's own files, so a pull
request cannot point the reviewer (and its API key) somewhere else or rewrite the
reviewer's instructions. Posting goes through ``client``; a review GitHub refuses with
422 is retried with the refused comments folded into its body.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relay_git.app import App, BackendFactory, build_at_commit
from relay_git.errors import GitHubError, ModelOutputError, ReadOnlyToken, RelayError, UsageError
from relay_git.git.repo import Repository
from relay_git.github import payloads as gh
from relay_git.github.client import GitHubClient, offending_comments
from relay_git.github.event import ActionsContext, PullRequest, load_event
from relay_git.github.options import Options, Settings
from relay_git.reporters.mdsafe import NO_LINKS, Site
from relay_git.review.diff import FileDiff, parse
from relay_git.review.engine import full_coverage_error
from relay_git.review.findings import reaches
from relay_git.types import Coverage, Review, Verdict

FETCH_FIX = "check out with actions/checkout and `fetch-depth: 0` so both commits are present"
REVIEW_IS_HERE = "the review is in this job summary and in the annotations"


def read_only(pr: PullRequest) -> str:
    """Why nothing was posted: a fork's pull request is named as one, by its head repository."""
    if pr.head_repo.lower() != pr.full_name.lower():
        why = f"a pull request from the fork {pr.head_repo} gets a read-only token"
    else:
        why = "the token is read-only (grant `permissions: pull-requests: write`)"
    return f"could not comment: {why}; {REVIEW_IS_HERE}"


@dataclass(frozen=True)
class PostOptions:
    max_comments: int
    request_changes: bool
    fail_on: str
    author: str | None  # another login whose trailers count as ours (besides the token's own)
    site: Site = NO_LINKS  # where links in posted text may point


@dataclass(frozen=True)
class Terminal:
    """What the workflow shows while it runs; the command supplies it."""

    annotate: Callable[[str], None]  # workflow commands (::error …) on stdout, as they happen
    progress: Callable[[], AbstractContextManager[Callable[[str], None]]]  # around the review
    keep_reply: Callable[[App, ModelOutputError], None]  # save an invalid reply for the user


@dataclass(frozen=True)
class Outcome:
    app: App
    review: Review
    status: str  # what happened on GitHub, one line
    gap: str | None  # unreviewed for budget, when --require-full-coverage asked
    exit_code: int


def review_pull_request(
    opts: Options,
    environ: Mapping[str, str],
    cwd: Path,
    make_backend: BackendFactory | None,
    term: Terminal,
) -> Outcome:
    """Review base.sha...head.sha, annotate, post, and write the job summary."""
    with failure_sarif(opts.sarif), tempfile.TemporaryDirectory(prefix="relay-git-base-") as tmp:
        actx = ActionsContext.from_environ(environ, opts.posting.api_url)
        actx.refuse_pull_request_target(opts.allow_pull_request_target)
        pr = load_event(actx.event_path, actx.repository)
        app = base_app(cwd, pr, Path(tmp), environ, opts.settings, make_backend)
        diff_text = pr_diff(app.require_repo(), pr)
        result = run_review(app, diff_text, not opts.settings.no_cache, term, pr.base_sha)
    term.annotate(gh.workflow_commands(result))
    if opts.sarif:
        from relay_git.reporters import sarif as sarif_reporter

        Path(opts.sarif).write_text(sarif_reporter.render(result), encoding="utf-8")
    files = {fd.path: fd for fd in parse(diff_text)}
    site = Site(pr.full_name, actx.server_url)
    fail_on = app.config.fail_on
    posting = opts.posting
    post = PostOptions(posting.max_comments, posting.request_changes, fail_on, posting.author, site)
    status = deliver(actx, pr, result, files, post, posting.no_post, term.annotate)
    gap = full_coverage_error(result) if opts.require_full_coverage else None
    code = 1 if gap or reaches(result.findings, fail_on) else 0
    return Outcome(app, result, status, gap, code)


@contextmanager
def failure_sarif(path: str | None) -> Iterator[None]:
    """``--sarif FILE`` holds a valid log saying the review failed when it cannot be done, as
    ``relay-git review --format sarif`` writes one: a stale file or none at all would leave a
    code-scanning upload to pass as a clean review."""
    try:
        yield
    except RelayError as err:
        if path:
            from relay_git.reporters import render_failure

            document = render_failure("sarif", str(err), err.exit_code)
            Path(path).write_text(document or "", encoding="utf-8")
        raise


def base_app(
    cwd: Path,
    pr: PullRequest,
    scratch: Path,
    environ: Mapping[str, str],
    settings: Settings,
    make_backend: BackendFactory | None,
) -> App:
    """The App built from the pull request's base commit, which must be in the checkout."""
    repo = Repository.discover(cwd)
    require_commit(repo, pr.base_sha, "base")
    return build_at_commit(
        repo,
        pr.base_sha,
        scratch,
        environ,
        settings.overrides(),
        make_backend,
        local=settings.local,
        exclude=settings.exclude,
    )


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


def run_review(
    app: App, diff_text: str, use_cache: bool, term: Terminal, base: str | None = None
) -> Review:
    """``base``: the commit whose attributes say which files are generated (the PR's base)."""
    if not diff_text.strip():
        return Review(Verdict.APPROVE, "Nothing to review.", (), Coverage())
    try:
        with term.progress() as report:
            reviewer = app.reviewer(use_cache=use_cache, progress=report, base=base)
            return reviewer.review(diff_text)
    except ModelOutputError as err:
        term.keep_reply(app, err)
        raise


def deliver(
    actx: ActionsContext,
    pr: PullRequest,
    review: Review,
    files: Mapping[str, FileDiff],
    opts: PostOptions,
    no_post: bool,
    annotate: Callable[[str], None],
) -> str:
    """Post (unless told not to); the job summary is written whatever happens."""
    status = "posting skipped (--no-post)"
    try:
        if not no_post:
            status = publish(actx, pr, review, files, opts, annotate)
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
    annotate: Callable[[str], None],
) -> str:
    """Post the review and the summary; a read-only token degrades to annotations + job summary."""
    try:
        with GitHubClient(actx.api_url, actx.token) as client:
            return post_all(client, pr, review, files, opts)
    except ReadOnlyToken as err:
        annotate(f"::warning title=relay-git::{gh.escape_data(str(err))}")
        return read_only(pr)


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
