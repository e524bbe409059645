"""``relay-git review``: the reviewer model reviews a diff (also the git hooks' entry point).

Parse, call the review flow (review/run.py) on each target, render each outcome. Hook
policy (skipping, the budget, failing open) is in hooks/run.py, what a hook prints in
hooks/report.py, the report formats in reporters/.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

import click

from relay_git.cli_support.common import (
    build_app,
    check_output,
    echo_ledger,
    emit,
    progress,
    save_raw_reply,
)
from relay_git.cli_support.exits import exit_code_for
from relay_git.cli_support.options import into
from relay_git.cli_support.runlog import logged, note_review
from relay_git.cli_support.targets import STAGED, Target, unstaged_hint
from relay_git.cli_support.targets import read as read_targets
from relay_git.config import with_flags
from relay_git.errors import (
    BackendUnavailable,
    BudgetExceeded,
    ModelOutputError,
    NotBlocking,
    RelayError,
    UsageError,
)
from relay_git.hooks import report as hook_report
from relay_git.hooks.run import Budget, fails_open, hook_skip
from relay_git.reporters import FORMATS, render, render_failure
from relay_git.review import run
from relay_git.review.filtermode import MODES, FilterMode

if TYPE_CHECKING:  # the app loads when a command runs, not at start-up
    from relay_git.app import App


def hook_progress(reviewer: str, budget: float | None) -> Callable[[str], None]:
    """Say once, on the first model call (never on a cache hit), what the wait is for."""
    said: list[bool] = []

    def report(msg: str) -> None:
        if msg.startswith("reviewing") and not said:
            said.append(True)
            click.echo(hook_report.waiting(reviewer, budget), err=True)

    return report


@dataclass(frozen=True)
class Options:
    """The review command's options, as click parsed them."""

    args: tuple[str, ...]
    files: bool
    staged: bool
    unstaged: bool
    worktree: bool
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
    fix: bool

    @property
    def hook_text(self) -> bool:
        """A hook's terse report (no --format given)."""
        return self.hook and self.fmt is None

    def flow(self) -> run.Options:
        """How review/run.py reviews (hook policy from hooks/run.py)."""
        return run.Options(
            filter_mode=FilterMode(self.filter_mode),
            use_cache=not self.no_cache,
            fix=self.fix,
            require_full_coverage=self.require_full_coverage,
            fail_open=fails_open(self.hook, self.strict),
            document_empty=self.fmt not in (None, "text"),
        )


def targets_of(o: Options) -> Target:
    """The target options; more than one RANGE is a usage error unless --files names files."""
    if len(o.args) > 1 and not o.files:
        raise UsageError(
            f"more than one RANGE: {' '.join(o.args)}",
            "give one, e.g. main..HEAD (or --files for file names, as pre-commit passes them)",
        )
    revisions = None if o.files or not o.args else o.args[0]
    files = o.args if o.files else None
    return Target(
        revisions, o.staged, o.base, o.diff_file, o.push, o.push_refs, o.unstaged, o.worktree, files
    )


def terminal(app: App, o: Options, budget: Budget) -> run.Terminal:
    """A hook says once what it waits for; otherwise a spinner unless --quiet or --hook."""
    if o.hook_text:
        report = hook_progress(app.config.reviewer, budget.total)
        return run.Terminal(lambda: nullcontext(report), lambda err: save_raw_reply(app, err))
    return run.Terminal(lambda: progress(o.quiet or o.hook), lambda err: save_raw_reply(app, err))


def app_for(ctx: click.Context, o: Options) -> App:
    """The run's App, with the command's settings over the configured ones."""
    app = build_app(
        ctx,
        local=o.local,
        reviewer=o.reviewer,
        fail_on=o.fail_on,
        jobs=o.jobs,
        max_files=o.max_files,
    )
    if o.exclude:
        app.config = with_flags(app.config, exclude=app.config.exclude + o.exclude)
    if o.fix:
        app.require_repo()  # the files to fix: known before any model is asked
    return app


def show(app: App, o: Options, out: run.Outcome) -> int:
    """Print one diff's outcome; its exit code."""
    if out.not_done is not None:
        emit_failure(o, out.not_done, failed_open=True)
        click.echo(hook_report.not_done(out.not_done), err=True)
        return 0
    if out.said is None or out.review is None:
        click.echo(f"relay-git: nothing to review ({out.what}: no changes)", err=True)
        hint = unstaged_hint(app) if out.what == STAGED else None
        if hint:
            click.echo(hint, err=True)
        return 0
    note_review(out.said.verdict.value, out.said.findings)  # what the reviewer said
    for line in out.fixed:
        click.echo(f"relay-git: {line}", err=True)
    if o.hook_text:
        emit(
            hook_report.verdict(out.review, app.config.fail_on, out.what, o.push)[0],
            o.output,
            color=True,
        )
    else:
        emit(render(out.review, o.fmt or "text"), o.output, color=o.fmt in (None, "text"))
        if not o.quiet:
            echo_ledger(app)
    if out.gap:
        click.echo(out.gap, err=True)
    return out.exit_code


