"""The registry: backend name -> type, the one way a ``BACKEND:NAME`` spec becomes a model.

Each type answers for its backend (local, structured output, context) and its built models
answer the same. The real types' ``create`` is checked by their adapter tests; here a
recording type is registered in their place to see what ``create`` hands it, and a fresh
interpreter shows that choosing a backend imports nothing heavy until it is built.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from tests.fakes import FakeBackend

from relay_git.models import _http, listing
from relay_git.models.base import (
    BACKENDS,
    Backend,
    BackendOptions,
    BackendType,
    Listable,
    ModelSpec,
    Structured,
    create,
)

Call = tuple[ModelSpec, BackendOptions, _http.RetryPolicy | None]


def recorder(name: str) -> tuple[type[BackendType], list[Call]]:
    """A type answering like ``name``'s whose ``create`` remembers what it was asked."""
    calls: list[Call] = []

    class Recording(BACKENDS[name]):  # type: ignore[misc,valid-type]
        @classmethod
        def create(
            cls, spec: ModelSpec, options: BackendOptions, retry: _http.RetryPolicy | None = None
        ) -> Backend:
            calls.append((spec, options, retry))
            return FakeBackend(spec.full)

    return Recording, calls


def test_every_backend_is_registered_in_listing_order() -> None:
    assert list(BACKENDS) == ["ollama", "openai", "anthropic", "llamacpp"]


@pytest.mark.parametrize(
    ("spec", "backend", "name"),
    [
        ("qwen3-coder:30b", "ollama", "qwen3-coder:30b"),  # a bare name is Ollama's
        ("ollama:llava:latest", "ollama", "llava:latest"),
        ("openai:gpt-4.1", "openai", "gpt-4.1"),
        ("anthropic:claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5"),
        ("llamacpp:/m/a:b.gguf", "llamacpp", "/m/a:b.gguf"),
    ],
)
def test_create_hands_the_spec_to_its_backends_factory(
    monkeypatch: pytest.MonkeyPatch, spec: str, backend: str, name: str
) -> None:
    recording, calls = recorder(backend)
    monkeypatch.setitem(BACKENDS, backend, recording)
    options = BackendOptions(timeout=7.0)
    retry = _http.RetryPolicy(attempts=2)
    made = create(spec, options, retry)
    assert calls == [(ModelSpec(backend, name), options, retry)]
    assert made.spec == ModelSpec(backend, name)


def test_choosing_a_backend_imports_no_client() -> None:
    """``base`` is imported by every command; httpx and ollama load only when a model is built."""
    code = (
        "import sys\n"
        "from relay_git.models.base import BACKENDS, parse_spec\n"
        "BACKENDS[parse_spec('openai:x').backend]\n"
        "print(sorted(m for m in ('httpx', 'ollama', 'llama_cpp') if m in sys.modules))\n"
        "from relay_git.models.base import BackendOptions, create\n"
        "create('openai:x', BackendOptions())\n"
        "print('httpx' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["[]", "True"]


def test_the_network_backends_can_list_their_models() -> None:
    options = BackendOptions(environ={"OLLAMA_HOST": "127.0.0.1:9"})
    for name in ("ollama", "openai", "anthropic"):
        assert isinstance(create(ModelSpec(name, "m"), options), Listable)
    assert not isinstance(FakeBackend(), Listable)


def test_a_backend_that_cannot_list_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(BACKENDS, "anthropic", recorder("anthropic")[0])
    found = listing.list_backend("anthropic", {}, BackendOptions())
    assert (found.backend, found.models, found.error) == ("anthropic", (), "cannot list its models")


@pytest.mark.parametrize(
    ("name", "structured", "local", "context"),
    [
        ("ollama", Structured.SCHEMA, True, 32768),  # 127.0.0.1:11434 unless OLLAMA_HOST
        ("openai", Structured.SCHEMA, False, 32768),  # api.openai.com
        ("anthropic", Structured.SCHEMA, False, 32768),  # its 200k, within max_context
        ("llamacpp", Structured.GRAMMAR, True, 4096),  # RELAY_GIT_LLAMACPP_CTX's default
    ],
)
def test_each_backend_answers_for_itself_and_its_models_agree(
    name: str, structured: Structured, local: bool, context: int
) -> None:
    """The type's answers without a model, and a built model's: the same (no server runs:
    building one connects to nothing)."""
    options = BackendOptions()
    kind = BACKENDS[name]
    assert (kind.structured, kind.is_local(options), kind.context_limit(options)) == (
        structured,
        local,
        context,
    )
    made = create(ModelSpec(name, "/m.gguf"), options)
    assert (made.structured, made.local) == (structured, local)


def test_anthropic_asks_at_most_its_own_context() -> None:
    assert BACKENDS["anthropic"].context_limit(BackendOptions(max_context=10**6)) == 200_000
