"""Generated secrets of every format never reach a remote model (issue 11, finding 8).

The remote model is a recording loopback server speaking the OpenAI (and Anthropic) wire
format, reached by a ``.test`` hostname through ``HTTP_PROXY`` (tests/remote.py): to
relay-git it is another machine, since "local" is decided by address. The controls show the
same server on 127.0.0.1 counts as local and is sent everything, so the tests can fail.
Secrets come from tests/fakesecrets.py, freshly generated for every run.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import git
from tests.fakesecrets import ORDINARY, Planted, planted
from tests.hardening.relayserver import RelayServer, relay_server
from tests.hardening.test_secrets import openai_ok, point, sent
from tests.loopback import serve
from tests.remote import remote_url
from tests.scaffold.support import GOOD_CODE, approve_plan, fenced, review_reply, verdict_reply

from relay_git.cli import main
from relay_git.safety.redact import encodings


def contents(bodies: list[dict[str, Any]]) -> str:
    """Every message text the server was sent (decoded, so escapes cannot hide a leak)."""
    texts = []
    for body in bodies:
        texts.append(str(body.get("system", "")))
        for message in body.get("messages", []):
            content = message.get("content")
            texts.append(content if isinstance(content, str) else json.dumps(content))
    return "\n".join(texts)


def leaks(fakes: list[Planted], text: str) -> list[str]:
    return [p.name for p in fakes if p.value in text]


@pytest.fixture
def fakes() -> list[Planted]:
    return planted()


@pytest.fixture
def planted_repo(repo: Path, monkeypatch: pytest.MonkeyPatch, fakes: list[Planted]) -> Path:
    """Staged: one file holding every format, beside ordinary code that names secrets."""
    monkeypatch.chdir(repo)
    lines = [p.line for p in fakes] + list(ORDINARY) + ["def add(a, b):", "    return a + b"]
    (repo / "settings.py").write_text("\n".join(lines) + "\n")
    git(repo, "add", "settings.py")
    return repo


@pytest.mark.parametrize("backend", ["openai", "anthropic"])
def test_every_format_is_redacted_for_a_remote_reviewer(
    planted_repo: Path, monkeypatch: pytest.MonkeyPatch, fakes: list[Planted], backend: str
) -> None:
    with serve() as server:
        spec = point(monkeypatch, server, backend)
        assert main(["review", "--reviewer", spec, "--no-cache"]) == 0
        text = contents([r.json() for r in server.received() if r.method == "POST"])
    assert "def add(a, b)" in text
    assert leaks(fakes, text) == []
    for line in ORDINARY:
        assert line in text, line  # code that only names a secret reaches the reviewer intact


@pytest.mark.parametrize(
    "host", ["127.evil.example.com", "localhost.evil.com", "127.0.0.1.nip.test"]
)
def test_loopback_lookalike_names_are_remote(
    planted_repo: Path, monkeypatch: pytest.MonkeyPatch, fakes: list[Planted], host: str
) -> None:
    with serve() as server:
        point(monkeypatch, server, "openai")
        monkeypatch.setenv(
            "RELAY_GIT_OPENAI_BASE_URL", remote_url(monkeypatch, server.url, host) + "/v1"
        )
        assert main(["review", "--reviewer", "openai:m", "--no-cache"]) == 0
        assert server.received()[0].headers["host"] == host
        text = sent(server)
    assert "def add(a, b)" in text and leaks(fakes, text) == []


def test_an_openai_compatible_server_on_loopback_is_local(
    planted_repo: Path, monkeypatch: pytest.MonkeyPatch, fakes: list[Planted]
) -> None:
    """llama.cpp's server on 127.0.0.1 is this machine: it reviews the unredacted diff."""
    with serve() as server:
        server.route("GET", "/v1/models", {"data": [{"id": "m"}]})
        server.route("POST", "/v1/chat/completions", openai_ok())
        monkeypatch.setenv("RELAY_GIT_OPENAI_BASE_URL", server.url + "/v1")
        assert main(["review", "--reviewer", "openai:m", "--no-cache"]) == 0
        text = contents([r.json() for r in server.received() if r.method == "POST"])
    assert leaks(fakes, text) == [p.name for p in fakes]


# --- scaffold: a remote coder and reviewer ------------------------------------------------


def plan_touching_settings() -> dict[str, Any]:
    return {
        "summary": "a slugify helper, configured in settings.py",
        "files": [
            {"path": "settings.py", "change": "modify"},
            {"path": "slug.py", "change": "create"},
        ],
        "tests": ["test_slugify: lowercases and joins words with dashes"],
    }


