"""``relay-git scaffold TASK``: the whole relay on its own branch and worktree."""

from __future__ import annotations

import json
import shlex
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from relay_git.cli_support.common import (
    Ticking,
    build_app,
    check_output,
    emit,
    progress,
    save_raw_reply,
)
from relay_git.cli_support.options import into
from relay_git.cli_support.runlog import logged, note_verdict
from relay_git.errors import ModelOutputError

if TYPE_CHECKING:  # the scaffold (pydantic, jinja2) loads only when a relay runs
    from relay_git.git.repo import Repository
    from relay_git.scaffold.pipeline import Options
    from relay_git.scaffold.relay import Progress


@contextmanager
def stage_progress(quiet: bool) -> Iterator[Progress]:
    """A spinner (stage, model, tokens so far) on a terminal; plain ``[stage]`` lines otherwise."""
    if quiet:
        yield lambda _s, _m, _n: None
        return
    if not sys.stderr.isatty():
        last: list[tuple[str, str]] = []
        start = time.monotonic()

        def line(stage: str, model: str, tokens: int) -> None:
            if tokens == 0 and (not last or last[-1] != (stage, model)):
                last.append((stage, model))
                click.echo(str(Ticking(f"[{stage}] {model}", start)), err=True)

        yield line
        return
    with progress() as update:
        yield lambda s, m, n: update(f"{s} · {m} · {n} tokens")


UNSANDBOXED = (
    "warning: --unsandboxed-tests: model-written tests run with your privileges, "
    "files and network (API keys are still kept out of their environment)"
)


@dataclass(frozen=True)
class Args:
    """The scaffold command's options, as click parsed them."""

    task: str
    base: str
    worktree_path: Path | None
    coder: str | None
    reviewer: str | None
    plan_with: str
    large_only: bool
    local: bool
    test_cmd: str | None
    unsandboxed_tests: bool
    allow_paths: tuple[str, ...]
    test_timeout: float | None
    max_rounds: int | None
    review_rounds: int
    max_tokens: int | None
    drafts: int | None
    dry_run: bool
    resume: bool
    new: bool
    as_json: bool
    output: str | None
    quiet: bool


