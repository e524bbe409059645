"""What every stage shares: the models in their seats, the ledger, templates and progress."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from relay_git.models import prompts
from relay_git.models.base import Backend, Message
from relay_git.models.call import ask_json
from relay_git.models.ledger import Ledger
from relay_git.review.selection import _matches

T = TypeVar("T", bound=BaseModel)

# Every stage bounds what it lets a model write; each bound is stated in its prompt, and
# the bounds of plans, files and reviews grow with the work (``plan_tokens``, writer.py).
PLAN_TOKENS = 512  # a plan for a one-file task; more files, more room (plan_tokens)
PLAN_REVIEW_TOKENS = 64  # a verdict
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
class Seat:
    """A model in a role: who writes for a stage, and what the ledger calls it."""

    role: str  # "coder" | "reviewer"
    spec: str


@dataclass(frozen=True)
class StageEnv:
    make_backend: Callable[[str], Backend]
    ledger: Ledger
    templates_dir: Path | None
    progress: Progress
    planner: Seat
    coder: Seat
    reviewer: Seat
    token_cap: int | None = None  # --max-tokens: lowers every stage's bound, never raises it
    secret_patterns: tuple[str, ...] = ()  # files a model off this machine must not read
    local_specs: frozenset[str] = frozenset()  # models that run on this machine
    allow_paths: tuple[str, ...] = ()  # --allow-path: protected paths the model may edit

    def readable(self, seat: Seat, paths: Sequence[str]) -> list[str]:
        """``paths`` whose content may be shown to ``seat``: secrets only stay home."""
        if seat.spec in self.local_specs:
            return list(paths)
        return [p for p in paths if not _matches(p, self.secret_patterns)]

    def budget(self, default: int) -> int:
        return default if self.token_cap is None else min(default, self.token_cap)

    def backend(self, seat: Seat) -> Backend:
        return self.make_backend(seat.spec)

    def render(self, name: str, **variables: object) -> str:
        return prompts.render(prompts.source(name, self.templates_dir), name, **variables)

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
