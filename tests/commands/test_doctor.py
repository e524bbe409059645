"""`relay-git doctor` asks each model for one token, and its colour follows --color/NO_COLOR.

No Ollama daemon runs here: tests/loopback.py plays it with the documented shapes of
/api/tags, /api/show and /api/chat (bench/standin.py for the review on a terminal). The
terminal is a real pseudo-terminal (pty), so "on a terminal" is what the code sees.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bench.standin import SPEC, error_at
from bench.standin import serve as standin
from tests.conftest import git
from tests.loopback import Loopback, Reply, serve

from relay_git.cli import main

MODEL = "m:1b"
ESC = "\x1b["


def chat(content: str, output: int) -> dict[str, Any]:
    return {
        "model": MODEL,
        "created_at": "2026-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": content},
        "done": True,
        "done_reason": "length",
        "prompt_eval_count": 12,
        "eval_count": output,
    }


@pytest.fixture
def ollama(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Loopback]:
    """An Ollama that has MODEL; each test routes /api/chat."""
    with serve() as server:
        server.route("GET", "/api/tags", {"models": [{"name": MODEL, "model": MODEL, "size": 1}]})
        info = {"general.architecture": "llama", "llama.context_length": 8192}
        server.route("POST", "/api/show", {"model_info": info, "parameters": ""})
        for key, value in (("OLLAMA_HOST", server.url), ("RELAY_GIT_CODER", f"ollama:{MODEL}"),
                           ("RELAY_GIT_REVIEWER", f"ollama:{MODEL}")):  # fmt: skip
            monkeypatch.setenv(key, value)
        monkeypatch.chdir(tmp_path)
        yield server


def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    code = main([*args, "doctor"] if args[:1] == ("--color",) else ["doctor", *args])
    lines = capsys.readouterr().out.splitlines()
    return code, [ln for ln in lines if ln.startswith(("coder", "reviewer"))]


def test_a_model_that_answers_one_token_is_ok(
    ollama: Loopback, capsys: pytest.CaptureFixture[str]
) -> None:
    ollama.route("POST", "/api/chat", chat("ok", 1))
    code, lines = doctor(capsys)
    assert code == 0 and len(lines) == 2
    assert all(f"ollama:{MODEL}: ok (context 8192 tokens, answered in" in ln for ln in lines)
    sent = ollama.received("/api/chat")[0].json()
    assert sent["options"]["num_predict"] == 1


@pytest.mark.slow  # waits out the probe timeout
def test_a_server_that_hangs_is_not_ok(
    ollama: Loopback, capsys: pytest.CaptureFixture[str]
) -> None:
    """It answers /api/tags, so it looked "ok"; the one-token request never comes back."""
    ollama.route("POST", "/api/chat", Reply(200, chat("ok", 1), delay=2.5))
    code, lines = doctor(capsys, "--timeout", "0.5")
    assert code == 3
    assert all("FAIL — no answer to a one-token request within 0.5 s" in ln for ln in lines)


def test_a_server_that_answers_in_prose_is_not_ok(
    ollama: Loopback, capsys: pytest.CaptureFixture[str]
) -> None:
    ollama.route("POST", "/api/chat", chat("Sure! Here is a long answer. " * 20, 140))
    code, lines = doctor(capsys)
    assert code == 3
    assert all("answered 140 tokens to a one-token request" in ln for ln in lines)


@pytest.mark.parametrize(("args", "no_color", "colored"), [
    (("--color", "always"), False, True),
    (("--color", "always"), True, True),  # the flag is the user's word for this run
    (("--color", "never"), False, False),
    ((), False, False),  # not a terminal
])  # fmt: skip
def test_color_flag(
    ollama: Loopback,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    no_color: bool,
    colored: bool,
) -> None:
    ollama.route("POST", "/api/chat", chat("ok", 1))
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    _, lines = doctor(capsys, *args)
    assert any(ESC in ln for ln in lines) is colored


def on_a_terminal(args: list[str], env: dict[str, str], cwd: Path) -> str:
    """Run relay-git with stdout and stderr on a pseudo-terminal; what it printed."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "relay_git", *args],
        stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, env=env, cwd=cwd,
    )  # fmt: skip
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # EIO: the terminal's other end closed
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize("no_color", [False, True])
def test_doctor_on_a_terminal_honours_no_color(
    ollama: Loopback, tmp_path: Path, no_color: bool
) -> None:
    ollama.route("POST", "/api/chat", chat("ok", 1))
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    if no_color:
        env["NO_COLOR"] = "1"
    out = on_a_terminal(["doctor"], env, tmp_path)
    assert "reviewer" in out and (ESC in out) is not no_color, out


def test_review_text_is_coloured_on_a_terminal(repo: Path) -> None:
    (repo / "app.py").write_text("def add(a, b):\n    return a - b\n")
    git(repo, "add", "app.py")
    with standin(error_at("app.py", 2)) as server:
        env = dict(os.environ, OLLAMA_HOST=server.url, RELAY_GIT_REVIEWER=SPEC)
        env.pop("NO_COLOR", None)
        out = on_a_terminal(["review", "-q"], env, repo)
    assert "app.py:2: " + "\x1b[31m\x1b[1merror" in out, out
    assert "verdict: \x1b[33m\x1b[1mfix" in out
