"""A local stand-in for api.github.com: the REST endpoints a pull-request review uses.

It runs on 127.0.0.1 in a thread and speaks GitHub's documented wire format
(REST API version 2022-11-28): ``POST /repos/{o}/{r}/pulls/{n}/reviews`` (200, a review),
``GET …/pulls/{n}/comments`` and ``GET …/issues/{n}/comments`` (paginated with ``per_page``,
``page`` and a ``Link`` header, at most 100 a page), ``POST …/issues/{n}/comments`` (201)
and ``PATCH …/issues/comments/{id}`` (200). It validates bodies the way GitHub does:
required fields, ``commit_id`` of the pull request, comment lines inside a diff hunk on
the side named, ``start_line`` before ``line`` in the same hunk, and answers 422 with
GitHub's own messages (which, like GitHub's, do not say which comment was at fault).
Its hunk parser is its own, so it checks relay-git rather than agreeing with it.
``read_only=True`` answers writes like a fork's token does: 403.

Who the token is: by default GITHUB_TOKEN, an installation token, for which
``GET /user`` is 403 "Resource not accessible by integration" and GraphQL's
``query { viewer { login } }`` (``POST /graphql``) names ``github-actions[bot]``, the
author of everything it posts. ``login="octocat"`` makes it a personal token instead:
``GET /user`` answers that user, who then authors what is posted.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

DOCS = "https://docs.github.com/rest"
BOT = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}
USER_DOC = "https://docs.github.com/rest/users/users#get-the-authenticated-user"
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass
class Hunk:
    old: set[int] = field(default_factory=set)
    new: set[int] = field(default_factory=set)
    text: list[str] = field(default_factory=list)


def hunks_by_path(diff_text: str) -> dict[str, list[Hunk]]:
    """Path -> hunks with the old/new line numbers each shows (GitHub's view of the diff)."""
    files: dict[str, list[Hunk]] = {}
    current: list[Hunk] | None = None
    old = new = old_left = new_left = 0
    for line in diff_text.splitlines():
        if old_left > 0 or new_left > 0:  # inside a hunk: its header says how many lines
            if current is None or line[:1] not in (" ", "+", "-", "\\"):
                old_left = new_left = 0
                continue
            hunk = current[-1]
            hunk.text.append(line)
            if line[0] in " -":
                hunk.old.add(old)
                old, old_left = old + 1, old_left - 1
            if line[0] in " +":
                hunk.new.add(new)
                new, new_left = new + 1, new_left - 1
        elif line.startswith("diff --git "):
            current = None
        elif line.startswith("+++ "):
            path = line[4:].removesuffix("\t")  # git adds a tab after a name with a space
            current = None if path == "/dev/null" else files.setdefault(path[2:], [])
        elif (m := _HUNK.match(line)) and current is not None:
            old, new = int(m.group(1)), int(m.group(3))
            old_left = 1 if m.group(2) is None else int(m.group(2))
            new_left = 1 if m.group(4) is None else int(m.group(4))
            current.append(Hunk(text=[line]))
    return files


class FakeGitHub:
    """State of one pull request on a fake GitHub, plus every request it received."""

    def __init__(
        self,
        diff_text: str,
        head_sha: str,
        *,
        owner: str = "Codertocat",
        repo: str = "Hello-World",
        number: int = 2,
        token: str = "ghs_fake",
        read_only: bool = False,
        max_per_page: int = 100,
        login: str | None = None,
    ) -> None:
        self.me = dict(BOT) if login is None else {"login": login, "id": 583231, "type": "User"}
        self.personal = login is not None
        self.files = hunks_by_path(diff_text)
        self.head_sha = head_sha
        self.prefix = f"/repos/{owner}/{repo}"
        self.number = number
        self.token = token
        self.read_only = read_only
        self.max_per_page = max_per_page
        self.reviews: list[dict[str, Any]] = []
        self.review_comments: list[dict[str, Any]] = []
        self.issue_comments: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []  # method, path, query, headers, body, status
        self._ids = iter(range(1000, 10**9))
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> FakeGitHub:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def next_id(self) -> int:
        return next(self._ids)

    def add_issue_comment(self, body: str, user: dict[str, Any] | None = None) -> dict[str, Any]:
        comment_id = self.next_id()
        comment = {
            "id": comment_id,
            "node_id": f"IC_{comment_id}",
            "url": f"{self.url}{self.prefix}/issues/comments/{comment_id}",
            "html_url": f"https://github.com{self.prefix}/pull/{self.number}#issuecomment-{comment_id}",
            "issue_url": f"{self.url}{self.prefix}/issues/{self.number}",
            "body": body,
            "user": user or dict(self.me),
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "author_association": "NONE",
        }
        self.issue_comments.append(comment)
        return comment

    def add_review_comment(
        self, c: dict[str, Any], review_id: int, user: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        comment_id = self.next_id()
        hunk = self._hunk(c["path"], c["line"], c.get("side", "RIGHT"))
        comment = {
            "id": comment_id,
            "pull_request_review_id": review_id,
            "path": c["path"],
            "line": c["line"],
            "original_line": c["line"],
            "side": c.get("side", "RIGHT"),
            "start_line": c.get("start_line"),
            "original_start_line": c.get("start_line"),
            "start_side": c.get("start_side"),
            "commit_id": self.head_sha,
            "original_commit_id": self.head_sha,
            "diff_hunk": "\n".join(hunk.text) if hunk else "",
            "body": c["body"],
            "user": user or dict(self.me),
            "html_url": f"https://github.com{self.prefix}/pull/{self.number}#discussion_r{comment_id}",
            "in_reply_to_id": None,
        }
        self.review_comments.append(comment)
        return comment

    def _hunk(self, path: str, line: int, side: str) -> Hunk | None:
        for hunk in self.files.get(path, []):
            if line in (hunk.new if side == "RIGHT" else hunk.old):
                return hunk
        return None

    # -- validation, as GitHub does it --------------------------------------------------------

    def review_errors(self, body: dict[str, Any]) -> list[str]:
        errors: list[str] = []
        event = body.get("event")
        if event not in (None, "APPROVE", "REQUEST_CHANGES", "COMMENT"):
            return [f"Invalid event {event!r}"]
        if event in ("REQUEST_CHANGES", "COMMENT") and not body.get("body"):
            errors.append("Body is required when using REQUEST_CHANGES or COMMENT")
        if body.get("commit_id") not in (None, self.head_sha):
            errors.append("Commit is not part of the pull request")
        for c in body.get("comments") or []:
            errors.extend(self.comment_errors(c))
        return sorted(set(errors))

    def comment_errors(self, c: dict[str, Any]) -> list[str]:
        if not isinstance(c.get("path"), str) or not isinstance(c.get("body"), str):
            return ["Pull request review thread path and body are required"]
        if not isinstance(c.get("line"), int):
            return ["Pull request review thread line can't be blank"]
        if c["path"] not in self.files:
            return ["Pull request review thread path is invalid"]
        side = c.get("side", "RIGHT")
        hunk = self._hunk(c["path"], c["line"], side)
        if hunk is None:
            return ["Pull request review thread line must be part of the diff"]
        if "start_line" not in c:
            return []
        start, start_side = c["start_line"], c.get("start_side", side)
        if not isinstance(start, int) or start >= c["line"]:
            return ["Pull request review thread start line must precede the end line"]
        shown = hunk.new if start_side == "RIGHT" else hunk.old
        if start not in shown:
            return [
                "Pull request review thread start line must be part of the same hunk as the line."
            ]
        return []

    # -- routes -------------------------------------------------------------------------------

    def route(
        self, method: str, path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        pr = f"{self.prefix}/pulls/{self.number}"
        issue = f"{self.prefix}/issues/{self.number}"
        if (method, path) == ("GET", "/user"):
            if not self.personal:
                return _fail(403, "Resource not accessible by integration", doc=USER_DOC)
            return 200, dict(self.me), {}
        if (method, path) == ("POST", "/graphql"):
            return self.graphql(body)
        if method in ("POST", "PATCH", "PUT", "DELETE") and self.read_only:
            return _fail(403, "Resource not accessible by integration")
        if (method, path) == ("POST", f"{pr}/reviews"):
            return self.create_review(body)
        if (method, path) == ("GET", f"{pr}/comments"):
            return self.page(self.review_comments, path, query)
        if (method, path) == ("GET", f"{issue}/comments"):
            return self.page(self.issue_comments, path, query)
        if (method, path) == ("POST", f"{issue}/comments"):
            if not isinstance(body, dict) or not isinstance(body.get("body"), str):
                return _fail(422, "Invalid request.", ['"body" wasn\'t supplied.'])
            return 201, self.add_issue_comment(body["body"]), {}
        m = re.fullmatch(rf"{re.escape(self.prefix)}/issues/comments/(\d+)", path)
        if m and method == "PATCH":
            return self.update_comment(int(m.group(1)), body)
        return _fail(404, "Not Found")

    def graphql(self, body: Any) -> tuple[int, Any, dict[str, str]]:
        """Only the viewer query: GraphQL answers 200 with ``errors`` for anything else."""
        query = body.get("query") if isinstance(body, dict) else None
        if not isinstance(query, str) or re.sub(r"\s+", "", query) != "query{viewer{login}}":
            return 200, {"errors": [{"message": "this stand-in knows only viewer.login"}]}, {}
        return 200, {"data": {"viewer": {"login": self.me["login"]}}}, {}

    def create_review(self, body: Any) -> tuple[int, Any, dict[str, str]]:
        if not isinstance(body, dict):
            return _fail(400, "Problems parsing JSON")
        errors = self.review_errors(body)
        if errors:
            return _fail(422, "Unprocessable Entity", [" and ".join(errors)])
        review_id = self.next_id()
        state = {"REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}
        review = {
            "id": review_id,
            "node_id": f"PRR_{review_id}",
            "user": dict(self.me),
            "body": body.get("body", ""),
            "state": state.get(body.get("event") or "", body.get("event") or "PENDING"),
            "html_url": f"https://github.com{self.prefix}/pull/{self.number}#pullrequestreview-{review_id}",
            "pull_request_url": f"{self.url}{self.prefix}/pulls/{self.number}",
            "commit_id": body.get("commit_id", self.head_sha),
            "submitted_at": "2026-01-01T00:00:00Z",
            "author_association": "NONE",
            "event": body.get("event"),
        }
        self.reviews.append(review)
        for c in body.get("comments") or []:
            self.add_review_comment(c, review_id)
        return 200, review, {}

    def update_comment(self, comment_id: int, body: Any) -> tuple[int, Any, dict[str, str]]:
        for comment in self.issue_comments:
            if comment["id"] == comment_id:
                if not isinstance(body, dict) or not isinstance(body.get("body"), str):
                    return _fail(422, "Invalid request.", ['"body" wasn\'t supplied.'])
                comment["body"] = body["body"]
                comment["updated_at"] = "2026-01-02T00:00:00Z"
                return 200, comment, {}
        return _fail(404, "Not Found")

    def page(
        self, items: list[dict[str, Any]], path: str, query: dict[str, list[str]]
    ) -> tuple[int, Any, dict[str, str]]:
        per_page = min(int(query.get("per_page", ["30"])[0]), self.max_per_page)
        number = int(query.get("page", ["1"])[0])
        last = max(1, -(-len(items) // per_page))
        chunk = items[(number - 1) * per_page : number * per_page]

        def link(n: int) -> str:
            return f"<{self.url}{path}?per_page={per_page}&page={n}>"

        rels = []
        if number < last:
            rels += [f'{link(number + 1)}; rel="next"', f'{link(last)}; rel="last"']
        if number > 1:
            rels += [f'{link(1)}; rel="first"', f'{link(number - 1)}; rel="prev"']
        return 200, chunk, ({"Link": ", ".join(rels)} if rels else {})

    def calls(self, method: str, suffix: str = "") -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == method and r["path"].endswith(suffix)]

    def all_text(self) -> Iterator[str]:
        """Everything relay-git sent, for checks that a secret never appears in it."""
        for r in self.requests:
            yield json.dumps(r["body"])
            yield r["path"]


def _fail(
    status: int, message: str, errors: list[Any] | None = None, doc: str = DOCS
) -> tuple[int, Any, dict[str, str]]:
    body: dict[str, Any] = {"message": message, "documentation_url": doc, "status": str(status)}
    if errors:
        body["errors"] = errors
    return status, body, {}


def _handler(gh: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

        def _serve(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = "<unparseable>"
            with gh._lock:
                if self.headers.get("Authorization") != f"Bearer {gh.token}":
                    status, payload, headers = _fail(401, "Bad credentials")
                else:
                    status, payload, headers = gh.route(
                        self.command, split.path, parse_qs(split.query), body
                    )
                gh.requests.append(
                    {
                        "method": self.command,
                        "path": split.path,
                        "query": split.query,
                        "headers": dict(self.headers),
                        "body": body,
                        "status": status,
                    }
                )
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-GitHub-Api-Version-Selected", "2022-11-28")
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    return Handler
