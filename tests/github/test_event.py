"""The event payload and the Actions context: what the runner tells a step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.github.conftest import FIXTURE

from relay_git.errors import UsageError
from relay_git.github.event import ActionsContext, load_event

HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"


def test_documented_example_event_loads() -> None:
    pr = load_event(FIXTURE)
    assert (pr.owner, pr.repo, pr.number) == ("Codertocat", "Hello-World", 2)
    assert pr.head_sha == HEAD and pr.base_sha.startswith("f95f852")
    assert pr.head_repo == pr.full_name  # not a fork


def test_fork_is_recognised(tmp_path: Path) -> None:
    data = json.loads(FIXTURE.read_text())
    data["pull_request"]["head"]["repo"]["full_name"] = "someone/Hello-World"
    (tmp_path / "e.json").write_text(json.dumps(data))
    assert load_event(tmp_path / "e.json", "Codertocat/Hello-World").head_repo == (
        "someone/Hello-World"
    )


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("pull_request"), "not triggered by a pull request"),
        (lambda d: d["pull_request"]["head"].pop("sha"), "no base.sha/head.sha"),
        (lambda d: d["pull_request"]["base"].update(sha="main"), "no base.sha/head.sha"),
        (lambda d: d["pull_request"].update(number="two"), "not a GitHub event payload"),
    ],
)
def test_bad_events_are_usage_errors(tmp_path: Path, mutate: object, message: str) -> None:
    data = json.loads(FIXTURE.read_text())
    mutate(data)  # type: ignore[operator]
    (tmp_path / "e.json").write_text(json.dumps(data))
    with pytest.raises(UsageError, match=message):
        load_event(tmp_path / "e.json")


def test_context_reads_the_runner_environment() -> None:
    env = {
        "GITHUB_EVENT_PATH": "/e.json",
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_API_URL": "https://ghe.example.com/api/v3/",
        "GITHUB_TOKEN": "t0k",
    }
    ctx = ActionsContext.from_environ(env)
    assert ctx.api_url == "https://ghe.example.com/api/v3"  # GitHub Enterprise differs
    assert ctx.step_summary is None and ctx.token.reveal() == "t0k"
    assert "t0k" not in repr(ctx) and "t0k" not in str(ctx.token)
    with pytest.raises(UsageError, match="GITHUB_EVENT_PATH"):
        ActionsContext.from_environ({})
