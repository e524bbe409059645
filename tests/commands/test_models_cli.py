"""`relay-git models` against loopback servers speaking each backend's model-list wire format.

The real servers cannot run here, so tests/loopback.py stands in on 127.0.0.1 with the
documented response shapes: Ollama ``GET /api/tags`` (docs.ollama.com/api/tags:
``{"models": [{"name", "model", "modified_at", "size", "digest", "details"}]}``), the
OpenAI ``GET /v1/models`` list (``{"object": "list", "data": [{"id", "object": "model",
"created", "owned_by"}]}``) and Anthropic ``GET /v1/models`` (platform.claude.com
models-list: ``{"data": [{"id", "type": "model", "display_name", "created_at"}],
"has_more", "first_id", "last_id"}``, with ``x-api-key`` and ``anthropic-version``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.loopback import closed_port, serve

from relay_git.cli import main


def ollama_model(name: str) -> dict[str, object]:
    return {
        "name": name,
        "model": name,
        "modified_at": "2025-10-03T23:34:03.409490317-07:00",
        "size": 3338801804,
        "digest": "a2af6cc3eb7fa8be8504abaf9b04e88f17a119ec3f04a3addf55f92841195f5a",
        "details": {
            "format": "gguf",
            "family": "gemma",
            "families": ["gemma"],
            "parameter_size": "4.3B",
            "quantization_level": "Q4_K_M",
        },
    }


TAGS = {"models": [ollama_model(n) for n in ("qwen3-coder:30b", "gpt-oss:120b", "gemma3:latest")]}
OPENAI_MODELS = {
    "object": "list",
    "data": [
        {"id": "gpt-4.1", "object": "model", "created": 1686935002, "owned_by": "openai"},
        {"id": "gpt-4.1-mini", "object": "model", "created": 1686935003, "owned_by": "openai"},
    ],
}
ANTHROPIC_MODELS = {
    "data": [
        {
            "id": "claude-sonnet-4-5",
            "type": "model",
            "display_name": "Claude Sonnet 4.5",
            "created_at": "2025-09-29T00:00:00Z",
        }
    ],
    "has_more": False,
    "first_id": "claude-sonnet-4-5",
    "last_id": "claude-sonnet-4-5",
}


def models(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["models", *args])
    out, err = capsys.readouterr()
    return code, out, err


def line_of(out: str, spec: str) -> str:
    return next(
        ln for ln in out.splitlines() if ln.strip().startswith(spec + " ") or ln.strip() == spec
    )


def test_ollama_models_with_coder_and_reviewer_marked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve() as server:
        server.route("GET", "/api/tags", TAGS)
        monkeypatch.setenv("OLLAMA_HOST", server.url)
        code, out, _ = models(capsys)
    assert code == 0
    assert f"ollama  {server.url}" in out
    assert line_of(out, "ollama:qwen3-coder:30b").endswith("<- coder")
    assert line_of(out, "ollama:gpt-oss:120b").endswith("<- reviewer")
    assert line_of(out, "ollama:gemma3:latest") == "  ollama:gemma3:latest"
    assert "llamacpp  in process" in out  # the packaged GGUF files are always listed


def test_openai_compatible_and_anthropic_lists(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve() as ollama, serve() as openai, serve() as anthropic:
        ollama.route("GET", "/api/tags", TAGS)
        openai.route("GET", "/v1/models", OPENAI_MODELS)
        anthropic.route("GET", "/v1/models", ANTHROPIC_MODELS)
        monkeypatch.setenv("OLLAMA_HOST", ollama.url)
        monkeypatch.setenv("OPENAI_BASE_URL", f"{openai.url}/v1")
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", anthropic.url)
        monkeypatch.setenv("RELAY_GIT_REVIEWER", "anthropic:claude-sonnet-4-5")
        code, out, _ = models(capsys, "--json")
        [listed] = anthropic.received("/v1/models")
    assert code == 0
    data = json.loads(out)
    by_backend = {b["backend"]: b for b in data["backends"]}
    assert list(by_backend) == ["ollama", "openai", "anthropic", "llamacpp"]
    assert by_backend["openai"]["models"] == ["openai:gpt-4.1", "openai:gpt-4.1-mini"]
    assert by_backend["anthropic"]["models"] == ["anthropic:claude-sonnet-4-5"]
    assert listed.headers["x-api-key"] == "sk-ant-test"
    assert listed.headers["anthropic-version"] == "2023-06-01"
    assert listed.query == "limit=1000"
    assert data["roles"]["reviewer"] == "anthropic:claude-sonnet-4-5"


def test_unreachable_backend_is_one_line_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{closed_port()}/v1")
    code, out, err = models(capsys)
    assert code == 3  # the coder's and reviewer's backend cannot be asked
    ollama = next(ln for ln in out.splitlines() if ln.startswith("ollama"))
    assert "unavailable: cannot reach Ollama at" in ollama and "ollama serve" in ollama
    assert any(
        ln.startswith("openai") and "unavailable: cannot reach" in ln for ln in out.splitlines()
    )
    assert "Traceback" not in out + err and "sk-test" not in out


def test_reviewer_not_pulled_exits_3_and_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve() as server:
        server.route("GET", "/api/tags", {"models": [ollama_model("qwen3-coder:30b")]})
        monkeypatch.setenv("OLLAMA_HOST", server.url)
        code, out, _ = models(capsys)
    assert code == 3
    assert "reviewer ollama:gpt-oss:120b: not served by its backend" in out
    assert line_of(out, "ollama:qwen3-coder:30b").endswith("<- coder")


def test_a_bare_name_is_looked_up_in_ollamas_list(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``qwen3-coder:30b`` is Ollama's model: checked against Ollama's list like the full spec
    (models/listing.roles_served matches a role to its backend's listing by parse_spec)."""
    with serve() as server:
        server.route("GET", "/api/tags", {"models": [ollama_model("gpt-oss:120b")]})
        monkeypatch.setenv("OLLAMA_HOST", server.url)
        monkeypatch.setenv("RELAY_GIT_CODER", "qwen3-coder:30b")
        code, out, _ = models(capsys)
    assert code == 3
    assert "coder ollama:qwen3-coder:30b: not served by its backend" in out


def test_llamacpp_lists_packaged_files_and_configured_paths(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from relay_git.models.local import packaged

    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(b"GGUF")
    monkeypatch.setenv("OLLAMA_HOST", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("RELAY_GIT_CODER", f"llamacpp:{gguf}")
    monkeypatch.setenv("RELAY_GIT_REVIEWER", f"llamacpp:{tmp_path / 'missing.gguf'}")
    code, out, _ = models(capsys)
    assert code == 3  # the reviewer's file is missing
    assert line_of(out, f"llamacpp:{gguf}").endswith("<- coder")
    assert line_of(out, f"llamacpp:{tmp_path / 'missing.gguf'}").endswith(
        "<- reviewer  (file not found)"
    )
    for spec, ready in packaged():  # nothing is assembled or downloaded just to list
        assert spec in out
        assert ready or "(assembled on first use)" in line_of(out, spec)
