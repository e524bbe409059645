"""What GitHub Actions tells a step: the runner's environment and the event payload.

The event file is a trust boundary: it passes a pydantic model first, and only a pull
request with full commit ids comes out. The token lives in a ``Secret`` that never
prints itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from relay_git.errors import UsageError

DEFAULT_API_URL = "https://api.github.com"
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


class Secret:
    """A token that shows itself only through ``reveal()``: never in repr, str, logs or errors."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


# -- the event payload: a trust boundary ------------------------------------------------------


class _Repo(BaseModel):
    model_config = ConfigDict(extra="ignore")
    full_name: str


class _Ref(BaseModel):
    model_config = ConfigDict(extra="ignore")
    sha: str | None = None
    ref: str = ""
    repo: _Repo | None = None


class _PullRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    number: int = Field(ge=1)
    head: _Ref
    base: _Ref


class _Event(BaseModel):
    model_config = ConfigDict(extra="ignore")
    pull_request: _PullRequest | None = None
    repository: _Repo | None = None


@dataclass(frozen=True)
class PullRequest:
    owner: str
    repo: str
    number: int
    base_sha: str
    head_sha: str
    head_repo: str  # owner/name the head branch lives in (differs from owner/repo for a fork)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"


def load_event(path: Path, repository: str | None = None) -> PullRequest:
    """The pull request a ``pull_request`` (or ``pull_request_target``) event file describes."""
    try:
        event = _Event.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except OSError as err:
        raise UsageError(f"cannot read the event file {path}: {err.strerror}") from None
    except (ValueError, ValidationError) as err:
        first = str(err).splitlines()[0]
        raise UsageError(f"{path} is not a GitHub event payload: {first}") from None
    pr = event.pull_request
    if pr is None:
        raise UsageError(
            "this workflow run was not triggered by a pull request",
            "run relay-git github from a workflow with `on: pull_request`",
        )
    full_name = repository or (event.repository.full_name if event.repository else "")
    owner, sep, name = full_name.partition("/")
    if not (sep and owner and name):
        raise UsageError("GITHUB_REPOSITORY is not set to owner/name")
    base, head = pr.base.sha or "", pr.head.sha or ""
    if not (_SHA.match(base) and _SHA.match(head)):
        raise UsageError(
            "the event payload has no base.sha/head.sha for the pull request",
            "trigger the workflow with `on: pull_request`",
        )
    head_repo = pr.head.repo.full_name if pr.head.repo else full_name
    return PullRequest(owner, name, pr.number, base, head, head_repo)


@dataclass(frozen=True)
class ActionsContext:
    """What the Actions runner tells a step through its environment."""

    event_path: Path
    repository: str | None
    api_url: str
    token: Secret
    step_summary: Path | None
    event_name: str = ""
    server_url: str = "https://github.com"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], api_url: str | None = None) -> ActionsContext:
        event = environ.get("GITHUB_EVENT_PATH")
        if not event:
            raise UsageError(
                "GITHUB_EVENT_PATH is not set: relay-git github runs inside GitHub Actions",
                "use `relay-git review --base origin/main` outside Actions",
            )
        summary = environ.get("GITHUB_STEP_SUMMARY")
        return cls(
            event_path=Path(event),
            repository=environ.get("GITHUB_REPOSITORY") or None,
            api_url=(api_url or environ.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
            token=Secret(environ.get("GITHUB_TOKEN", "")),
            step_summary=Path(summary) if summary else None,
            event_name=environ.get("GITHUB_EVENT_NAME", ""),
            server_url=(environ.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/"),
        )

    def refuse_pull_request_target(self, allowed: bool) -> None:
        """``pull_request_target`` runs with secrets and a write token: only when opted in."""
        if self.event_name != "pull_request_target" or allowed:
            return
        raise UsageError(
            "refusing to review on `pull_request_target`: that event runs with this"
            " repository's secrets and a write token while the pull request's code, which"
            " a fork controls, is checked out and read",
            "trigger the workflow with `on: pull_request`, or opt in with"
            " `allow-pull-request-target: true` (--allow-pull-request-target)",
        )
