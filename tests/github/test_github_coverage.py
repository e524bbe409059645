"""The Action path (issue 11, item 7): a pull request's own ``.gitattributes`` cannot hide
a file from review, and ``require-full-coverage`` fails the step on a partial review.

A real repository and GitHub's example event; the GitHub API is the loopback stand-in
in tests/github/fake_github.py, since the real one cannot run here.
"""

from __future__ import annotations

import json

import pytest
from tests.github.conftest import DIV, HEAD_APP, PR, TOKEN, Runner
from tests.github.fake_github import FakeGitHub


def test_pull_request_attributes_cannot_make_its_code_binary(pr: PR, run: Runner) -> None:
    hidden = HEAD_APP + "\n\ndef backdoor():\n    return __import__('os').system('id')\n"
    pr.commit({".gitattributes": "app.py -diff\n", "app.py": hidden}, "hide app.py")
    with FakeGitHub(pr.diff(), pr.head, token=TOKEN) as gh:
        r = run(gh.url, [DIV])
    assert r.code == 1, r.err  # the finding on app.py counts: the file was reviewed
    prompt = r.model.history[0].messages[-1]["content"]
    assert "def backdoor" in prompt
    summary = json.dumps(gh.issue_comments)
    assert "binary" not in summary
    # GitHub itself honours the attribute and shows no lines for app.py (so does the
    # stand-in), so the finding cannot be inline; it is folded into the posted review.
    posted = json.dumps([c["body"] for c in gh.calls("POST", "/pulls/2/reviews")])
    assert "div() raises ZeroDivisionError" in posted


@pytest.mark.parametrize("value", ["true", "false"])
def test_require_full_coverage_input_fails_a_partial_review(
    pr: PR, run: Runner, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """action.yml passes the input as RELAY_GIT_REQUIRE_FULL_COVERAGE."""
    pr.commit({"other.py": "x = 1\n"}, "a second file")
    monkeypatch.setenv("RELAY_GIT_MAX_FILES", "1")
    monkeypatch.setenv("RELAY_GIT_REQUIRE_FULL_COVERAGE", value)
    with FakeGitHub(pr.diff(), pr.head, token=TOKEN) as gh:
        r = run(gh.url, [])
    summary = json.dumps(gh.issue_comments)
    assert "partial review" in summary and "other.py" in summary  # stated either way
    if value == "false":
        assert r.code == 0, r.err
        return
    assert r.code == 1
    reason = "not reviewed: other.py (over --max-files 1)"
    assert "::error title=relay-git::relay-git: error: partial review" in r.out
    assert reason in r.out and reason in r.err