@pytest.fixture
def remote_relay(planted_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RelayServer]:
    git(planted_repo, "commit", "-q", "-m", "settings")
    replies = {
        "plan": plan_touching_settings,
        "plan-review": approve_plan,
        "code": lambda: fenced(GOOD_CODE["slug.py"]),
        "verdict": verdict_reply,
        "review": review_reply,
    }
    with relay_server(replies) as server:
        base = remote_url(monkeypatch, server.url.removesuffix("/v1"))
        monkeypatch.setenv("RELAY_GIT_OPENAI_BASE_URL", base + "/v1")
        yield server


def test_scaffold_never_sends_a_secret_from_a_file_or_test_output_to_a_remote_model(
    remote_relay: RelayServer,
    planted_repo: Path,
    fakes: list[Planted],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The tests print secrets of their own (read from outside the worktree, so only the
    output carries them); the failing output goes to the coder, then the reviewer."""
    kinds = {"stripe secret", "gitlab", "anthropic", "PASSWORD=", "json token", "rsa private key"}
    output_secrets = [p for p in planted() if p.name in kinds]
    # outside the worktree (no model reads it), in the part of .git the sandbox shows
    script = planted_repo / ".git" / "info" / "tests.sh"
    lines = "".join(f"OUT {line}\n" for p in output_secrets for line in p.line.splitlines())
    script.write_text(f"cat <<'EOF'\n{lines}EOF\nexit 1\n")
    args = ["scaffold", "--coder", "openai:small", "--reviewer", "openai:large", "-q"]
    args += ["--test-cmd", f"sh {script}", "--max-rounds", "1", "--drafts", "3"]
    args += ["add a slugify helper"]
    main(args)
    capsys.readouterr()
    # k drafts per planned file for generate and fix-1, then the reviewer's escalation
    pairs = zip(remote_relay.bodies, remote_relay.seen, strict=True)
    coders = [body["model"] for body, stage in pairs if stage == "code"]
    assert coders == ["small"] * (3 * 2 * 2) + ["large"] * 2
    text = contents(remote_relay.bodies)
    assert "def add(a, b)" in text  # settings.py was shown, redacted
    assert 'OUT STRIPE = "[REDACTED stripe key]"' in text  # the failing output was sent
    assert leaks(fakes, text) == []
    assert leaks(output_secrets, text) == []
    assert "[REDACTED stripe key]" in text and "[REDACTED password]" in text


def test_encoded_secrets_in_failing_test_output_reach_no_model_and_no_commit(
    remote_relay: RelayServer,
    planted_repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Issue 18: a failing test prints the main checkout's .env secret and the user's
    environment secret, plain, base64 (alone and inside a longer line) and hex. The
    redactor knows both values, so neither the prompts to the remote coder and reviewer
    nor the relay's commit messages carry them in any of those forms (test_secrets_output
    shows the output is redacted where it is made, before any commit body quotes it)."""
    dotenv_secret = "Pr0d-" + secrets.token_hex(12)
    env_secret = "Env-" + secrets.token_urlsafe(18)
    (planted_repo / ".env").write_text(f"PROD_DB_PASSWORD={dotenv_secret}\n")
    monkeypatch.setenv("DEPLOY_TOKEN", env_secret)
    shown = []
    for value in (dotenv_secret, env_secret):
        raw = value.encode()
        shown += [value, base64.b64encode(raw).decode(), raw.hex()]
        shown.append(base64.b64encode(b"PROD_DB_PASSWORD=" + raw + b"\n").decode())
    script = planted_repo / ".git" / "info" / "tests.sh"
    script.write_text("cat <<'EOF'\n" + "".join(f"E  got {s}\n" for s in shown) + "EOF\nexit 1\n")
    args = ["scaffold", "--coder", "openai:small", "--reviewer", "openai:large", "-q"]
    args += ["--test-cmd", f"sh {script}", "--max-rounds", "1", "add a slugify helper"]
    main(args)
    capsys.readouterr()
    sent_text = contents(remote_relay.bodies)
    assert "E  got [REDACTED" in sent_text  # the failing output was sent, redacted
    messages = git(planted_repo, "log", "--all", "--format=%B")
    for value in (dotenv_secret, env_secret):
        for form in encodings(value):
            assert form not in sent_text
            assert form not in messages
