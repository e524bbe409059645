"""One definition of "local" (issue 11, finding 8): loopback by address, never by name.

Each backend type's ``is_local`` decides whether secrets may go to a model, for review,
scaffold and every call (call.ask redacts the rest). A host counts only as an IP literal in
127.0.0.0/8 or ::1, or exactly ``localhost`` (not resolved); names are never looked up, and
forms only the C library accepts (``127.1``, ``0x7f.1``) count as remote: the safe side is
redaction.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from relay_git.app import build
from relay_git.models.base import BackendOptions, ModelSpec, backend_type
from relay_git.models.loopback import is_loopback_url


def is_local(spec: ModelSpec, options: BackendOptions) -> bool:
    return backend_type(spec).is_local(options)


LOOPBACK = [
    "http://127.0.0.1:8080/v1",
    "http://127.0.0.1",
    "https://127.255.3.4:1/v1",
    "http://localhost:11434",
    "http://LOCALHOST:11434",
    "http://[::1]:8080/v1",
    "http://[::ffff:127.0.0.1]:8080",
    "127.0.0.1:11434",
    "localhost",
]
REMOTE = [
    "http://127.evil.example.com/v1",
    "http://127.0.0.1.evil.example.com/v1",
    "http://localhost.evil.com:11434",
    "http://localhost./v1",
    "http://evil.localhost/v1",
    "http://0x7f.1/v1",
    "http://127.1/v1",
    "http://2130706433/v1",
    "http://0177.0.0.1/v1",
    "http://127.0.0.1@evil.com/v1",
    "http://localhost:80@evil.com/v1",
    "http://user:pw@127.0.0.1/v1",
    "http://evil.com\\@127.0.0.1/v1",
    "http://127.0.0.1\\@evil.com/v1",
    "http://10.0.0.7:11434",
    "http://192.168.1.2/v1",
    "http://[::2]/v1",
    "http://[fe80::1]/v1",
    "https://api.openai.com/v1",
    "http://0.0.0.0:8080/v1",
    "http://127.0.0.1:99999/v1",
    "ftp://127.0.0.1/v1",
    "http:///v1",
    "http://[::1/v1",
]


@pytest.mark.parametrize("url", LOOPBACK)
def test_loopback_addresses_are_local(url: str) -> None:
    assert is_loopback_url(url)
    assert is_local(ModelSpec("openai", "m"), BackendOptions(openai_base_url=url))


@pytest.mark.parametrize("url", REMOTE)
def test_names_and_tricks_are_remote(url: str) -> None:
    assert not is_loopback_url(url)
    assert not is_local(ModelSpec("openai", "m"), BackendOptions(openai_base_url=url))
    assert not is_local(ModelSpec("anthropic", "m"), BackendOptions({"ANTHROPIC_BASE_URL": url}))


@pytest.mark.parametrize(
    ("spec", "environ", "local"),
    [
        (ModelSpec("llamacpp", "/m.gguf"), {"OLLAMA_HOST": "http://far.example.com"}, True),
        (ModelSpec("ollama", "m"), {}, True),  # Ollama's default is 127.0.0.1:11434
        (ModelSpec("ollama", "m"), {"OLLAMA_HOST": "0.0.0.0"}, True),  # the backend dials 127.0.0.1
        (ModelSpec("ollama", "m"), {"OLLAMA_HOST": "[::]:11434"}, True),
        (ModelSpec("ollama", "m"), {"OLLAMA_HOST": "127.evil.example.com"}, False),
        (ModelSpec("ollama", "m"), {"OLLAMA_HOST": "localhost.evil.com:11434"}, False),
        (ModelSpec("ollama", "m"), {"OLLAMA_HOST": "http://127.0.0.1@evil.com"}, False),
        (ModelSpec("openai", "m"), {}, False),  # api.openai.com
        (ModelSpec("openai", "m"), {"OPENAI_BASE_URL": "http://127.0.0.1:8080/v1"}, True),
        (ModelSpec("openai", "m"), {"RELAY_GIT_OPENAI_BASE_URL": "http://[::1]:1/v1"}, True),
        (ModelSpec("anthropic", "m"), {}, False),
        (ModelSpec("anthropic", "m"), {"ANTHROPIC_BASE_URL": "http://localhost:9"}, True),
    ],
)
def test_each_backend_by_where_it_sends(
    spec: ModelSpec, environ: dict[str, str], local: bool
) -> None:
    assert is_local(spec, BackendOptions(environ)) is local


@pytest.mark.parametrize(
    ("reviewer", "environ", "local"),
    [
        ("openai:m", {"RELAY_GIT_OPENAI_BASE_URL": "http://127.0.0.1:8080/v1"}, True),
        ("openai:m", {"RELAY_GIT_OPENAI_BASE_URL": "http://127.evil.example.com/v1"}, False),
        ("ollama:m", {"OLLAMA_HOST": "127.evil.example.com"}, False),
        ("anthropic:m", {}, False),
    ],
)
def test_review_scaffold_and_backends_agree(
    repo: Path, reviewer: str, environ: dict[str, str], local: bool
) -> None:
    """The review's choice, the app's (scaffold seats) and the built backend's are one."""
    app = build(repo, environ, {"reviewer": reviewer})
    assert app.reviewer(use_cache=False).local is local
    assert app.is_local(reviewer) is local
    assert app.make_backend(reviewer).local is local


def test_config_base_url_counts_like_the_environment(repo: Path) -> None:
    app = build(repo, {}, {"openai_base_url": "http://127.0.0.1:8080/v1"})
    assert app.is_local("openai:m") and app.make_backend("openai:m").local
