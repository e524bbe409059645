"""The GitHub side of a PR review: the Actions context, the event payload, the REST client.

Besides ``backends/`` this is the only module that touches the network. Everything it
reads from GitHub (the event file, API replies) passes a pydantic model first; the token
lives in a ``Secret`` that never prints itself, and never leaves for another host.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from relay_git import __version__
from relay_git.errors import GitHubError, ReadOnlyToken, UsageError

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
PER_PAGE = 100  # the most GitHub returns per page
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="([^"]+)"')
_INDEX = re.compile(r"comments\[(\d+)\]")
# Who GITHUB_TOKEN (the GitHub Actions app's installation token) posts as.
ACTIONS_BOT = "github-actions[bot]"
_VIEWER = "query { viewer { login } }"


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

    @property
    def is_fork(self) -> bool:
        return self.head_repo.lower() != self.full_name.lower()


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


# -- the REST client ----------------------------------------------------------------------------


def parse_link(header: str | None) -> dict[str, str]:
    """``<url>; rel="next", <url>; rel="last"`` -> {"next": url, "last": url}."""
    return {rel: url for url, rel in _LINK.findall(header or "")}


def offending_comments(errors: Sequence[Any], count: int) -> set[int] | None:
    """Indexes of the comments a 422 names, or None when GitHub does not say which (the usual)."""
    named: set[int] = set()
    for err in errors:
        text = json.dumps(err) if not isinstance(err, str) else err
        named.update(int(i) for i in _INDEX.findall(text) if int(i) < count)
    return named or None


class GitHubClient:
    """The handful of REST calls a review needs; every request carries the token, to one host."""

    def __init__(
        self, api_url: str, token: Secret, *, timeout: float = 30.0, transport: Any = None
    ) -> None:
        if not token:
            raise UsageError(
                "GITHUB_TOKEN is not set",
                "pass `env: GITHUB_TOKEN: ${{ github.token }}` to the step",
            )
        self.api_url = api_url.rstrip("/")
        self._origin = urlsplit(self.api_url)[:2]
        self._http = httpx.Client(
            base_url=self.api_url,
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            headers={
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": f"relay-git/{__version__}",
                "Authorization": f"Bearer {token.reveal()}",
            },
        )

    def __repr__(self) -> str:
        return f"GitHubClient({self.api_url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _request(
        self, method: str, url: str, body: Mapping[str, Any] | None = None
    ) -> httpx.Response:
        if urlsplit(url)[:2] not in (("", ""), self._origin):
            raise GitHubError(f"GitHub pointed relay-git at another host ({urlsplit(url).netloc})")
        try:
            response = self._http.request(method, url, json=body)
        except httpx.HTTPError as err:
            raise GitHubError(
                f"cannot reach {self.api_url}: {type(err).__name__}",
                fix="check GITHUB_API_URL and the runner's network",
            ) from None
        if response.status_code >= 400:
            raise _error(method, urlsplit(url).path, response)
        return response

    def _paginate(self, path: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        url: str | None = f"{path}?per_page={PER_PAGE}"
        while url:
            response = self._request("GET", url)
            page = response.json()
            if not isinstance(page, list):
                raise GitHubError(f"GET {path}: expected a list from GitHub")
            items.extend(x for x in page if isinstance(x, dict))
            url = parse_link(response.headers.get("link")).get("next")
        return items

    def identity(self) -> str:
        """The login this token posts as: ``GET /user``, else GraphQL ``viewer``, else the bot.

        A personal token answers ``GET /user``. An installation token (GITHUB_TOKEN, or a
        GitHub App's) gets 403 there, but GraphQL's ``viewer`` names it, ``NAME[bot]``.
        If neither answers, it is GITHUB_TOKEN's own ``github-actions[bot]``.
        """
        try:
            login = _json_object(self._request("GET", "/user")).get("login")
        except GitHubError as err:
            if err.status != 403:
                raise
            login = self._viewer_login()
        return login if isinstance(login, str) and login else ACTIONS_BOT

    def _viewer_login(self) -> str | None:
        try:
            reply = _json_object(
                self._request("POST", graphql_url(self.api_url), {"query": _VIEWER})
            )
        except GitHubError:
            return None
        data = reply.get("data")
        viewer = data.get("viewer") if isinstance(data, dict) else None
        login = viewer.get("login") if isinstance(viewer, dict) else None
        return login if isinstance(login, str) else None

    def list_review_comments(self, pr: PullRequest) -> list[dict[str, Any]]:
        return self._paginate(f"/repos/{pr.owner}/{pr.repo}/pulls/{pr.number}/comments")

    def list_issue_comments(self, pr: PullRequest) -> list[dict[str, Any]]:
        return self._paginate(f"/repos/{pr.owner}/{pr.repo}/issues/{pr.number}/comments")

    def create_review(self, pr: PullRequest, payload: Mapping[str, Any]) -> dict[str, Any]:
        path = f"/repos/{pr.owner}/{pr.repo}/pulls/{pr.number}/reviews"
        return _json_object(self._request("POST", path, payload))

    def create_issue_comment(self, pr: PullRequest, body: str) -> dict[str, Any]:
        path = f"/repos/{pr.owner}/{pr.repo}/issues/{pr.number}/comments"
        return _json_object(self._request("POST", path, {"body": body}))

    def update_issue_comment(self, pr: PullRequest, comment_id: int, body: str) -> dict[str, Any]:
        path = f"/repos/{pr.owner}/{pr.repo}/issues/comments/{comment_id}"
        return _json_object(self._request("PATCH", path, {"body": body}))


def graphql_url(api_url: str) -> str:
    """``https://api.github.com/graphql``; on Enterprise Server ``https://HOST/api/graphql``."""
    api_url = api_url.rstrip("/")
    return (
        api_url[: -len("/v3")] + "/graphql" if api_url.endswith("/api/v3") else f"{api_url}/graphql"
    )


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        data = None
    return data if isinstance(data, dict) else {}


def _error(method: str, path: str, response: httpx.Response) -> GitHubError:
    data = _json_object(response)
    message = str(data.get("message") or response.reason_phrase)[:300]
    errors = data.get("errors")
    errors = errors if isinstance(errors, list) else []
    status = response.status_code
    text = f"GitHub {method} {path}: {status} {message}"
    if errors:
        text += ": " + "; ".join(str(e)[:200] for e in errors[:3])
    if status == 403:
        fix = "grant `permissions: pull-requests: write`; fork pull requests get a read-only token"
        return ReadOnlyToken(text, status, errors, fix)
    if status == 401:
        return GitHubError(text, status, errors, "check the github-token input")
    return GitHubError(text, status, errors)
