"""``relay-git review``: the reviewer model reviews a diff (also the git hooks' entry point)."""

from __future__ import annotations

import dataclasses
import importlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

import click

from relay_git.app import App
from relay_git.commands.common import (
    build_app,
    check_output,
    echo_ledger,
    emit,
    progress,
    save_raw_reply,
)
from relay_git.commands.runlog import count_findings, logged
from relay_git.commands.targets import Target
from relay_git.commands.targets import read as read_targets
from relay_git.errors import BackendUnavailable, ModelOutputError, NotBlocking
from relay_git.hookrun import (
    COMMIT_HOOK_ID,
    HOOK_TIMEOUT,
    PUSH_HOOK_ID,
    BudgetExceeded,
    names,
    run_within,
    skip_requested,
)
from relay_git.review.engine import full_coverage_error
from relay_git.review.filtermode import MODES, FilterMode
from relay_git.review.findings import reaches
from relay_git.types import Coverage, Review, Verdict
from relay_git.util.text import one_line

FORMATS = ("text", "json", "sarif", "markdown")
REPORTERS = {
    "text": "relay_git.reporters.text",
    "json": "relay_git.reporters.json",
    "sarif": "relay_git.reporters.sarif",
    "markdown": "relay_git.reporters.markdown",
}


def render(review: Review, fmt: str) -> str:
    module = importlib.import_module(REPORTERS[fmt])
    text: str = module.render(review)
    return text


def hook_summary(result: Review, what: str) -> str:
    """One line: verdict, what was reviewed, counts, and any part that was not reviewed."""
    cov = result.coverage
    counts = {
        s: sum(1 for f in result.findings if f.severity.value == s)
        for s in ("error", "warning", "info")
    }
    found = (
        ", ".join(f"{n} {s}{'s' if n > 1 else ''}" for s, n in counts.items() if n) or "no findings"
    )
    line = (
        f"relay-git: {result.verdict.value} — {what}: {len(cov.reviewed)} file(s) reviewed, {found}"
    )
    if cov.chunks and not result.ledger:
        line += " (from cache)"
    limited = [s for s in cov.skipped if s.limit]
    if limited or cov.hunks_reviewed < cov.hunks_total:
        reasons = names(sorted({s.reason for s in limited}))
        line += f"; PARTIAL: not reviewed {names(s.path for s in limited)} ({reasons})"
    elif cov.skipped:
        line += f"; skipped {len(cov.skipped)} ({names(sorted({s.reason for s in cov.skipped}))})"
    return line


def hook_report(result: Review, fail_on: str, what: str, push: bool) -> tuple[str, int]:
    """Blocking findings as ``path:line: severity: message``, else the one-line summary."""
    blocking = [f for f in result.findings if reaches([f], fail_on)]
    if not blocking:
        return hook_summary(result, what), 0
    lines = [f"{f.path}:{f.line}: {f.severity.value}: {one_line(f.message)}" for f in blocking]
    action = "push" if push else "commit"
    lines.append(
        f"relay-git: {action} blocked by {len(blocking)} finding(s) at or above {fail_on} "
        f"(fix them, or RELAY_GIT_SKIP=1 to {action} anyway)"
    )
    return "\n".join(lines), 1


def hook_progress(reviewer: str, budget: float | None) -> Callable[[str], None]:
    """Say once, on the first model call (never on a cache hit), what the wait is for."""
    said: list[bool] = []

    def report(msg: str) -> None:
        if msg.startswith("reviewing") and not said:
            said.append(True)
            limit = f", budget {budget:g} s" if budget else ""
            click.echo(
                f"relay-git: reviewing with {reviewer}{limit} (RELAY_GIT_SKIP=1 skips)…", err=True
            )

    return report


