"""What the plan, plan-review and verdict stages must reply: the trust boundary for their output.

Lenient about spelling, strict about shape, and bounded: ``maxItems``/``maxLength`` go
into the schema, so engines whose grammar converter keeps them (in-process llama.cpp)
cannot even write a runaway list; for the others pydantic checks the same bounds after.
Code itself never travels in JSON: it comes as fenced blocks (``blocks.py``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_PLAN_FILES = 10  # a new package with a CLI, its pyproject and README, and tests
MAX_PLAN_TESTS = 8
PATH_CHARS = 120
LINE_CHARS = 300  # a plan's summary, a file's change, a test: each stated in the prompt
COMMENT_CHARS = 400  # the reviewer's correction of a plan, stated in its prompt


class PlanFile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    path: str = Field(min_length=1, max_length=PATH_CHARS)
    change: str = Field(default="", max_length=LINE_CHARS)


class PlanReply(BaseModel):
    """The plan: which files to create or change, and the tests that prove them."""

    model_config = ConfigDict(extra="ignore")

    summary: str = Field(default="", max_length=LINE_CHARS)
    files: list[PlanFile] = Field(min_length=1, max_length=MAX_PLAN_FILES)
    tests: list[str] = Field(default_factory=list, max_length=MAX_PLAN_TESTS)

    @field_validator("tests", mode="before")
    @classmethod
    def _tests(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [v if isinstance(v, str) else str(v.get("name", v)) for v in value]
        return value


class PlanReviewReply(BaseModel):
    """The reviewer's verdict on a plan, and nothing else: an approval costs a few tokens.
    File paths are the plan check's job (``target.check_plan``)."""

    model_config = ConfigDict(extra="ignore")

    verdict: Literal["approve", "revise"]

    @field_validator("verdict", mode="before")
    @classmethod
    def _verdict(cls, value: Any) -> Any:
        return _aliased(value, {"fix": "revise"})


class PlanCorrection(BaseModel):
    """Asked only after a "revise": the one short correction for the coder."""

    model_config = ConfigDict(extra="ignore")

    comments: str = Field(min_length=1, max_length=COMMENT_CHARS)


class VerdictReply(BaseModel):
    """The diff review's first answer, and only that: is the task done? A summary and
    findings are asked for (by the review engine) only when it is not."""

    model_config = ConfigDict(extra="ignore")

    verdict: Literal["approve", "fix", "reject"]

    @field_validator("verdict", mode="before")
    @classmethod
    def _verdict(cls, value: Any) -> Any:
        return _aliased(value, {"revise": "fix"})


def _aliased(value: Any, aliases: dict[str, str]) -> Any:
    """A verdict word as the schema spells it: trimmed, lower case, the common synonyms
    ("approved", "ok") and this reply's own ``aliases`` mapped; anything else unchanged."""
    if not isinstance(value, str):
        return value
    word = value.strip().lower()
    return ({"approved": "approve", "ok": "approve"} | aliases).get(word, word)
