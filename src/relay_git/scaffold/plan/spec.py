"""The spec the code is written to (``TaskPlan``), and what of the listing a planner sees."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MAX_LISTED_FILES = 40
_WORD = re.compile(r"[a-z0-9]{3,}")


@dataclass(frozen=True)
class TaskPlan:
    task: str
    summary: str
    files: tuple[tuple[str, str], ...]  # (path, what changes)
    tests: tuple[str, ...]
    review: str = ""  # the reviewer's comments, once reviewed
    approved: bool = False

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(p for p, _ in self.files)

    def text(self) -> str:
        lines = [f"Task: {self.task}"]
        if self.summary:
            lines.append(f"Plan: {self.summary}")
        lines.append("Files:")
        lines += [f"- {path}: {change}" if change else f"- {path}" for path, change in self.files]
        if self.tests:
            lines.append("Tests:")
            lines += [f"- {t}" for t in self.tests]
        if self.review:
            lines.append(f"Reviewer: {self.review}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "summary": self.summary,
            "files": [{"path": p, "change": c} for p, c in self.files],
            "tests": list(self.tests),
            "review": self.review,
            "approved": self.approved,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaskPlan:
        return cls(
            task=str(data["task"]),
            summary=str(data["summary"]),
            files=tuple((str(f["path"]), str(f["change"])) for f in data["files"]),
            tests=tuple(str(t) for t in data["tests"]),
            review=str(data.get("review", "")),
            approved=bool(data.get("approved", False)),
        )


def listing_for(task: str, listing: Sequence[str], limit: int = MAX_LISTED_FILES) -> list[str]:
    """What a planner needs to see: the whole listing of a small repository; of a big one,
    the files the task names or shares a word with, the top-level files and a few tests."""
    if len(listing) <= limit:
        return list(listing)
    words = set(_WORD.findall(task.lower()))
    named = [p for p in listing if p in task]
    related = [p for p in listing if words & set(_WORD.findall(p.lower()))]
    top = [p for p in listing if "/" not in p]
    tests = [p for p in listing if p.startswith(("tests/", "test/"))][:5]
    return list(dict.fromkeys([*named, *related, *top, *tests]))[:limit]