@dataclass(frozen=True)
class Options:
    """The review command's options, as click parsed them."""

    revisions: str | None
    staged: bool
    base: str | None
    diff_file: IO[bytes] | None
    reviewer: str | None
    local: bool
    fmt: str | None
    fail_on: str | None
    jobs: int | None
    exclude: tuple[str, ...]
    max_files: int | None
    no_cache: bool
    output: str | None
    quiet: bool
    hook: bool
    timeout: float | None
    strict: bool
    push: bool
    push_refs: IO[str] | None
    filter_mode: str
    require_full_coverage: bool


def run_review(app: App, o: Options, diff_text: str, deadline: float | None) -> Review:
    """The review itself, within what is left of the time budget."""
    budget = total_budget(o)
    mode = FilterMode(o.filter_mode)
    if o.hook and o.fmt is None:
        report = hook_progress(app.config.reviewer, budget)
        reviewer = app.reviewer(use_cache=not o.no_cache, progress=report, filter_mode=mode)
        return run_within(lambda: reviewer.review(diff_text), remaining(deadline), budget)
    with progress(o.quiet or o.hook) as report:
        reviewer = app.reviewer(use_cache=not o.no_cache, progress=report, filter_mode=mode)
        return run_within(lambda: reviewer.review(diff_text), remaining(deadline), budget)


def total_budget(o: Options) -> float | None:
    """--timeout, else 60 s for a hook, else no budget."""
    return o.timeout if o.timeout is not None else (HOOK_TIMEOUT if o.hook else None)


def remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.001, deadline - time.monotonic())


def review_target(app: App, o: Options, diff_text: str, what: str, deadline: float | None) -> int:
    """Review one diff, print its report, and return its exit code."""
    hook_text = o.hook and o.fmt is None
    if not diff_text.strip():
        if hook_text or o.fmt in (None, "text"):
            click.echo(f"relay-git: nothing to review ({what}: no changes)", err=True)
            return 0
        result = Review(Verdict.APPROVE, "Nothing to review.", (), Coverage())
    else:
        try:
            result = run_review(app, o, diff_text, deadline)
        except ModelOutputError as err:
            save_raw_reply(app, err)
            return fail_open(o, err)
        except BudgetExceeded:
            raise
        except BackendUnavailable as err:
            return fail_open(o, err)
    count_findings(len(result.findings))
    fail_on = app.config.fail_on
    if hook_text:
        text, code = hook_report(result, fail_on, what, o.push)
        emit(text, o.output)
    else:
        emit(render(result, o.fmt or "text"), o.output)
        if not o.quiet:
            echo_ledger(app)
        code = 1 if reaches(result.findings, fail_on) else 0
    gap = full_coverage_error(result) if o.require_full_coverage else None
    if gap:
        click.echo(gap, err=True)
    return max(code, 1 if gap else 0)


def fail_open(o: Options, err: BackendUnavailable | ModelOutputError) -> int:
    """A hook passes with a warning when the review cannot be done; --strict or no --hook fails."""
    if not o.hook or o.strict:
        raise err
    click.echo(f"relay-git: warning: review not done: {err}", err=True)
    click.echo("relay-git: not blocking (use --strict to fail instead)", err=True)
    return 0


