"""The registry: backend name -> factory, the one way a ``BACKEND:NAME`` spec becomes a model.

The factories of the real backends are checked by their own adapter tests; here a test
factory is registered in their place to see what ``create`` hands it, and a fresh
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
    Listable,
    ModelSpec,
    create,
)


class Recorder:
    """A factory that remembers what it was asked to build."""

    def __init__(self) -> None:
        self.calls: list[tuple[ModelSpec, BackendOptions, _http.RetryPolicy | None]] = []

    def __call__(
        self, spec: ModelSpec, options: BackendOptions, retry: _http.RetryPolicy | None = None, /
    ) -> Backend:
        self.calls.append((spec, options, retry))
        return FakeBackend(spec.full)


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
    recorder = Recorder()
    monkeypatch.setitem(BACKENDS, backend, recorder)
    options = BackendOptions(timeout=7.0)
    retry = _http.RetryPolicy(attempts=2)
    made = create(spec, options, retry)
    assert recorder.calls == [(ModelSpec(backend, name), options, retry)]
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
    monkeypatch.setitem(BACKENDS, "anthropic", Recorder())
    found = listing.list_backend("anthropic", {}, BackendOptions())
    assert (found.backend, found.models, found.error) == ("anthropic", (), "cannot list its models")
