"""The run's resumable state: which stages are done and what they produced.

Kept as JSON in the relay worktree's own git dir, written after every stage step, so an
interrupted run continues from its last completed stage. What the stages produce is held
as typed, immutable values (the plan and the spec, the commits, the outcome); they become
JSON only in ``to_dict`` and are read back in ``from_dict``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from typing import Any

from relay_git.scaffold.finish.report import CommitInfo
from relay_git.scaffold.plan.spec import TaskPlan
from relay_git.scaffold.verify.gate import Outcome
from relay_git.scaffold.verify.testrun import Status, TestOutcome
from relay_git.types import LedgerEntry


@dataclass(frozen=True)
class RunState:
    """What the run has done so far; each stage step returns a new one, which the pipeline
    saves (``dataclasses.replace`` builds it)."""

    task: str
    slug: str
    branch: str
    base: str
    worktree: str
    large_only: bool = False
    completed: tuple[str, ...] = ()
    plan: TaskPlan | None = None  # the planner's, checked
    spec: TaskPlan | None = None  # the reviewed plan, checked: what the code is written to
    tests: TestOutcome | None = None  # the latest run of the test command (None: not run)
    after_review_fix: bool = False  # ``tests`` is the rerun after the reviewer's own fix
    rounds: int = 0
    escalated: bool = False
    fix_problems: tuple[str, ...] = ()  # what the last fix round said
    commits: tuple[CommitInfo, ...] = ()
    verdict: str = ""
    summary: str = ""
    notes: str = ""
    problems: tuple[str, ...] = ()
    ledger: tuple[dict[str, Any], ...] = ()
    outcomes: tuple[dict[str, Any], ...] = ()  # ParseOutcome, as dicts
    plan_problems: tuple[str, ...] = ()  # what the plan check repaired
    test_names: tuple[str, ...] = ()  # model-drafted tests kept
    pinned: int = 0  # of them, tests whose expected values came from agreeing drafts
    support: int = 0  # CodeT score of the committed draft: agreeing drafts x tests passed
    outcome: Outcome | None = None  # set by the review stage, or a dry run
    reasons: tuple[str, ...] = ()  # why not done, each plainly
    test_seconds: float = 0.0  # every test-command run, summed
    committed_entries: int = 0  # ledger entries already counted in a commit's trailer
    wall_seconds: float = 0.0
    finished: bool = False

    def done(self, stage: str) -> bool:
        return stage in self.completed

    def complete(self, stage: str) -> RunState:
        """This state with ``stage`` done: the pipeline moves on to the next stage."""
        return replace(self, completed=(*self.completed, stage))

    def tested(self, outcome: TestOutcome, *, after_review_fix: bool = False) -> RunState:
        """This state with ``outcome`` as the latest run of the test command."""
        return replace(self, tests=outcome, after_review_fix=after_review_fix)

    def noted(self, problems: Iterable[str]) -> RunState:
        """This state with ``problems`` added to what the report says went wrong."""
        return replace(self, problems=(*self.problems, *problems))

    def test_record(self) -> dict[str, Any]:
        """The tests as the report and the gate read them: the outcome and its fix rounds."""
        if self.tests is None:
            return {}
        if self.tests.status is Status.SKIPPED:
            return self.tests.to_dict() | {"rounds": 0}
        record = self.tests.to_dict() | {"rounds": self.rounds, "escalated": self.escalated}
        return record | ({"after_review_fix": True} if self.after_review_fix else {})

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tests"] = self.test_record()
        data["plan"] = self.plan.to_dict() if self.plan else None
        data["spec"] = self.spec.to_dict() if self.spec else None
        data["commits"] = [c.to_dict() for c in self.commits]
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunState:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for name in ("plan", "spec"):
            if known.get(name):
                known[name] = TaskPlan.from_dict(known[name])
        known |= {k: tuple(v) for k, v in known.items() if k in _LISTS and isinstance(v, list)}
        known["commits"] = tuple(CommitInfo(**c) for c in known.get("commits", ()))
        tests = known.pop("tests", None) or {}
        if tests.get("status") in set(Status):
            known["tests"] = TestOutcome.from_dict(tests)
        if known.get("outcome"):
            known["outcome"] = Outcome(known["outcome"])
        else:
            known.pop("outcome", None)  # an older state wrote "" for "not yet decided"
        return cls(**known)


_LISTS = frozenset(  # JSON lists, held as tuples (the commits are read apart)
    {"completed", "fix_problems", "problems", "ledger", "outcomes", "plan_problems"}
    | {"test_names", "reasons"}
)


def entry_from_dict(data: dict[str, Any]) -> LedgerEntry:
    """A saved ledger entry (LedgerEntry.from_dict, the one reader)."""
    return LedgerEntry.from_dict(data)
