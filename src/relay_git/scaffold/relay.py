"""The relay: what every stage of a run gets — the run's options, the app it runs in
(configuration, environment, ledger, backends, repository), the models in their seats, and,
once the branch's worktree exists, the workbench where drafts are written and tested."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel

from relay_git.app import App
from relay_git.git.repo import Repository
from relay_git.models import prompts
from relay_git.models.base import Backend, Message
from relay_git.models.call import ask_json
from relay_git.models.ledger import Ledger
from relay_git.review.selection import matches

if TYPE_CHECKING:
    from relay_git.git.worktree import RelayWorktree
    from relay_git.scaffold.verify.workbench import Workbench

T = TypeVar("T", bound=BaseModel)

# Every stage bounds what it lets a model write; each bound is stated in its prompt, and
# the bounds of plans, files and reviews grow with the work (``plan_tokens``, writer.py).
PLAN_TOKENS = 512  # a plan for a one-file task; more files, more room (plan_tokens)
PLAN_REVIEW_TOKENS = 64  # the reviewer's approve-or-revise answer on a plan
CORRECTION_TOKENS = 192  # a correction, asked only after "revise" (COMMENT_CHARS stated)
VERDICT_TOKENS = 96  # the diff review's verdict and a one-sentence summary
REVIEW_TOKENS = 512  # findings for a small diff; review_tokens grows it with the diff
CODE_TOKENS = 384  # one file's new or changed functions, in a fenced block (K drafts)
TEST_TOKENS = 256
MAX_REVIEW_TOKENS = 4096


def plan_tokens(task: str) -> int:
    """A plan's cap: a longer task names more files and behaviours."""
    return PLAN_TOKENS + 4 * len(task.split())


def review_tokens(diff_tokens: int) -> int:
    """Findings' cap: a larger diff can hold more findings."""
    return min(MAX_REVIEW_TOKENS, REVIEW_TOKENS + diff_tokens // 2)


Progress = Callable[[str, str, int], None]  # (stage, model spec, output tokens so far)


@dataclass(frozen=True)
class Options:
    task: str
    base: str = "HEAD"
    worktree: Path | None = None
    large_only: bool = False
    plan_with: str = "small"  # "small" | "large"
    dry_run: bool = False
    resume: bool = False
    test_cmd: str | None = None
    max_rounds: int = 3
    review_rounds: int = 2  # the reviewer's findings back to the coder, at most this often
    max_tokens: int | None = None  # caps every stage's output bound
    drafts: int | None = None  # None: one draft, K only when it falls short; K: always K
    unsandboxed_tests: bool = False  # --unsandboxed-tests: run tests without the sandbox
    allow_paths: tuple[str, ...] = ()  # --allow-path: protected paths the model may edit


@dataclass(frozen=True)
class Seat:
    """A model in a role: who writes for a stage, and what the ledger calls it."""

    role: str  # "coder" | "reviewer"
    spec: str


@dataclass(frozen=True)
class Relay:
    """One run, passed to every stage; ``bench`` is set once the relay worktree exists."""

    app: App
    opts: Options
    progress: Progress
    planner: Seat
    coder: Seat
    reviewer: Seat
    bench_: Workbench | None = None

    @classmethod
    def start(cls, app: App, opts: Options, progress: Progress) -> Relay:
        """The seats: --large-only puts the reviewer model in every one."""
        small, large = app.config.coder, app.config.reviewer
        reviewer = Seat("reviewer", large)
        coder = Seat("coder", large if opts.large_only else small)
        large_plan = opts.plan_with == "large" or app.config.planner in ("reviewer", "large")
        planner = reviewer if large_plan and not opts.large_only else coder
        return cls(app, opts, progress, planner, coder, reviewer)

    def at(self, bench: Workbench) -> Relay:
        return replace(self, bench_=bench)

    @property
    def bench(self) -> Workbench:
        if self.bench_ is None:
            raise RuntimeError("the relay has no worktree yet")  # a bug, never user input
        return self.bench_

    @property
    def wt(self) -> RelayWorktree:
        return self.bench.wt

    @property
    def command(self) -> str | None:
        """The project's test command (None: there is none to run)."""
        return self.bench.command

    @property
    def repo(self) -> Repository:
        return self.app.require_repo()

    @property
    def ledger(self) -> Ledger:
        return self.app.ledger

    @property
    def seats(self) -> tuple[Seat, ...]:
        return tuple(dict.fromkeys((self.planner, self.coder, self.reviewer)))

    def is_local(self, seat: Seat) -> bool:
        """Whether ``seat``'s model runs on this machine, as the app's backends say."""
        return self.app.is_local(seat.spec)

    def listing(self) -> list[str]:
        """The files the relay worktree tracks."""
        return [p for p in self.wt.git("ls-files", "-z").split("\0") if p]

    def readable(self, seat: Seat, paths: Sequence[str]) -> list[str]:
        """``paths`` whose content may be shown to ``seat``: secrets only stay home."""
        if self.is_local(seat):
            return list(paths)
        return [p for p in paths if not matches(p, self.app.config.secret_patterns)]

    def budget(self, default: int) -> int:
        """A stage's output bound: --max-tokens lowers it, never raises it."""
        cap = self.opts.max_tokens
        return default if cap is None else min(default, cap)

    def backend(self, seat: Seat) -> Backend:
        return self.app.make_backend(seat.spec)

    def render(self, name: str, **variables: object) -> str:
        source = prompts.source(name, self.app.templates_dir)
        return prompts.render(source, name, **variables)

    def messages(self, system: str, user: str, **variables: object) -> list[Message]:
        return [
            {"role": "system", "content": self.render(system, **variables)},
            {"role": "user", "content": self.render(user, **variables)},
        ]

    def ask(
        self, seat: Seat, stage: str, messages: list[Message], model_cls: type[T], max_tokens: int
    ) -> T:
        backend = self.backend(seat)
        self.progress(stage, backend.spec.full, 0)
        return ask_json(
            backend,
            messages,
            model_cls,
            stage=stage,
            role=seat.role,
            ledger=self.ledger,
            max_tokens=max_tokens,
            on_token=lambda n: self.progress(stage, backend.spec.full, n),
        )

    def base_listing(self) -> list[str]:
        """The files of the commit the branch started from."""
        out = self.wt.git("ls-tree", "-r", "-z", "--name-only", self.wt.base)
        return [p for p in out.split("\0") if p]