@click.command()
@click.argument("revisions", metavar="[RANGE]", required=False)
@click.option(
    "--staged", is_flag=True, help="Review the staged changes (the default unless a diff is piped)."
)
@click.option("--base", metavar="REF", help="Review HEAD against its merge-base with REF.")
@click.option(
    "--diff-file",
    type=click.File("rb"),
    help="Review a patch file ('-' reads stdin).",
)
@click.option("--reviewer", metavar="SPEC", help="Reviewer model, e.g. ollama:gpt-oss:120b.")
@click.option("--local", is_flag=True, help="Use the packaged offline GGUF models.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Report format [default: text].")
@click.option(
    "--fail-on",
    type=click.Choice(("error", "warning", "info", "never")),
    help="Exit 1 when a finding is at or above this severity [default: error].",
)
@click.option(
    "--filter-mode",
    type=click.Choice(MODES),
    default="added",
    show_default=True,
    help="Which findings count toward the exit code and inline comments (reviewdog's "
    "modes): added lines; diff_context: any line the diff shows; file: any line of a "
    "changed file; nofilter: everything. The rest are listed as notes.",
)
@click.option("--jobs", type=click.IntRange(1, 32), help="Chunks reviewed at once [default: 2].")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip matching files (repeatable).")
@click.option("--max-files", type=click.IntRange(1), help="Review at most N files.")
@click.option("--no-cache", is_flag=True, help="Ask the model even if this diff was reviewed.")
@click.option("-o", "--output", metavar="FILE", help="Write the report to FILE.")
@click.option("-q", "--quiet", is_flag=True, help="No progress and no ledger on stderr.")
@click.option(
    "--hook",
    is_flag=True,
    help="Run as a git hook: terse output; passes with a warning when the model is "
    "unreachable or the budget runs out (see --strict); RELAY_GIT_SKIP=1 skips.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0, min_open=True),
    metavar="SECONDS",
    help="Time budget for the whole review [default: 60 with --hook, else none].",
)
@click.option("--strict", is_flag=True, help="With --hook: fail when the review cannot finish.")
@click.option(
    "--require-full-coverage",
    is_flag=True,
    envvar="RELAY_GIT_REQUIRE_FULL_COVERAGE",
    help="Exit 1 when any file or hunk was left unreviewed for budget (--max-files, the "
    "model's context); policy skips (binary, lockfile, excluded...) do not count. "
    "Implies --strict.",
)
@click.option(
    "--push-range",
    "push",
    is_flag=True,
    help="Review what a push sends: PRE_COMMIT_FROM_REF...PRE_COMMIT_TO_REF, else "
    "upstream...HEAD, else every commit of a new branch that no remote has.",
)
@click.option(
    "--push-refs",
    type=click.File("r"),
    metavar="FILE",
    help="git's pre-push ref lines ('-' for stdin), as a plain pre-push hook gets them.",
)
@click.pass_context
@logged("review")
def review(ctx: click.Context, /, **opts: object) -> int:
    """Review a diff with the reviewer (large) model.

    \b
    Examples:
      relay-git review                       # the staged diff
      relay-git review main..HEAD --format markdown
      relay-git review --base origin/main --fail-on warning
      git diff | relay-git review --format json   # a piped diff (or --diff-file -)
      relay-git review --hook --timeout 30   # what the pre-commit hook runs
      relay-git review main..HEAD --filter-mode file   # also findings on unchanged lines
      relay-git review --base main --require-full-coverage   # partial = exit 1

    Exit codes: 0 approved or below --fail-on, 1 findings at or above --fail-on
    (or a partial review with --require-full-coverage), 2 usage error, 3 model backend
    unavailable (with --hook: only with --strict).
    """
    o = Options(**opts)  # type: ignore[arg-type]
    check_output(o.output)
    if o.require_full_coverage:  # a review that could not finish covered nothing
        o = dataclasses.replace(o, strict=True)
    environ = dict(os.environ)
    if o.hook:
        why = skip_requested(environ, PUSH_HOOK_ID if o.push else COMMIT_HOOK_ID)
        if why:
            click.echo(f"relay-git: review skipped ({why})", err=True)
            return 0
    app = build_app(
        ctx,
        local=o.local,
        reviewer=o.reviewer,
        fail_on=o.fail_on,
        jobs=o.jobs,
        max_files=o.max_files,
    )
    if o.exclude:
        app.config = app.config.replace(exclude=app.config.exclude + o.exclude)
    target = Target(o.revisions, o.staged, o.base, o.diff_file, o.push, o.push_refs)
    targets = read_targets(app, target, None if o.hook else sys.stdin)
    budget = total_budget(o)
    deadline = None if budget is None else time.monotonic() + budget
    if not targets:
        click.echo("relay-git: nothing to review (no commits to push)", err=True)
        return 0
    try:
        return max(review_target(app, o, text, what, deadline) for text, what in targets)
    except BudgetExceeded as err:  # the CLI reports it and ends the process at once
        if o.hook and not o.strict:
            raise NotBlocking(err) from None
        raise
