"""The in-process llama.cpp backend on real GGUF models (SmolLM2-135M and Gemma 3 270M).

No fakes: llama-cpp-python loads the real weights and generates every token here.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from relay_git.errors import BackendUnavailable
from relay_git.models import llamacpp
from relay_git.models.base import Backend, BackendOptions, ChatRequest, LlamaCpp, create

pytestmark = pytest.mark.realmodel

PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}
VERDICT = {
    "type": "object",
    "properties": {
        "verdict": {"enum": ["approve", "fix", "reject"]},
        "summary": {"type": "string", "maxLength": 60},
    },
    "required": ["verdict", "summary"],
    "additionalProperties": False,
}
STORY = ({"role": "user", "content": "Write a long story about a cat."},)


def _backend(path: Path, **environ: str) -> Backend:
    """The backend with ``environ``, and the suite's thread count (tests/conftest.py sets
    one thread while other test workers share the cores)."""
    threads = {k: v for k, v in os.environ.items() if k == LlamaCpp.THREADS_ENV}
    return create(f"llamacpp:{path}", BackendOptions(environ={**threads, **environ}))


@pytest.fixture
def smollm2(smollm2_gguf: Path) -> Backend:
    return _backend(smollm2_gguf)


@pytest.fixture
def gemma(gemma_gguf: Path) -> Backend:
    return _backend(gemma_gguf)


def test_plain_chat_reports_usage_and_context(smollm2: Backend) -> None:
    messages = (
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "What is the capital of France? Answer in one word."},
    )
    result = smollm2.chat(ChatRequest(messages=messages, max_tokens=24))
    assert "paris" in result.text.lower()
    assert result.prompt_tokens > smollm2.count_tokens(messages[1]["content"])
    assert 0 < result.output_tokens <= 24
    assert result.context == smollm2.context_length() == 4096
    assert result.seconds > 0
    assert result.done_reason in {"stop", "length"}


def test_the_generation_loop_times_first_token_and_decode_apart(smollm2: Backend) -> None:
    """Prefill of a long prompt lands in the time to first token; the decode time is
    llama.cpp's own for the output tokens, within the loop's time after the first token."""
    long = ({"role": "user", "content": "Summarise: " + "the cat sat on the mat. " * 150},)
    result = smollm2.chat(ChatRequest(messages=long, max_tokens=16))
    assert result.ttft_seconds is not None and result.decode_seconds is not None
    assert result.output_tokens > 1 and result.ttft_seconds > 0
    assert 0 < result.decode_seconds <= result.seconds - result.ttft_seconds + 0.01


def test_max_tokens_bounds_the_reply(smollm2: Backend) -> None:
    result = smollm2.chat(ChatRequest(messages=STORY, max_tokens=7))
    assert result.output_tokens == 7
    assert result.done_reason == "length"


def test_on_token_sees_every_output_token(smollm2: Backend) -> None:
    seen: list[int] = []
    result = smollm2.chat(ChatRequest(messages=STORY, max_tokens=12), on_token=seen.append)
    assert seen == list(range(1, result.output_tokens + 1))
    assert result.output_tokens == 12


def test_same_seed_same_reply(smollm2: Backend) -> None:
    request = ChatRequest(messages=STORY, max_tokens=16, temperature=0.8, seed=7)
    assert smollm2.chat(request).text == smollm2.chat(request).text


@pytest.mark.parametrize(
    ("prompt", "schema"),
    [
        ("Describe a person as JSON with a name and an age.", PERSON),
        ("Review this change: `x = 1` became `x = 2`. Reply as JSON.", VERDICT),
    ],
)
def test_schema_constrained_reply_is_valid_json(
    smollm2: Backend, prompt: str, schema: dict[str, Any]
) -> None:
    request = ChatRequest(
        messages=({"role": "user", "content": prompt},), max_tokens=96, schema=schema
    )
    result = smollm2.chat(request)
    assert result.done_reason == "stop", result.text
    jsonschema.validate(json.loads(result.text), schema)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [("", 0), ("Hello world", 2), ("def add(a, b):\n    return a + b\n", 13), ("<|im_end|>", 1)],
)
def test_count_tokens_is_exact(smollm2: Backend, text: str, tokens: int) -> None:
    assert smollm2.count_tokens(text) == tokens


@pytest.mark.parametrize(
    ("environ", "max_context", "expected"),
    [
        ({}, 32768, 4096),
        ({llamacpp.CTX_ENV: "2048"}, 32768, 2048),
        ({llamacpp.CTX_ENV: "2048"}, 1024, 1024),
        ({llamacpp.CTX_ENV: "65536"}, 65536, 8192),  # SmolLM2 was trained on 8192
    ],
)
def test_context_is_the_smallest_limit(
    smollm2_gguf: Path, environ: dict[str, str], max_context: int, expected: int
) -> None:
    options = BackendOptions(environ=environ, max_context=max_context)
    assert create(f"llamacpp:{smollm2_gguf}", options).context_length() == expected


def test_model_is_loaded_once_per_process(smollm2_gguf: Path) -> None:
    first = llamacpp.load(smollm2_gguf, 4096)
    assert llamacpp.load(smollm2_gguf, 4096) is first
    assert first.llm.chat_format == "chat_template.default"  # SmolLM2 ships its template


def test_the_thread_setting_reaches_llama_cpp(smollm2_gguf: Path) -> None:
    threads = LlamaCpp.THREADS_ENV
    _backend(smollm2_gguf, **{threads: "1", llamacpp.CTX_ENV: "1536"}).check()
    assert llamacpp.load(smollm2_gguf, 1536).llm.n_threads == 1


def test_check_loads_the_model(smollm2: Backend) -> None:
    smollm2.check()


def test_check_rejects_a_file_that_is_not_a_model(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"GGUF but not really" * 100)
    with pytest.raises(BackendUnavailable, match="could not load") as caught:
        _backend(bogus).check()
    assert caught.value.fix == llamacpp.LOCAL_FIX


def test_gemma_short_chat_keeps_the_system_prompt(gemma: Backend) -> None:
    user = {"role": "user", "content": "Say hello."}
    system = {"role": "system", "content": "You are a terse code reviewer who never rambles."}
    bare = gemma.chat(ChatRequest(messages=(user,), max_tokens=8))
    with_system = gemma.chat(ChatRequest(messages=(system, user), max_tokens=8))
    assert llamacpp.load(Path(gemma.spec.name), 4096).llm.chat_format == "gemma"
    assert with_system.prompt_tokens >= bare.prompt_tokens + gemma.count_tokens(system["content"])
    assert 0 < with_system.output_tokens <= 8
    assert with_system.context == 4096


def test_gemma_schema_constrained_verdict(gemma: Backend) -> None:
    request = ChatRequest(
        messages=({"role": "user", "content": "Is `x = 1` correct Python? Answer as JSON."},),
        max_tokens=48,
        schema=VERDICT,
    )
    result = gemma.chat(request)
    assert result.done_reason == "stop", result.text
    jsonschema.validate(json.loads(result.text), VERDICT)


def test_loading_a_model_prints_nothing(
    gemma_gguf: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    backend = _backend(gemma_gguf, **{llamacpp.CTX_ENV: "1536"})  # a context no test has loaded
    assert backend.context_length() == 1536
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
