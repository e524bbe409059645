"""The REST client against the local stand-in for api.github.com (tests/github/fake_github.py),
a loopback server speaking GitHub's REST wire format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.github.conftest import FIXTURE
from tests.github.fake_github import FakeGitHub

from relay_git.errors import GitHubError, ReadOnlyToken, UsageError
from relay_git.github.client import GitHubClient, graphql_url, offending_comments, parse_link
from relay_git.github.event import Secret, load_event

HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
DIFF = "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1,1 +1,2 @@\n x\n+y\n"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, {}),
        ('<https://x/r?page=2>; rel="next", <https://x/r?page=5>; rel="last"',
         {"next": "https://x/r?page=2", "last": "https://x/r?page=5"}),
        ('<https://x/r?page=1>; rel="first",<https://x/r?page=1>; rel="prev"',
         {"first": "https://x/r?page=1", "prev": "https://x/r?page=1"}),
    ],
)  # fmt: skip
def test_parse_link(header: str | None, expected: dict[str, str]) -> None:
    assert parse_link(header) == expected


@pytest.mark.parametrize(
    ("errors", "expected"),
    [
        (["Pull request review thread line must be part of the diff"], None),
        ([{"resource": "PullRequestReview", "field": "comments[1].line"}], {1}),
        (["comments[0] and comments[7] are invalid"], {0}),  # 7 is out of range
        ([], None),
    ],
)
def test_offending_comments(errors: list[object], expected: set[int] | None) -> None:
    assert offending_comments(errors, 3) == expected


def test_client_pages_and_writes(tmp_path: Path) -> None:
    with FakeGitHub(DIFF, HEAD, token="tok", max_per_page=2) as gh:
        for i in range(5):
            gh.add_issue_comment(f"c{i}")
        pr = load_event(FIXTURE)
        with GitHubClient(gh.url, Secret("tok")) as client:
            assert [c["body"] for c in client.list_issue_comments(pr)] == [
                f"c{i}" for i in range(5)
            ]
            made = client.create_issue_comment(pr, "new")
            client.update_issue_comment(pr, made["id"], "edited")
            assert "tok" not in repr(client)
    assert len(gh.calls("GET")) == 3  # 2 + 2 + 1
    assert gh.issue_comments[-1]["body"] == "edited"


def test_client_errors_carry_status_and_github_message() -> None:
    pr = load_event(FIXTURE)
    bad = {"commit_id": HEAD, "event": "COMMENT", "body": "b",
           "comments": [{"path": "a.py", "line": 9, "side": "RIGHT", "body": "x"}]}  # fmt: skip
    with FakeGitHub(DIFF, HEAD, token="tok") as gh, GitHubClient(gh.url, Secret("tok")) as client:
        with pytest.raises(GitHubError) as info:
            client.create_review(pr, bad)
        assert info.value.status == 422 and "must be part of the diff" in str(info.value)
        gh.read_only = True
        with pytest.raises(ReadOnlyToken, match="403 Resource not accessible by integration"):
            client.create_issue_comment(pr, "x")


def test_client_refuses_to_follow_links_to_another_host() -> None:
    pr = load_event(FIXTURE)
    with FakeGitHub(DIFF, HEAD, token="tok", max_per_page=1) as gh:
        gh.add_issue_comment("a")
        gh.add_issue_comment("b")
        page = gh.page

        def evil_page(items, path, query):  # type: ignore[no-untyped-def]
            status, chunk, _ = page(items, path, query)
            return status, chunk, {"Link": '<http://evil.invalid/x?page=2>; rel="next"'}

        gh.page = evil_page  # type: ignore[method-assign]
        with (
            GitHubClient(gh.url, Secret("tok")) as client,
            pytest.raises(GitHubError, match="another host"),
        ):
            client.list_issue_comments(pr)


def test_unreachable_api_is_one_line_without_the_token() -> None:
    pr = load_event(FIXTURE)
    client = GitHubClient("http://127.0.0.1:9", Secret("tok-xyz"), timeout=2)
    with client, pytest.raises(GitHubError) as info:
        client.list_issue_comments(pr)
    assert "cannot reach http://127.0.0.1:9" in str(info.value) and "tok-xyz" not in str(info.value)


def test_missing_token_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="GITHUB_TOKEN is not set"):
        GitHubClient("http://127.0.0.1:9", Secret(""))


@pytest.mark.parametrize(
    ("login", "who", "calls"),
    [
        (None, "github-actions[bot]", ["GET /user", "POST /graphql"]),  # GITHUB_TOKEN
        ("octocat", "octocat", ["GET /user"]),  # a personal token
    ],
)
def test_identity_is_the_tokens_own_login(login: str | None, who: str, calls: list[str]) -> None:
    with FakeGitHub(DIFF, HEAD, token="t", login=login) as gh:
        assert GitHubClient(gh.url, Secret("t")).identity() == who
    assert [f"{r['method']} {r['path']}" for r in gh.requests] == calls
    assert gh.requests[-1]["body"] in (None, {"query": "query { viewer { login } }"})


def test_identity_falls_back_to_the_actions_bot_when_graphql_says_nothing() -> None:
    with FakeGitHub(DIFF, HEAD, token="t") as gh:
        gh.graphql = lambda body: (200, {"errors": [{"message": "no"}]}, {})  # type: ignore[method-assign]
        assert GitHubClient(gh.url, Secret("t")).identity() == "github-actions[bot]"


@pytest.mark.parametrize("status", [404, 500])
def test_identity_after_a_404_from_get_user_is_the_viewer(status: int) -> None:
    """A GitHub Enterprise proxy answers `GET /user` with 404: like 403, ask GraphQL (it
    aborted the Action's review); any other failure still raises."""
    with FakeGitHub(DIFF, HEAD, token="t", login=None) as gh:
        route = gh.route

        def proxied(method: str, path: str, query: dict[str, list[str]], body: object) -> Any:
            if (method, path) == ("GET", "/user"):
                return status, {"message": "Not Found" if status == 404 else "boom"}, {}
            return route(method, path, query, body)

        gh.route = proxied  # type: ignore[method-assign]
        client = GitHubClient(gh.url, Secret("t"))
        if status == 404:
            assert client.identity() == "github-actions[bot]"
            assert [f"{r['method']} {r['path']}" for r in gh.requests][-1] == "POST /graphql"
        else:
            with pytest.raises(GitHubError):
                client.identity()


@pytest.mark.parametrize(
    ("api", "graphql"),
    [
        ("https://api.github.com", "https://api.github.com/graphql"),
        ("https://ghe.example.com/api/v3/", "https://ghe.example.com/api/graphql"),
    ],
)
def test_graphql_url_follows_the_rest_root(api: str, graphql: str) -> None:
    assert graphql_url(api) == graphql
