"""In a hook, a configuration mistake blocks with its fix; only an outage fails open.

The OpenAI-compatible server is tests/loopback.py on 127.0.0.1 answering with the
documented error object; the reviewer is the real openai backend (no fake), so the
status-to-error mapping under test is the one a user gets.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.loopback import Reply, serve

from relay_git.cli import main

UNAUTHORIZED = {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}


@pytest.mark.parametrize("status", [401, 403])
def test_refused_key_blocks_the_commit(
    staged: Path, status: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve() as server:
        server.route("POST", "/v1/chat/completions", Reply(status, UNAUTHORIZED))
        monkeypatch.setenv("RELAY_GIT_OPENAI_BASE_URL", server.url + "/v1")
        monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-key-0123456789")
        code = main(["review", "--hook", "--reviewer", "openai:some-model"])
    err = capsys.readouterr().err
    assert code == 3, err
    [line] = [ln for ln in err.splitlines() if ln.startswith("relay-git: error:")]
    assert f"HTTP {status}" in line and "check OPENAI_API_KEY" in line
    assert "not blocking" not in err and "sk-wrong-key" not in err


def test_unknown_config_key_blocks(
    staged: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    user = Path.home() / ".config" / "relay-git" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text('reviewr = "ollama:x"\n')
    code = main(["review", "--hook"])
    err = capsys.readouterr().err
    assert code == 2 and "reviewr" in err and err.count("\n") == 1, err


def test_slow_server_still_fails_open(
    staged: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The budget runs out: an outage, not a mistake. The commit passes with a warning."""
    with serve() as server:
        server.route("POST", "/v1/chat/completions", Reply(200, {}, delay=3))
        monkeypatch.setenv("RELAY_GIT_OPENAI_BASE_URL", server.url + "/v1")
        code = main(["review", "--hook", "--timeout", "0.5", "--reviewer", "openai:m"], obj={})
    err = capsys.readouterr().err
    assert code == 0 and "not blocking" in err, err
