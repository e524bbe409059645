"""Secrets stay home (issue 7, point 6).

Secret files never reach a backend off this machine and obvious secrets in diff lines are
redacted before they leave; API keys never show up in output, errors, saved replies, the
cache or the ledger. The loopback server plays an OpenAI-compatible server and Anthropic
(their documented reply shapes) and keeps every request body for the assertions.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import git
from tests.fakes import FakeBackend, factory, review_reply
from tests.loopback import Loopback, Reply, closed_port, serve
from tests.remote import remote_url

from relay_git.cli import main

OPENAI_KEY = "sk-proj-HARDENINGopenaiKEY0123456789abcdef"
ANTHROPIC_KEY = "sk-ant-api03-HARDENINGanthropicKEY0123456789"
# Secret-looking values built at run time, so this file holds no literal secrets.
AWS_KEY = "AKIA" + "HARDENING1234567"[:16]
GITHUB_TOKEN = "ghp_" + "h" * 36
PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAharden\n"
PRIVATE_KEY += "-----END OPENSSH PRIVATE KEY-----"
FILE_SECRET = "FILE-SECRET-7f3a9c"  # the content of every secret-named file

SECRET_FILES = [
    ".env",
    ".env.production",
    "config/server.pem",
    "deploy/id_rsa",
    "deploy/id_ed25519.pub",
    "credentials",
    "aws/credentials.json",
    "gcp-credentials-prod.json",
    "secrets.yaml",
    ".netrc",
    "tls/site.key",
]


def openai_ok() -> dict[str, object]:
    content = json.dumps(review_reply())
    return {
        "choices": [
            {"message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5},
    }


def anthropic_ok() -> dict[str, object]:
    return {
        "type": "message",
        "content": [{"type": "tool_use", "id": "t", "name": "reply", "input": review_reply()}],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 10, "output_tokens": 5},
    }


@pytest.fixture
def leaky(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Staged: secret-named files, and code with secrets on its changed lines."""
    monkeypatch.chdir(repo)
    for name in SECRET_FILES:
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"TOKEN={FILE_SECRET}\n")
    (repo / "app.py").write_text(
        f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"\n'
        f'GITHUB = "{GITHUB_TOKEN}"\n'
        f'KEY = """{PRIVATE_KEY}"""\n'
        "def add(a, b):\n    return a + b\n"
    )
    git(repo, "add", "-A")
    return repo


def point(monkeypatch: pytest.MonkeyPatch, server: Loopback, backend: str) -> str:
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
    remote = remote_url(monkeypatch, server.url)  # another machine, as far as relay-git knows
    monkeypatch.setenv("RELAY_GIT_OPENAI_BASE_URL", remote + "/v1")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", remote)
    server.route("GET", "/v1/models", {"data": [{"id": "m"}]})
    server.route("POST", "/v1/chat/completions", openai_ok())
    server.route("POST", "/v1/messages", anthropic_ok())
    return f"{backend}:m"


def sent(server: Loopback) -> str:
    return "\n".join(r.body.decode("utf-8", "replace") for r in server.received())


@pytest.mark.parametrize("backend", ["openai", "anthropic"])
def test_secret_files_and_values_never_reach_a_remote_backend(
    leaky: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    backend: str,
) -> None:
    with serve() as server:
        spec = point(monkeypatch, server, backend)
        code = main(["review", "--reviewer", spec, "--format", "json"])
        out = capsys.readouterr().out
        body = sent(server)
    assert code == 0
    assert server.received(), "the reviewer was asked"
    assert "def add(a, b)" in body  # the code itself was reviewed
    for secret in (FILE_SECRET, AWS_KEY, GITHUB_TOKEN, "b3BlbnNzaC1rZXktdjEAAAAAharden"):
        assert secret not in body, secret
    for name in SECRET_FILES:
        assert f"+++ b/{name}" not in body
    assert "[REDACTED aws access key]" in body and "[REDACTED github token]" in body
    skipped = {s["path"]: s["reason"] for s in json.loads(out)["coverage"]["skipped"]}
    assert skipped == dict.fromkeys(SECRET_FILES, "secret")


