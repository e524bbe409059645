"""What ``relay-git github`` was asked to do, in typed groups (click fills them, publish.py
reads them). Light: the command imports it at start-up, the workflow only when it runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Settings:
    """How to review: these settings over the base commit's configuration (None: not given)."""

    reviewer: str | None = None
    fail_on: str | None = None
    jobs: int | None = None
    local: bool = False
    exclude: tuple[str, ...] = ()
    no_cache: bool = False

    def overrides(self) -> dict[str, Any]:
        return {"reviewer": self.reviewer, "fail_on": self.fail_on, "jobs": self.jobs}


@dataclass(frozen=True)
class Posting:
    """What goes to GitHub, and where."""

    no_post: bool = False  # annotations and the job summary only
    api_url: str | None = None
    max_comments: int = 20
    request_changes: bool = False
    author: str | None = None  # another login whose trailers count as ours


@dataclass(frozen=True)
class Options:
    """What ``relay-git github`` was asked to do."""

    settings: Settings = field(default_factory=Settings)
    posting: Posting = field(default_factory=Posting)
    sarif: str | None = None
    allow_pull_request_target: bool = False
    require_full_coverage: bool = False
