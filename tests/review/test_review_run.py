"""review/run.py, the review flow the command calls: a real App on a real repository, the
reviewer scripted (tests/fakes.py), the budget and the terminal passed in as the command
passes them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pytest
from tests.conftest import git
from tests.fakes import FakeBackend, Reply, factory, review_reply

from relay_git.app import App, build
from relay_git.errors import BackendUnavailable, BudgetExceeded, Misconfigured, ModelOutputError
from relay_git.review import run
from relay_git.types import Verdict

REVIEWER = "ollama:fake-reviewer"
T = TypeVar("T")
FINDING = {
    "path": "app.py",
    "line": 2,
    "severity": "error",
    "category": "bug",
    "message": "subtracts",
    "suggestion": "    return a + b",
}


class Unbounded:
    def run(self, work: Callable[[], T]) -> T:
        return work()


class Spent:
    def run(self, work: Callable[[], T]) -> T:
        raise BudgetExceeded("the review took too long")


class Screen:
    """A terminal that remembers what it was shown."""

    def __init__(self) -> None:
        self.reviews = 0
        self.kept: list[ModelOutputError] = []

    @contextmanager
    def progress(self) -> Iterator[Callable[[str], None]]:
        self.reviews += 1
        yield lambda _msg: None

    def terminal(self) -> run.Terminal:
        return run.Terminal(self.progress, self.kept.append)


@pytest.fixture
def app(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., App]:
    monkeypatch.chdir(repo)
    (repo / "app.py").write_text("def add(a, b):\n    return a - b\n")
    git(repo, "add", "app.py")

    def make(*replies: Reply) -> App:
        fake = FakeBackend(REVIEWER).enqueue(*replies)
        return build(repo, dict(os.environ), {"reviewer": REVIEWER}, factory(fake))

    return make


def staged(app: App) -> run.Diff:
    return run.Diff(app.require_repo().diff_staged(), "staged changes")


def outcomes(
    app: App, opts: run.Options, *diffs: run.Diff, budget: run.Budget | None = None
) -> tuple[list[run.Outcome], Screen]:
    screen = Screen()
    got = list(run.review_diffs(app, opts, diffs, budget or Unbounded(), screen.terminal()))
    return got, screen


def test_a_finding_at_fail_on_exits_1(app: Callable[..., App]) -> None:
    a = app(review_reply("fix", "bug", [FINDING]))
    [out], screen = outcomes(a, run.Options(), staged(a))
    assert out.said is not None and out.said.verdict is Verdict.FIX
    assert out.review == out.said and out.exit_code == 1 and screen.reviews == 1


def test_fix_applies_the_suggestion_and_the_fixed_finding_no_longer_counts(
    app: Callable[..., App], repo: Path
) -> None:
    a = app(review_reply("fix", "bug", [FINDING]))
    [out], _ = outcomes(a, run.Options(fix=True), staged(a))
    assert (repo / "app.py").read_text() == "def add(a, b):\n    return a + b\n"
    assert out.said is not None and len(out.said.findings) == 1  # what the reviewer said
    assert out.review is not None and out.review.findings == () and out.exit_code == 0
    assert out.fixed


@pytest.mark.parametrize(("document", "reviewed"), [(False, False), (True, True)])
def test_an_empty_diff_is_reviewed_only_when_a_document_needs_it(
    app: Callable[..., App], document: bool, reviewed: bool
) -> None:
    a = app()  # no model call is scripted: none may happen
    [out], screen = outcomes(a, run.Options(document_empty=document), run.Diff("", "nothing"))
    assert (out.review is not None) is reviewed and out.exit_code == 0 and screen.reviews == 0


@pytest.mark.parametrize("fail_open", [True, False])
def test_an_unreachable_backend_fails_open_only_when_told(
    app: Callable[..., App], fail_open: bool
) -> None:
    a = app(BackendUnavailable("server down"))
    if not fail_open:
        with pytest.raises(BackendUnavailable):
            outcomes(a, run.Options(), staged(a))
        return
    [out], _ = outcomes(a, run.Options(fail_open=True), staged(a))
    assert isinstance(out.not_done, BackendUnavailable) and out.exit_code == 0


def test_a_configuration_mistake_never_fails_open(app: Callable[..., App]) -> None:
    a = app(Misconfigured("no such model"))
    with pytest.raises(Misconfigured):
        outcomes(a, run.Options(fail_open=True), staged(a))


def test_the_budget_running_out_always_raises(app: Callable[..., App]) -> None:
    a = app()
    with pytest.raises(BudgetExceeded):
        outcomes(a, run.Options(fail_open=True), staged(a), budget=Spent())


def test_an_invalid_reply_is_kept_for_the_user(app: Callable[..., App]) -> None:
    a = app(*["not json"] * 5)
    screen = Screen()
    flow = run.review_diffs(
        a, run.Options(fail_open=True), [staged(a)], Unbounded(), screen.terminal()
    )
    [out] = list(flow)
    assert isinstance(out.not_done, ModelOutputError) and screen.kept == [out.not_done]
