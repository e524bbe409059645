from __future__ import annotations

import dataclasses

import pytest
from tests.fakes import FakeBackend, review_reply

from relay_git.errors import ModelOutputError, UsageError
from relay_git.models.base import ChatRequest, ChatResult, OnToken, Structured
from relay_git.models.call import ask_json, extract_json
from relay_git.models.ledger import Ledger
from relay_git.review.schema import ReviewReply


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ('```json\n{"a": 1}\n```', {"a": 1}),
        ('Sure! Here it is: {"a": [1, 2]} hope that helps', {"a": [1, 2]}),
        ("  [1]  ", [1]),
    ],
)
def test_extract_json(text: str, expected: object) -> None:
    assert extract_json(text) == expected


@pytest.mark.parametrize("text", ["", "no json here", '{"a": ', "```\n{oops}\n```"])
def test_extract_json_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        extract_json(text)


def test_retry_sends_the_validation_error_back() -> None:
    fake = FakeBackend().enqueue('{"verdict": "maybe"}', review_reply("approve"))
    ledger = Ledger()
    reply = ask_json(
        fake,
        [{"role": "user", "content": "review"}],
        ReviewReply,
        stage="review",
        role="reviewer",
        ledger=ledger,
        max_tokens=100,
    )
    assert reply.verdict.value == "approve"
    assert len(fake.history) == 2
    retry = fake.history[1].messages
    assert retry[-2]["content"] == '{"verdict": "maybe"}'
    assert "verdict" in retry[-1]["content"] and "not valid" in retry[-1]["content"]
    assert fake.history[0].schema is not None  # constrained decoding was asked for
    assert [o.attempts for o in ledger.outcomes] == [2]
    assert len(ledger.entries) == 2


@pytest.mark.parametrize(
    ("structured", "bounds", "sent"),
    [
        (Structured.GRAMMAR, True, True),
        (Structured.SCHEMA, False, True),
        (Structured.NONE, False, False),
    ],
)
def test_the_schema_sent_is_what_the_backend_keeps(
    structured: Structured, bounds: bool, sent: bool
) -> None:
    """The backend answers what its constrained decoding keeps; the reply is validated
    against the whole schema whatever was sent."""
    fake = FakeBackend().enqueue('{"verdict": "maybe"}', review_reply("approve"))
    fake.structured = structured
    reply = ask_json(
        fake,
        [{"role": "user", "content": "review"}],
        ReviewReply,
        stage="review",
        role="reviewer",
        ledger=Ledger(),
        max_tokens=100,
    )
    assert reply.verdict.value == "approve" and len(fake.history) == 2
    schema = fake.history[0].schema
    assert (schema is not None) is sent
    assert ("maxLength" in str(schema)) is bounds


def test_gives_up_with_the_raw_reply() -> None:
    fake = FakeBackend().enqueue("garbage 1", "garbage 2", "garbage 3")
    with pytest.raises(ModelOutputError) as info:
        ask_json(
            fake,
            [{"role": "user", "content": "x"}],
            ReviewReply,
            stage="review",
            role="reviewer",
            ledger=Ledger(),
            max_tokens=10,
            retries=2,
        )
    assert info.value.raw == "garbage 3"
    assert info.value.exit_code == 3


def test_lenient_spellings_validate() -> None:
    reply = ReviewReply.model_validate(
        {
            "verdict": "LGTM",
            "findings": [
                {
                    "path": "a.py",
                    "line": 1,
                    "severity": "High",
                    "category": "security issue",
                    "message": "m",
                    "extra": 1,
                }
            ],
        }
    )
    assert reply.verdict.value == "approve"
    assert reply.findings[0].severity.value == "error"
    assert reply.findings[0].category.value == "design"


def test_refuses_a_prompt_that_cannot_fit() -> None:
    fake = FakeBackend(context=100)
    with pytest.raises(UsageError, match="does not fit"):
        ask_json(
            fake,
            [{"role": "user", "content": "x" * 1000}],
            ReviewReply,
            stage="review",
            role="reviewer",
            ledger=Ledger(),
            max_tokens=10,
        )
    assert fake.history == []


class Looping(FakeBackend):
    """Every reply ends as a repetition the stream stopped (done_reason "repetition")."""

    def chat(self, request: ChatRequest, on_token: OnToken | None = None) -> ChatResult:
        result = super().chat(request, on_token)
        return dataclasses.replace(result, done_reason="repetition")


def test_the_user_never_sees_the_retry_instruction_for_the_model() -> None:
    fake = Looping().enqueue("la la la", "la la la", "la la la")
    with pytest.raises(ModelOutputError) as info:
        ask_json(
            fake,
            [{"role": "user", "content": "x"}],
            ReviewReply,
            stage="review",
            role="reviewer",
            ledger=Ledger(),
            max_tokens=10,
        )
    said = str(info.value)
    assert "repeated itself" in said and "reply again" not in said.lower()
    assert "Reply again without repeating" in fake.history[1].messages[-1]["content"]
