"""RELAY_GIT_TRACE files, the test environment's locale allow-list (issue 18, Low)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from tests.fakes import FakeBackend

from relay_git.models.call import ask
from relay_git.models.ledger import Ledger
from relay_git.safety.sandbox import environment

SECRET = "sk-proj-" + "Tr4ce" * 8


@pytest.mark.parametrize("spec", ["ollama:local-model", "openai:remote-model"])
def test_the_trace_file_is_private_and_redacted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec: str
) -> None:
    """Even a local model's prompt (sent unredacted) is written redacted, to a 0600 file;
    a trace file that was there before with a wider mode is narrowed."""
    trace = tmp_path / "trace.jsonl"
    trace.write_text("")
    trace.chmod(0o644)
    monkeypatch.setenv("RELAY_GIT_TRACE", str(trace))
    monkeypatch.setenv("DEPLOY_TOKEN", "Dep10y-" + "x" * 12)
    fake = FakeBackend(spec).enqueue(f"the key is {SECRET}")
    message = f'OPENAI_API_KEY = "{SECRET}" and Dep10y-{"x" * 12}'
    ask(
        fake,
        [{"role": "user", "content": message}],
        stage="s",
        role="r",
        ledger=Ledger(),
        max_tokens=16,
    )
    assert stat.S_IMODE(trace.stat().st_mode) == 0o600
    text = trace.read_text()
    assert SECRET not in text and "Dep10y-" not in text
    record = json.loads(text)
    assert "[REDACTED" in record["messages"][0]["content"] and "[REDACTED" in record["reply"]
    sent = fake.history[-1].messages[0]["content"]
    assert (SECRET in sent) is fake.local  # what the model got: unredacted only when local


def test_a_new_trace_file_is_created_0600(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trace = tmp_path / "new-trace.jsonl"
    monkeypatch.setenv("RELAY_GIT_TRACE", str(trace))
    old = os.umask(0o022)
    try:
        ask(
            FakeBackend().enqueue("ok"),
            [{"role": "user", "content": "hi"}],
            stage="s",
            role="r",
            ledger=Ledger(),
            max_tokens=8,
        )
    finally:
        os.umask(old)
    assert stat.S_IMODE(trace.stat().st_mode) == 0o600


def test_only_three_locale_variables_pass_the_allow_list() -> None:
    environ = {
        "PATH": "/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "LC_CTYPE": "C.UTF-8",
        "LC_SECRET_TOKEN": "ghp_" + "x" * 36,
        "LC_MESSAGES": "C",
        "LANGUAGE": "en",
    }
    env = environment(environ, "/tmp/home")
    assert sorted(env) == [
        "HOME", "LANG", "LC_ALL", "LC_CTYPE", "PATH", "PYTHONDONTWRITEBYTECODE", "TMPDIR"
    ]  # fmt: skip