def emit_failure(o: Options, err: RelayError, *, failed_open: bool = False) -> None:
    """``--format json|sarif|markdown``: a valid document holding the error, so ``jq`` and a
    SARIF upload get input (the error itself still goes to stderr). A hook that fails open
    exits 0, and its document says that code and why."""
    message, code = str(err), exit_code_for(err)
    if failed_open:
        message, code = f"{message} (not blocking: the hook fails open)", 0
    document = render_failure(o.fmt or "text", message, code)
    if document is not None:
        emit(document, o.output)


@click.command()
@click.argument("args", metavar="[RANGE]", nargs=-1)
@click.option(
    "--staged", is_flag=True, help="Review the staged changes (the default unless a diff is piped)."
)
@click.option(
    "--unstaged",
    is_flag=True,
    help="Review the working tree against the index (`git diff`; intent-to-add files count).",
)
@click.option(
    "--all",
    "worktree",
    is_flag=True,
    help="Review the working tree against HEAD, untracked files included (not ignored "
    "ones); your index is left as it is.",
)
@click.option(
    "--files",
    is_flag=True,
    help="The arguments are file names, as pre-commit passes them (pass_filenames): a "
    "commit reviews the staged diff, `pre-commit run --from-ref X --to-ref Y` the range, "
    "`run --all-files` or `run --files` the named files whole.",
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
    help="Run as a git hook: terse output; passes with a warning when the model server is "
    "unreachable or the budget runs out (see --strict), blocks on a configuration mistake "
    "(unknown model, refused key); RELAY_GIT_SKIP=1 skips.",
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
    help="Exit 1 when any changed file or hunk was not reviewed: left out for budget "
    "(--max-files, the model's context) or skipped unseen (binary, generated, lockfile, "
    "secret); only --exclude / a trusted exclude does not count. Implies --strict.",
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
@click.option(
    "--fix",
    is_flag=True,
    help="Apply the reviewer's suggestions to the working tree (nothing staged), where the "
    "files still hold what was reviewed; say what changed. Fixed findings no longer count.",
)
@click.pass_context
@logged("review")
@into(Options, "o")
def review(ctx: click.Context, /, o: Options) -> int:
    """Review a diff with the reviewer (large) model.

    RANGE is what `git diff` takes: A..B (B against A), A...B (B against its merge-base
    with A), or one revision A (the working tree against A, as `git diff A`).

    \b
    Examples:
      relay-git review                       # the staged diff
      relay-git review --unstaged            # the working tree against the index
      relay-git review --all                 # every change since HEAD, new files too
      relay-git review HEAD~1                # the working tree against HEAD~1
      relay-git review main..HEAD --format markdown
      relay-git review main...feature        # feature since it left main (as a PR)
      relay-git review --base origin/main --fail-on warning
      git diff | relay-git review --format json   # a piped diff (or --diff-file -)
      relay-git review --hook --timeout 30   # what the pre-commit hook runs
      relay-git review main..HEAD --filter-mode file   # also findings on unchanged lines
      relay-git review --base main --require-full-coverage   # partial = exit 1
      relay-git review --fix                 # apply the suggestions to your files

    Exit codes: 0 approved or below --fail-on, 1 findings at or above --fail-on
    (or a partial review with --require-full-coverage), 2 usage error, 3 model backend
    unavailable (with --hook: only with --strict).
    """
    check_output(o.output)
    if o.require_full_coverage:  # a review that could not finish covered nothing
        o = dataclasses.replace(o, strict=True)
    target = targets_of(o)
    why = hook_skip(os.environ, o.push) if o.hook else None
    if why:
        click.echo(hook_report.skipped(why), err=True)
        return 0
    app = app_for(ctx, o)
    diffs = [run.Diff(*t) for t in read_targets(app, target, None if o.hook else sys.stdin)]
    budget = Budget.start(o.timeout, o.hook)
    if not diffs:
        click.echo("relay-git: nothing to review (no commits to push)", err=True)
        return 0
    outcomes = run.review_diffs(app, o.flow(), diffs, budget, terminal(app, o, budget))
    try:
        return max(show(app, o, out) for out in outcomes)
    except (BackendUnavailable, ModelOutputError) as err:
        emit_failure(o, err)
        if isinstance(err, BudgetExceeded) and fails_open(o.hook, o.strict):
            raise NotBlocking(err) from None  # the CLI reports it and ends the process at once
        raise
