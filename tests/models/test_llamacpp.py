"""The llama.cpp backend's pure parts: context choice, chat format choice, system folding.

Generation on real models is in tests/realmodel/test_llamacpp_backend.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from relay_git.errors import BackendUnavailable, UsageError
from relay_git.models import llamacpp
from relay_git.models.base import BackendOptions, LlamaCpp, Message, create


@pytest.mark.parametrize(
    ("environ", "max_context", "expected"),
    [
        ({}, 32768, 4096),
        ({}, 2048, 2048),
        ({"RELAY_GIT_LLAMACPP_CTX": "8192"}, 32768, 8192),
        ({"RELAY_GIT_LLAMACPP_CTX": " 1024 "}, 32768, 1024),
        ({"RELAY_GIT_LLAMACPP_CTX": "8192"}, 6000, 6000),
        ({"RELAY_GIT_LLAMACPP_CTX": ""}, 32768, 4096),
    ],
)
def test_requested_context(environ: dict[str, str], max_context: int, expected: int) -> None:
    options = BackendOptions(environ=environ, max_context=max_context)
    assert LlamaCpp.context_limit(options) == expected


@pytest.mark.parametrize("raw", ["lots", "0", "-5", "4k"])
def test_bad_context_setting_is_a_usage_error(raw: str) -> None:
    options = BackendOptions(environ={"RELAY_GIT_LLAMACPP_CTX": raw})
    with pytest.raises(UsageError, match="RELAY_GIT_LLAMACPP_CTX"):
        LlamaCpp.context_limit(options)


@pytest.mark.parametrize(
    ("environ", "expected"), [({}, 2), ({"RELAY_GIT_LLAMACPP_THREADS": " 1 "}, 1)]
)
def test_threads(environ: dict[str, str], expected: int) -> None:
    assert LlamaCpp.threads(BackendOptions(environ=environ)) == expected


@pytest.mark.parametrize("raw", ["many", "0", "-1"])
def test_bad_threads_setting_is_a_usage_error(raw: str) -> None:
    options = BackendOptions(environ={"RELAY_GIT_LLAMACPP_THREADS": raw})
    with pytest.raises(UsageError, match="RELAY_GIT_LLAMACPP_THREADS"):
        LlamaCpp.threads(options)


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({"tokenizer.chat_template": "{% for m in messages %}…", "general.architecture": "llama"},
         "chat_template.default"),
        ({"tokenizer.chat_template": "{{ x }}", "general.architecture": "gemma3"},
         "chat_template.default"),
        ({"general.architecture": "gemma3"}, "gemma"),
        ({"general.architecture": "gemma2"}, "gemma"),
        ({"general.architecture": "llama"}, "chatml"),
        ({"tokenizer.chat_template": "", "general.architecture": "qwen2"}, "chatml"),
        ({}, "chatml"),
    ],
)  # fmt: skip
def test_chat_format_for(metadata: dict[str, str], expected: str) -> None:
    assert llamacpp.chat_format_for(metadata) == expected


def _msgs(*pairs: tuple[str, str]) -> tuple[Message, ...]:
    return tuple({"role": role, "content": content} for role, content in pairs)


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        (_msgs(("user", "hi")), _msgs(("user", "hi"))),
        (_msgs(("system", "be terse"), ("user", "hi")), _msgs(("user", "be terse\n\nhi"))),
        (
            _msgs(("system", "a"), ("system", "b"), ("user", "hi"), ("assistant", "yo"),
                  ("user", "again")),
            _msgs(("user", "a\n\nb\n\nhi"), ("assistant", "yo"), ("user", "again")),
        ),
        (_msgs(("system", "only")), _msgs(("user", "only"))),
        (_msgs(("assistant", "x"), ("system", "s"), ("user", "u")),
         _msgs(("assistant", "x"), ("user", "s\n\nu"))),
    ],
)  # fmt: skip
def test_fold_system(messages: tuple[Message, ...], expected: tuple[Message, ...]) -> None:
    before = [dict(m) for m in messages]
    assert tuple(llamacpp.fold_system(messages)) == expected
    assert list(messages) == before  # the request's messages are not modified


def test_missing_model_file_is_backend_unavailable(tmp_path: Path) -> None:
    backend = create(f"llamacpp:{tmp_path / 'nope.gguf'}", BackendOptions())
    with pytest.raises(BackendUnavailable, match="does not exist") as caught:
        backend.check()
    assert caught.value.fix == llamacpp.LOCAL_FIX
    assert caught.value.exit_code == 3


def test_missing_llama_cpp_is_backend_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # makes the import fail
    with pytest.raises(BackendUnavailable, match="llama-cpp-python is not installed") as caught:
        create(f"llamacpp:{model}", BackendOptions()).check()
    assert caught.value.fix == llamacpp.LOCAL_FIX
