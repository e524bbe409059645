"""Reply schemas a tiny local model can be constrained to (llama.cpp grammar), and leniency."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, ValidationError

from relay_git.backends.base import grammar_safe
from relay_git.scaffold.schema import EditsReply, PlanReply, PlanReviewReply
from relay_git.schema import ReviewReply


@pytest.mark.parametrize("model", [PlanReply, PlanReviewReply, EditsReply])
def test_reply_schemas_have_no_length_bounds(model: type[BaseModel]) -> None:
    text = json.dumps(model.model_json_schema())
    assert "maxLength" not in text and "maxItems" not in text


def test_grammar_safe_strips_length_bounds_from_any_schema() -> None:
    text = json.dumps(grammar_safe(ReviewReply.model_json_schema()))
    assert "maxLength" not in text and "maxItems" not in text and '"verdict"' in text


def test_edit_actions_are_lenient_in_spelling_strict_in_shape() -> None:
    reply = EditsReply.model_validate({"edits": [{"path": "a.py", "action": "Create"}]})
    assert reply.to_edits()[0].kind == "write"
    with pytest.raises(ValidationError, match="needs the exact 'search' text"):
        EditsReply.model_validate({"edits": [{"path": "a.py", "action": "modify"}]})
    with pytest.raises(ValidationError, match="at most 30 edits"):
        EditsReply.model_validate({"edits": [{"path": f"{i}.py"} for i in range(31)]})