def test_configured_secret_patterns_are_honoured(
    leaky: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (leaky / ".relay-git.toml").write_text('secret_patterns = ["*.vault", "private/*"]\n')
    (leaky / "prod.vault").write_text(f"v={FILE_SECRET}\n")
    (leaky / "private").mkdir()
    (leaky / "private" / "notes.md").write_text(f"n={FILE_SECRET}\n")
    git(leaky, "add", "-A")
    with serve() as server:
        spec = point(monkeypatch, server, "openai")
        code = main(["review", "--reviewer", spec, "--format", "json"])
        out = capsys.readouterr().out
        body = sent(server)
    assert code == 0
    assert FILE_SECRET not in body.replace(f"TOKEN={FILE_SECRET}", "")  # the new files
    skipped = {s["path"]: s["reason"] for s in json.loads(out)["coverage"]["skipped"]}
    assert skipped["prod.vault"] == skipped["private/notes.md"] == "secret"


@pytest.mark.parametrize(
    "host",
    [
        "http://ollama.example.com:11434",
        "https://gpu-box.internal",
        "10.0.0.7:11434",
        "127.evil.example.com:11434",  # was taken for loopback by its "127." prefix
        "http://localhost.evil.com",
        "http://127.0.0.1@evil.com:11434",
    ],
)
def test_ollama_on_another_machine_gets_no_secrets(
    leaky: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], host: str
) -> None:
    """OLLAMA_HOST can point off this machine; secrets must not follow it there."""
    monkeypatch.setenv("OLLAMA_HOST", host)
    fake = FakeBackend("ollama:m").enqueue(review_reply())
    code = main(
        ["review", "--reviewer", "ollama:m", "--format", "json"],
        obj={"make_backend": factory(fake)},
    )
    out = capsys.readouterr().out
    assert code == 0
    prompt = "\n".join(m["content"] for r in fake.history for m in r.messages)
    assert "def add(a, b)" in prompt
    for secret in (FILE_SECRET, AWS_KEY, GITHUB_TOKEN):
        assert secret not in prompt
    skipped = {s["path"]: s["reason"] for s in json.loads(out)["coverage"]["skipped"]}
    assert skipped == dict.fromkeys(SECRET_FILES, "secret")


def test_local_ollama_reviews_everything(
    leaky: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeBackend("ollama:m").enqueue(review_reply())
    main(["review", "--reviewer", "ollama:m"], obj={"make_backend": factory(fake)})
    prompt = "\n".join(m["content"] for r in fake.history for m in r.messages)
    assert FILE_SECRET in prompt and AWS_KEY in prompt  # nothing leaves the machine


@pytest.mark.parametrize(
    ("spec", "environ"),
    [
        ("ollama:m", {}),
        ("ollama:m", {"OLLAMA_HOST": "127.0.0.1:11434"}),
        ("ollama:m", {"OLLAMA_HOST": "http://localhost:11434"}),
        ("ollama:m", {"OLLAMA_HOST": "0.0.0.0"}),
        ("ollama:m", {"OLLAMA_HOST": "[::1]:11434"}),
        ("llamacpp:/models/x.gguf", {"OLLAMA_HOST": "http://far.example.com"}),
    ],
)
def test_local_backends_stay_local(leaky: Path, spec: str, environ: dict[str, str]) -> None:
    from relay_git.app import build

    app = build(leaky, environ, {"reviewer": spec})
    assert app.reviewer(use_cache=False).settings.local is True


def stored(repo: Path) -> str:
    """Everything relay-git keeps under the git dir: cache, saved replies, state."""
    state = repo / ".git" / "relay-git"
    if not state.exists():
        return ""
    return "\n".join(
        p.read_text(encoding="utf-8", errors="replace") for p in state.rglob("*") if p.is_file()
    )


def echo(key: str) -> dict[str, object]:
    return {"error": {"message": f"Incorrect API key provided: {key}", "type": "invalid"}}


@pytest.mark.parametrize(
    ("backend", "status"),
    [
        ("openai", 401),
        ("anthropic", 401),
        ("openai", 500),
        ("anthropic", 529),
        ("openai", 200),
        ("anthropic", 200),
        ("openai", 404),
        ("anthropic", 403),
    ],
)
def test_api_keys_never_appear_in_output_errors_or_files(
    leaky: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    backend: str,
    status: int,
) -> None:
    """The server echoes the key back (as OpenAI's 401 does); relay-git must not repeat it."""
    key = OPENAI_KEY if backend == "openai" else ANTHROPIC_KEY
    reply = Reply(status, echo(key), {"Retry-After": "0"})
    with serve() as server:
        spec = point(monkeypatch, server, backend)
        server.route("POST", "/v1/chat/completions", reply)
        server.route("POST", "/v1/messages", reply)
        code = main(["review", "--reviewer", spec, "--format", "json"])
        out, err = capsys.readouterr()
    assert code == 3
    assert "Incorrect API key provided" in err or status != 401
    seen = out + err + stored(leaky)
    assert key not in seen


@pytest.mark.parametrize(
    "variable", ["RELAY_GIT_OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "OLLAMA_HOST"]
)
def test_credentials_in_a_server_url_are_not_shown(
    leaky: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], variable: str
) -> None:
    spec = {"RELAY_GIT_OPENAI_BASE_URL": "openai:m", "ANTHROPIC_BASE_URL": "anthropic:m"}
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
    url = f"http://relay:url-password-123@127.0.0.1:{closed_port()}"
    monkeypatch.setenv(variable, url + ("/v1" if variable.startswith("RELAY") else ""))
    code = main(["review", "--reviewer", spec.get(variable, "ollama:m")])
    err = capsys.readouterr().err
    assert code == 3
    assert "cannot reach" in err and "127.0.0.1" in err
    assert "url-password-123" not in err
