"""The review flow behind ``relay-git review``: each diff reviewed within the one time
budget, fixed in the working tree with ``--fix``, and the exit code it earns.

The command parses the options, reads what to review (cli_support/targets.py), passes the
hook policy in (fail open, the budget: hooks/run.py) and renders each :class:`Outcome` as
it comes, so a push of several refs reports each one before the next is reviewed.
github/publish.py is the same shape for a pull request.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from relay_git.errors import BackendUnavailable, BudgetExceeded, Misconfigured, ModelOutputError
from relay_git.review.engine import full_coverage_error
from relay_git.review.filtermode import FilterMode
from relay_git.review.findings import reaches
from relay_git.types import Coverage, Review, Verdict

if TYPE_CHECKING:
    from relay_git.config import Config
    from relay_git.git.repo import Repository
    from relay_git.review.engine import Reviewer

T = TypeVar("T")
Progress = Callable[[str], None]
NOTHING = "Nothing to review."


class Host(Protocol):
    """What the flow needs of the run's App (``relay_git.app.App`` is one)."""

    config: Config

    def reviewer(
        self,
        *,
        use_cache: bool = True,
        progress: Progress | None = None,
        filter_mode: FilterMode = FilterMode.ADDED,
        base: str | None = None,
    ) -> Reviewer: ...

    def require_repo(self) -> Repository: ...


class Budget(Protocol):
    """The time all diffs share (``hooks.run.Budget``); BudgetExceeded past it."""

    def run(self, work: Callable[[], T]) -> T: ...


@dataclass(frozen=True)
class Options:
    """How to review, as the command decided from its flags."""

    filter_mode: FilterMode = FilterMode.ADDED
    use_cache: bool = True
    fix: bool = False  # apply the suggestions to the working tree
    require_full_coverage: bool = False  # a partial review exits 1
    # A review that cannot be done passes with a warning (a hook without --strict); never a
    # configuration mistake, which would let every commit pass unreviewed.
    fail_open: bool = False
    document_empty: bool = False  # an empty diff still gets a review (a document needs one)


@dataclass(frozen=True)
class Diff:
    """One thing to review: its diff, what it is, the commit whose attributes apply."""

    text: str
    what: str
    base: str | None = None


@dataclass(frozen=True)
class Terminal:
    """What the flow shows while it runs; the command supplies it."""

    progress: Callable[[], AbstractContextManager[Progress]]  # around each model review
    keep_reply: Callable[[ModelOutputError], None]  # save an invalid reply for the user


@dataclass(frozen=True)
class Outcome:
    """One diff's review: what the reviewer said, what still counts after ``--fix``."""

    what: str
    said: Review | None = None  # None: nothing to review (or not done)
    review: Review | None = None  # ``said`` without the findings --fix fixed
    fixed: tuple[str, ...] = ()  # what --fix did, line by line
    not_done: BackendUnavailable | ModelOutputError | None = None  # failed open
    gap: str | None = None  # not all of it reviewed, when full coverage is required
    exit_code: int = 0


def review_diffs(
    host: Host, opts: Options, diffs: Iterable[Diff], budget: Budget, term: Terminal
) -> Iterator[Outcome]:
    """Each diff's outcome, reviewed as it is asked for. Raises what cannot pass: the budget
    run out, and a backend or reply failure unless it fails open."""
    for diff in diffs:
        yield review_one(host, opts, diff, budget, term)


def review_one(host: Host, opts: Options, diff: Diff, budget: Budget, term: Terminal) -> Outcome:
    if not diff.text.strip():
        if not opts.document_empty:
            return Outcome(diff.what)
        said = Review(Verdict.APPROVE, NOTHING, (), Coverage())
    else:
        try:
            said = reviewed(host, opts, diff, budget, term)
        except BudgetExceeded:
            raise
        except (BackendUnavailable, ModelOutputError) as err:
            if isinstance(err, ModelOutputError):
                term.keep_reply(err)
            if not opts.fail_open or isinstance(err, Misconfigured):
                raise
            return Outcome(diff.what, not_done=err)
    result, fixed = fix_in_tree(host, diff.text, said) if opts.fix else (said, ())
    gap = full_coverage_error(result) if opts.require_full_coverage else None
    code = 1 if gap or reaches(result.findings, host.config.fail_on) else 0
    return Outcome(diff.what, said, result, fixed, None, gap, code)


def reviewed(host: Host, opts: Options, diff: Diff, budget: Budget, term: Terminal) -> Review:
    """The review itself, within what is left of the time budget."""
    with term.progress() as report:
        reviewer = host.reviewer(
            use_cache=opts.use_cache, progress=report, filter_mode=opts.filter_mode, base=diff.base
        )
        return budget.run(lambda: reviewer.review(diff.text))


def fix_in_tree(host: Host, diff_text: str, said: Review) -> tuple[Review, tuple[str, ...]]:
    """--fix: the suggestions into the working tree (review/fix.py); as with ``ruff --fix``,
    the findings it fixed no longer count."""
    from relay_git.review.fix import describe, fix_working_tree, remaining

    done = fix_working_tree(host.require_repo().root, diff_text, said)
    left = dataclasses.replace(said, findings=remaining(said, done))
    return left, tuple(describe(done))
