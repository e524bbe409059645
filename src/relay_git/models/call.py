"""Calling a model: ledger bookkeeping, context checks, and validated structured replies.

Model output is untrusted input: a structured reply is parsed, validated with
pydantic, and on failure sent back with the precise error, a bounded number of times.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from relay_git.errors import ModelOutputError, UsageError
from relay_git.models.base import (
    Backend,
    ChatRequest,
    ChatResult,
    Message,
    OnToken,
    Structured,
)
from relay_git.models.ledger import Ledger, ParseOutcome
from relay_git.models.stops import StopWhen, for_json
from relay_git.safety.redact import known_values, redact
from relay_git.types import LedgerEntry

T = TypeVar("T", bound=BaseModel)

_SURROGATE = re.compile("[\ud800-\udfff]")
_FENCE = re.compile(r"^\s*```[a-zA-Z0-9_-]*\s*\n(.*?)\n?```\s*$", re.DOTALL)


def ask(
    backend: Backend,
    messages: list[Message],
    *,
    stage: str,
    role: str,
    ledger: Ledger,
    max_tokens: int,
    schema: dict[str, object] | None = None,
    on_token: OnToken | None = None,
    temperature: float = 0.0,
    seed: int = 0,
    stop_when: StopWhen | None = None,
) -> ChatResult:
    """One model call, refused up front if it cannot fit the model's context.

    The one way text reaches a model: unless the backend runs on this machine
    (``backend.local``, its backend type's is_local), every message is redacted here, so no
    caller (review, scaffold's stages, test output sent to a fixer) can forget to.
    """
    prompt_tokens = sum(backend.count_tokens(m["content"]) + 4 for m in messages)
    limit = backend.context_length()
    if prompt_tokens + max_tokens > limit:
        raise UsageError(
            f"{stage}: prompt of ~{prompt_tokens} tokens plus {max_tokens} to write "
            f"does not fit {backend.spec}'s {limit}-token context",
            "split the work or choose a model with a larger context",
        )
    sendable = tuple({**m, "content": outgoing(m["content"], backend.local)} for m in messages)
    request = ChatRequest(
        messages=sendable,
        max_tokens=max_tokens,
        schema=schema,
        temperature=temperature,
        seed=seed,
        stop_when=stop_when,
    )
    result = backend.chat(request, on_token)
    _trace(stage, request, result)
    ledger.record(_entry(stage, role, backend, result, max_tokens))
    return result


def _entry(stage: str, role: str, backend: Backend, result: ChatResult, cap: int) -> LedgerEntry:
    return LedgerEntry(
        stage=stage,
        role=role,
        model=backend.spec.full,
        prompt_tokens=result.prompt_tokens,
        output_tokens=result.output_tokens,
        seconds=result.seconds,
        context=result.context,
        cached_tokens=result.cached_tokens,
        done_reason=result.done_reason,
        max_tokens=cap,
        ttft_seconds=result.ttft_seconds,
        decode_seconds=result.decode_seconds,
    )


RETRY_TEMPERATURES = (0.0, 0.3, 0.5)


def retry_temperature(attempt: int) -> float:
    """Attempt 1 is greedy; each retry samples hotter (and with its own seed), so a retry is
    never the identical request that just failed."""
    return RETRY_TEMPERATURES[min(attempt, len(RETRY_TEMPERATURES)) - 1]


def backend_schema(backend: Backend, schema: dict[str, Any]) -> dict[str, object] | None:
    """The schema as this backend's constrained decoding takes it (``backend.structured``):
    whole for in-process llama.cpp's grammar, without length bounds for the servers (whose
    grammar builder crashed on nested bounds), not at all for a backend without one;
    pydantic checks the whole schema after, every time."""
    return backend.structured.keep(schema)


def outgoing(text: str, local: bool) -> str:
    """``text`` as sent: valid Unicode, and with secrets redacted unless the model is local
    (the values of this process's secret-named variables, however encoded, among them)."""
    text = valid_text(text)
    return text if local else redact(text, known_values(os.environ))[0]


TRACE_ENV = "RELAY_GIT_TRACE"


TRACE_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)


def _trace(stage: str, request: ChatRequest, result: ChatResult) -> None:
    """With RELAY_GIT_TRACE=FILE, append each exchange to FILE as JSON: redacted (a local
    model's prompts too) and readable by the user only (0600)."""
    path = os.environ.get(TRACE_ENV)
    if not path:
        return
    known = known_values(os.environ)
    messages = [{**m, "content": redact(m["content"], known)[0]} for m in request.messages]
    record = {
        "stage": stage,
        "temperature": request.temperature,
        "messages": messages,
        "reply": redact(result.text, known)[0],
        "done_reason": result.done_reason,
    }
    with contextlib.suppress(OSError):
        fd = os.open(path, TRACE_FLAGS, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            os.fchmod(fd, 0o600)  # a file that was there before keeps no wider mode
            fh.write(json.dumps(record) + "\n")


def valid_text(text: str) -> str:
    """``text`` as valid Unicode, so every backend can encode the request.

    Bytes of a non-UTF-8 file reach prompts surrogate-escaped (git output is read with
    surrogateescape), and a model's own reply may hold a lone surrogate; each becomes U+FFFD.
    """
    return _SURROGATE.sub("\ufffd", text)


def extract_json(text: str) -> object:
    """Parse a JSON value from a reply, tolerating markdown fences and chatter around it."""
    stripped = text.strip()
    fenced = _FENCE.match(stripped)
    if fenced:
        stripped = fenced.group(1).strip()
    try:
        return json.loads(stripped)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    except json.JSONDecodeError as first:
        start = min((i for i in (stripped.find("{"), stripped.find("[")) if i >= 0), default=-1)
        if start < 0:
            raise ValueError(f"no JSON found: {first.msg}") from None
        decoder = json.JSONDecoder()
        try:
            value, _ = decoder.raw_decode(stripped[start:])
        except json.JSONDecodeError as err:
            raise ValueError(f"invalid JSON at char {err.pos}: {err.msg}") from None
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        return value


# What the retry asks of the model, by why the reply ended; the problem itself is worded for
# the user too (ModelOutputError), so instructions to the model stay out of it.
_RETRY_ASK = {
    "length": "Reply again, whole (you have more room now), ",
    "repetition": "Reply again without repeating, ",
}


def _problem(result: ChatResult, model_cls: type[BaseModel]) -> tuple[BaseModel | None, str]:
    if result.done_reason == "length":
        return None, "the reply was cut off at the token limit"
    if result.done_reason == "repetition":
        return None, "the reply repeated itself and was stopped"
    try:
        data = extract_json(result.text)
    except ValueError as err:
        return None, str(err)
    try:
        return model_cls.model_validate(data), ""
    except ValidationError as err:
        lines = [
            f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in err.errors()
        ]
        return None, "; ".join(lines[:8])


def _retry(messages: list[Message], raw: str, problem: str, why: str) -> list[Message]:
    """The conversation again, with the invalid reply and what was wrong with it."""
    ask_again = _RETRY_ASK.get(why, "Reply again ")
    return [
        *messages,
        {"role": "assistant", "content": raw[:4000]},
        {
            "role": "user",
            "content": f"That reply was not valid: {problem}. {ask_again}"
            "with only a JSON object that matches the schema.",
        },
    ]


def ask_json(
    backend: Backend,
    messages: list[Message],
    model_cls: type[T],
    *,
    stage: str,
    role: str,
    ledger: Ledger,
    max_tokens: int,
    retries: int = 2,
    on_token: OnToken | None = None,
) -> T:
    """A schema-constrained call whose reply is validated, retried with the error on failure."""
    schema = backend_schema(backend, model_cls.model_json_schema())
    # A grammar with bounds closes a looping string itself, with a valid reply; stopping it
    # mid-string would only waste the call. Elsewhere a loop is stopped as it streams.
    bounded = backend.structured is Structured.GRAMMAR
    convo = list(messages)
    raw = ""
    cap = max_tokens
    for attempt in range(1, retries + 2):
        result = ask(
            backend,
            convo,
            stage=stage,
            role=role,
            ledger=ledger,
            max_tokens=cap,
            schema=schema,
            on_token=on_token,
            temperature=retry_temperature(attempt),
            seed=attempt - 1,
            stop_when=None if bounded else for_json,
        )
        raw = result.text
        value, problem = _problem(result, model_cls)
        if result.done_reason == "length":  # a cut-off reply gets room, never the same cap
            cap = min(cap * 3 // 2, max(cap, backend.context_length() // 2))
        if value is not None:
            ledger.record_outcome(ParseOutcome(stage, backend.spec.full, attempt, True))
            return value  # type: ignore[return-value]
        convo = _retry(messages, raw, problem, result.done_reason)
    ledger.record_outcome(ParseOutcome(stage, backend.spec.full, retries + 1, False))
    raise ModelOutputError(
        f"{stage}: {backend.spec} gave no valid reply after {retries + 1} tries ({problem})",
        raw=raw,
    )
