"""Reply schemas of the plan, plan-review (and its correction) and verdict stages: bounded,
lenient in spelling, strict in shape; and what each backend's constrained decoding is sent."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, ValidationError
from tests.fakes import FakeBackend

from relay_git.models.base import grammar_safe
from relay_git.models.call import backend_schema
from relay_git.review.schema import ReviewReply
from relay_git.scaffold.plan.schema import (
    COMMENT_CHARS,
    MAX_PLAN_FILES,
    MAX_PLAN_TESTS,
    PlanCorrection,
    PlanReply,
    PlanReviewReply,
    VerdictReply,
)


def test_plan_schema_carries_its_bounds_for_the_grammar() -> None:
    """Bounds live in the schema, so an engine that keeps them cannot write a runaway list."""
    schema = PlanReply.model_json_schema()
    assert schema["properties"]["files"]["maxItems"] == MAX_PLAN_FILES
    assert schema["properties"]["tests"]["maxItems"] == MAX_PLAN_TESTS
    assert '"maxLength"' in json.dumps(schema)


@pytest.mark.parametrize("model", [PlanReviewReply, VerdictReply])
def test_a_verdict_is_all_the_large_model_writes(model: type[BaseModel]) -> None:
    """An approval costs a handful of tokens: the schema holds the verdict and nothing else."""
    schema = model.model_json_schema()
    assert list(schema["properties"]) == ["verdict"] and schema["required"] == ["verdict"]


def test_a_plan_correction_is_one_short_line() -> None:
    schema = PlanCorrection.model_json_schema()
    assert schema["properties"]["comments"]["maxLength"] == COMMENT_CHARS
    assert PlanCorrection.model_validate({"comments": "name it slugify"}).comments
    with pytest.raises(ValidationError):
        PlanCorrection.model_validate({"comments": ""})  # asked after "revise": say something
    with pytest.raises(ValidationError, match=f"at most {COMMENT_CHARS} characters"):
        PlanCorrection.model_validate({"comments": "x" * (COMMENT_CHARS + 1)})


@pytest.mark.parametrize("model", [PlanReply, PlanCorrection, ReviewReply])
def test_grammar_safe_strips_length_bounds_from_any_schema(model: type[BaseModel]) -> None:
    text = json.dumps(grammar_safe(model.model_json_schema()))
    assert "maxLength" not in text and "maxItems" not in text and '"properties"' in text


def test_plan_is_bounded_after_the_fact_too() -> None:
    """Servers get the schema without bounds; pydantic still refuses a runaway reply."""
    one = {"path": "a.py", "change": "create"}
    assert len(PlanReply.model_validate({"files": [one]}).files) == 1
    with pytest.raises(ValidationError, match=f"at most {MAX_PLAN_FILES} items"):
        PlanReply.model_validate({"files": [one] * (MAX_PLAN_FILES + 1)})
    with pytest.raises(ValidationError, match="at least 1 item"):
        PlanReply.model_validate({"files": []})
    with pytest.raises(ValidationError):
        PlanReply.model_validate({"files": [{"path": "x" * 121}]})
    with pytest.raises(ValidationError):
        PlanReply.model_validate({"files": [one], "tests": ["t"] * (MAX_PLAN_TESTS + 1)})


def test_plan_tests_may_be_names_or_objects_and_extras_are_ignored() -> None:
    reply = PlanReply.model_validate(
        {"files": [{"path": "a.py", "why": "extra"}], "tests": [{"name": "test_a"}, "test_b"]}
    )
    assert reply.tests == ["test_a", "test_b"] and reply.files[0].change == ""


@pytest.mark.parametrize(
    ("said", "meant"),
    [
        ("Approve", "approve"),
        (" approved ", "approve"),
        ("OK", "approve"),
        ("fix", "revise"),
        ("revise", "revise"),
    ],
)
def test_plan_review_verdict_spellings(said: str, meant: str) -> None:
    assert PlanReviewReply.model_validate({"verdict": said}).verdict == meant


@pytest.mark.parametrize(
    ("said", "meant"),
    [
        ("APPROVE", "approve"),
        ("approved", "approve"),
        ("ok", "approve"),
        ("revise", "fix"),
        ("fix", "fix"),
        ("Reject", "reject"),
    ],
)
def test_verdict_spellings(said: str, meant: str) -> None:
    assert VerdictReply.model_validate({"verdict": said}).verdict == meant


@pytest.mark.parametrize("model", [PlanReviewReply, VerdictReply])
def test_verdicts_are_strict_in_shape(model: type[BaseModel]) -> None:
    with pytest.raises(ValidationError):
        model.model_validate({"verdict": "maybe"})
    with pytest.raises(ValidationError):
        model.model_validate({"comments": "no verdict", "summary": "no verdict"})
    with pytest.raises(ValidationError):
        model.model_validate({"verdict": 1})
    chatty = model.model_validate({"verdict": "approve", "comments": "x" * 500, "summary": "y"})
    assert chatty.model_dump() == {"verdict": "approve"}  # extra text is dropped, never kept


@pytest.mark.parametrize(("spec", "bounded"), [("llamacpp:m.gguf", True), ("ollama:m", False)])
def test_only_in_process_llamacpp_gets_the_bounds_in_its_grammar(spec: str, bounded: bool) -> None:
    sent = json.dumps(backend_schema(FakeBackend(spec), PlanReply.model_json_schema()))
    assert ("maxItems" in sent) is bounded and ("maxLength" in sent) is bounded
