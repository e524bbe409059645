"""The REST client: the one place relay-git talks to GitHub.

Besides the model backends this is the only module that touches the network. Every request
carries the token to one host and never follows a link to another; a refusal becomes a
``GitHubError`` that names the status and GitHub's message, never the token.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from relay_git import __version__
from relay_git.errors import GitHubError, ReadOnlyToken, UsageError
from relay_git.github.event import PullRequest, Secret

API_VERSION = "2022-11-28"
PER_PAGE = 100  # the most GitHub returns per page
_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="([^"]+)"')
_INDEX = re.compile(r"comments\[(\d+)\]")
# Who GITHUB_TOKEN (the GitHub Actions app's installation token) posts as.
ACTIONS_BOT = "github-actions[bot]"
_VIEWER = "query { viewer { login } }"


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
        GitHub App's) gets 403 there (a GitHub Enterprise proxy may answer 404), but
        GraphQL's ``viewer`` names it, ``NAME[bot]``. If neither answers, it is
        GITHUB_TOKEN's own ``github-actions[bot]``.
        """
        try:
            login = _json_object(self._request("GET", "/user")).get("login")
        except GitHubError as err:
            if err.status not in (403, 404):
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