@click.command()
@click.argument("task", required=False, default="")
@click.option("--base", default="HEAD", show_default=True, help="Start the branch from REF.")
@click.option(
    "--worktree",
    "worktree_path",
    type=click.Path(path_type=Path),
    help="Put the relay worktree at PATH (default: under the git dir).",
)
@click.option("--coder", metavar="SPEC", help="Coder (small) model, e.g. ollama:qwen3-coder:30b.")
@click.option("--reviewer", metavar="SPEC", help="Reviewer (large) model.")
@click.option(
    "--plan-with",
    type=click.Choice(("small", "large")),
    default="small",
    show_default=True,
    help="Which model writes the plan.",
)
@click.option("--large-only", is_flag=True, help="Reviewer model in every role (the baseline).")
@click.option("--local", is_flag=True, help="Use the packaged offline GGUF models.")
@click.option(
    "--test-cmd",
    metavar="CMD",
    help="Test command run (sandboxed) in the worktree. A configured or auto-detected "
    "command runs only once you confirm it here.",
)
@click.option(
    "--unsandboxed-tests",
    is_flag=True,
    help="Run the tests WITHOUT the sandbox, with your privileges and network.",
)
@click.option(
    "--allow-path",
    "allow_paths",
    metavar="GLOB",
    multiple=True,
    help="Let the models edit a protected path (.git*, .github/, .pre-commit-config.yaml, "
    ".relay-git*) matching GLOB. Repeatable.",
)
@click.option("--test-timeout", type=click.FloatRange(1), help="Seconds before tests are killed.")
@click.option("--max-rounds", type=click.IntRange(0, 20), help="Coder fix rounds [default: 3].")
@click.option(
    "--review-rounds",
    type=click.IntRange(0, 10),
    default=2,
    show_default=True,
    help="Times the reviewer's findings go back to the coder before the reviewer fixes.",
)
@click.option(
    "--max-tokens",
    type=click.IntRange(32),
    help="Cap every stage's output (by default each scales with the work: a file's with "
    "the file, a plan's with the task, a review's with the diff).",
)
@click.option(
    "--drafts",
    type=click.IntRange(1, 8),
    default=None,
    help="Code and test drafts per file, judged by each other [default: one draft; three "
    "only when it fails its tests or the gate].",
)
@click.option(
    "--dry-run", is_flag=True, help="Show the plan and the draft; commit nothing (exit 0)."
)
@click.option("--resume", is_flag=True, help="Continue an interrupted run of TASK.")
@click.option(
    "--new", is_flag=True, help="Start another branch (relay/<slug>-2…) when relay/<slug> exists."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("-o", "--output", metavar="FILE", help="Write the report to FILE.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
@click.pass_context
@logged("scaffold")
@into(Args, "a")
def scaffold(ctx: click.Context, /, a: Args) -> int:
    """Run the relay for TASK on a new branch relay/<slug> in its own worktree.

    \b
    Examples:
      relay-git scaffold "add a slugify() helper with tests"
      relay-git scaffold --local "add a slugify helper with tests"
      relay-git scaffold --large-only --json "…"     # the large-model baseline
      relay-git scaffold --resume "add a slugify() helper with tests"
      relay-git scaffold --allow-path .gitignore --test-cmd "pytest -q" "…"

    Your checkout (branch, index, working tree, stash) is never touched.
    The tests run model-written code: in a sandbox (bubblewrap, or unshare) with no
    network, no API keys, and only the worktree and a private /tmp writable.
    Relay commits run no git hooks.
    The run is DONE, exit 0, only when the branch holds a real change (code in the files
    the plan names, defining what the task asks for with the signature it names, nothing
    emptied), its tests pass, new tests fail without the change and pass with it, and the
    reviewer approved (its findings go back to the coder up to --review-rounds times).
    Anything less ends with exit 1 and says why; a test command that cannot run any test
    ends the run before any model works, with exit 2.

    A TASK whose branch relay/<slug> already exists is refused (exit 2), as `git
    worktree add -b` refuses a taken branch: continue it with --resume, or start another
    with --new. Ctrl-C (exit 130) names the branch and worktree left at their last good
    commit and the --resume command. A --dry-run that showed its draft exits 0.

    Exit codes: 0 done (or a dry run that drafted a change), 1 not done (the report says
    why), 2 usage error, 3 model backend unavailable, 130 interrupted.
    """
    return run(ctx, a)


def run(ctx: click.Context, a: Args) -> int:
    """Check the arguments, build the app, run the relay, render its report."""
    from relay_git.scaffold.finish.report import render_text
    from relay_git.scaffold.pipeline import scaffold as run_scaffold

    if not a.task.strip():  # the one check for an empty task (the pipeline trusts its caller)
        raise click.UsageError('give the TASK to do, e.g. relay-git scaffold "add a helper"')
    check_output(a.output)
    models = {"coder": a.coder, "reviewer": a.reviewer}
    limits = {"test_timeout": a.test_timeout, "max_rounds": a.max_rounds}
    app = build_app(ctx, need_repo=True, local=a.local, **models, **limits)
    opts = pipeline_options(a, app.config.max_rounds)
    check_task_branch(app.require_repo(), a)
    if a.unsandboxed_tests:
        click.echo(UNSANDBOXED, err=True)
    try:
        with stage_progress(a.quiet) as report:
            result = run_scaffold(app, opts, report)
    except ModelOutputError as err:
        save_raw_reply(app, err)
        raise
    except KeyboardInterrupt:
        left_behind(app.require_repo(), a)
        raise
    if result.verdict:
        note_verdict(result.verdict)
    text = json.dumps(result.to_dict(), indent=2) if a.as_json else render_text(result)
    emit(text, a.output)
    return result.exit_code


def pipeline_options(a: Args, max_rounds: int) -> Options:
    """The relay's options: the command's, with ``max_rounds`` as configured."""
    from relay_git.scaffold.pipeline import Options

    return Options(
        task=a.task,
        base=a.base,
        worktree=a.worktree_path,
        large_only=a.large_only,
        plan_with=a.plan_with,
        dry_run=a.dry_run,
        resume=a.resume,
        test_cmd=a.test_cmd,
        max_rounds=max_rounds,
        review_rounds=a.review_rounds,
        max_tokens=a.max_tokens,
        drafts=a.drafts,
        unsandboxed_tests=a.unsandboxed_tests,
        allow_paths=a.allow_paths,
    )


def check_task_branch(repo: Repository, a: Args) -> None:
    """The same task twice: refused while relay/<slug> exists, unless --new or --resume."""
    from relay_git.errors import UsageError
    from relay_git.git import worktree as wtmod

    branch = wtmod.BRANCH_PREFIX + wtmod.slugify(a.task)
    if a.resume or a.dry_run or not wtmod.branch_exists(repo, branch):
        return
    if a.new:
        click.echo(
            f"relay-git: {branch} exists (an earlier run); this run takes another branch", err=True
        )
        return
    run = next((w for w in wtmod.list_relay(repo) if w.branch == branch), None)
    if run is not None and run.has_state and not run.finished:
        fix = "continue it with --resume, or start another branch with --new"
    else:
        fix = f"see it with `git log {branch}`; start another branch with --new"
    raise UsageError(f"{branch} already exists: an earlier run of this task", fix)


def left_behind(repo: Repository, a: Args) -> None:
    """After Ctrl-C: the branch and worktree the run leaves, and how to go on or drop it."""
    from relay_git.errors import UsageError
    from relay_git.git import worktree as wtmod

    try:
        run = wtmod.find_resumable(repo, wtmod.slugify(a.task))
    except UsageError:  # a dry run, or stopped before its branch was made: nothing stays
        return
    say = [
        f"{run.branch} stays at its last good commit (worktree {run.path})",
        f"continue: {resume_command(a)}",
        f"or drop it: relay-git clean && git branch -D {run.branch}",
    ]
    for line in say:
        click.echo(f"relay-git: {line}", err=True)


def resume_command(a: Args) -> str:
    """The command line that continues this run: its model and test choices, --resume."""
    argv = ["relay-git", "scaffold"]
    for flag, value in (
        ("--coder", a.coder),
        ("--reviewer", a.reviewer),
        ("--test-cmd", a.test_cmd),
    ):
        if value:
            argv += [flag, value]
    switches = (("--local", a.local), ("--large-only", a.large_only))
    argv += [flag for flag, on in (*switches, ("--unsandboxed-tests", a.unsandboxed_tests)) if on]
    for glob in a.allow_paths:
        argv += ["--allow-path", glob]
    if a.plan_with != "small":
        argv += ["--plan-with", a.plan_with]
    return shlex.join([*argv, "--resume", a.task])
