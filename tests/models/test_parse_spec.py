"""Model specs: BACKEND:NAME, a bare name is Ollama, a mistyped backend is a usage error."""

from __future__ import annotations

from pathlib import Path

import pytest

from relay_git.cli import main
from relay_git.errors import UsageError
from relay_git.models.base import ModelSpec, parse_spec


@pytest.mark.parametrize(
    ("spec", "backend", "name"),
    [
        ("openai:gpt-4.1", "openai", "gpt-4.1"),
        ("anthropic:claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5"),
        ("llamacpp:/models/a:b.gguf", "llamacpp", "/models/a:b.gguf"),
        ("ollama:nope:x", "ollama", "nope:x"),  # the explicit way to any Ollama name
        ("qwen3-coder:30b", "ollama", "qwen3-coder:30b"),
        ("gpt-oss:120b", "ollama", "gpt-oss:120b"),
        ("llama3.2:3b", "ollama", "llama3.2:3b"),
        ("mistral:7b", "ollama", "mistral:7b"),
        ("mistral:instruct", "ollama", "mistral:instruct"),
        ("llava:latest", "ollama", "llava:latest"),
        ("phi3:mini", "ollama", "phi3:mini"),
        ("codellama:code", "ollama", "codellama:code"),  # close to "ollama", but longer
        ("tinyllama:latest", "ollama", "tinyllama:latest"),
        ("openchat:7b", "ollama", "openchat:7b"),
        ("hf.co/bartowski/Qwen3-GGUF:Q4_K_M", "ollama", "hf.co/bartowski/Qwen3-GGUF:Q4_K_M"),
        ("localhost:5000/team/model:tag", "ollama", "localhost:5000/team/model:tag"),
        ("qwen3", "ollama", "qwen3"),
    ],
)
def test_specs(spec: str, backend: str, name: str) -> None:
    assert parse_spec(spec) == ModelSpec(backend, name)


@pytest.mark.parametrize(
    ("spec", "hint"),
    [
        ("antropic:claude-sonnet-4-5", "did you mean anthropic:claude-sonnet-4-5?"),
        ("Anthropic:claude-sonnet-4-5", "did you mean anthropic:claude-sonnet-4-5?"),
        ("olama:qwen3-coder:30b", "did you mean ollama:qwen3-coder:30b?"),
        ("openia:gpt-4.1", "did you mean openai:gpt-4.1?"),
        ("llamacp:/m.gguf", "did you mean llamacpp:/m.gguf?"),
        ("nope:x", "known backends: ollama, openai, anthropic, llamacpp."),
        ("nope:qwen3:30b", "known backends:"),
        ("gemini:pro", "known backends:"),
    ],
)
def test_unknown_backend_is_a_usage_error(spec: str, hint: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_spec(spec)
    assert caught.value.exit_code == 2
    assert f"unknown backend {spec.partition(':')[0]!r} in model spec {spec!r}" in str(caught.value)
    assert hint in str(caught.value)
    assert f"For an Ollama model of that name write ollama:{spec}" in str(caught.value)


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--reviewer", "antropic:claude-sonnet-4-5"], {}, "--reviewer: unknown backend"),
        (["--reviewer", "nope:x"], {}, "--reviewer: unknown backend 'nope'"),
        (["--reviewer", "openai:m"], {"OPENAI_BASE_URL": "127.0.0.1:8080/v1"}, "OPENAI_BASE_URL:"),
    ],
)
def test_review_refuses_before_any_model_call(
    repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    env: dict[str, str],
    message: str,
) -> None:
    monkeypatch.chdir(repo)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    (repo / "a.py").write_text("x = 1\n")
    assert main(["review", "--staged", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"relay-git: error: {message}")
    assert len(err.strip().splitlines()) == 1
