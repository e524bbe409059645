"""What the plan, plan-review and edit stages must reply: the trust boundary for their output.

Lenient about spelling (``create`` -> ``write``), strict about shape; values leave as
plain dataclasses (``Plan``, ``Edit``). The JSON schemas carry no ``maxLength`` or
``maxItems``: llama.cpp's grammar builder gives up (and crashes) on nested repetition
bounds, and the stage's ``max_tokens`` bounds the reply anyway; list sizes are checked
by validators instead.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from relay_git.edits import Edit

MAX_PLAN_ITEMS = 20
MAX_EDITS = 30

_ACTIONS = {
    "create": "write",
    "new": "write",
    "overwrite": "write",
    "add": "write",
    "whole": "write",
    "file": "write",
    "edit": "replace",
    "modify": "replace",
    "update": "replace",
    "search_replace": "replace",
    "search/replace": "replace",
}


class PlanFile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    path: str = Field(min_length=1)
    change: str = Field(default="")


class PlanReply(BaseModel):
    """The plan: which files to create or change, and the tests that prove them."""

    model_config = ConfigDict(extra="ignore")

    summary: str = Field(default="")
    files: list[PlanFile] = Field(min_length=1)
    tests: list[str] = Field(default_factory=list)

    @field_validator("tests", mode="before")
    @classmethod
    def _tests(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [v if isinstance(v, str) else str(v.get("name", v)) for v in value]
        return value

    @field_validator("files", "tests")
    @classmethod
    def _few(cls, value: list[Any]) -> list[Any]:
        return value[:MAX_PLAN_ITEMS]


class PlanReviewReply(BaseModel):
    """The reviewer's verdict on a plan; a revision lists the corrected files and tests."""

    model_config = ConfigDict(extra="ignore")

    verdict: Literal["approve", "revise"]
    comments: str = Field(default="")
    files: list[PlanFile] = Field(default_factory=list)
    tests: list[str] = Field(default_factory=list)

    @field_validator("verdict", mode="before")
    @classmethod
    def _verdict(cls, value: Any) -> Any:
        if isinstance(value, str):
            v = value.strip().lower()
            return {"approved": "approve", "ok": "approve", "fix": "revise"}.get(v, v)
        return value

    @field_validator("files", "tests")
    @classmethod
    def _few(cls, value: list[Any]) -> list[Any]:
        return value[:MAX_PLAN_ITEMS]


class EditReply(BaseModel):
    model_config = ConfigDict(extra="ignore")

    path: str = Field(min_length=1)
    action: Literal["write", "replace"] = "write"
    content: str = Field(default="")
    search: str = Field(default="")

    @field_validator("action", mode="before")
    @classmethod
    def _action(cls, value: Any) -> Any:
        if isinstance(value, str):
            v = value.strip().lower()
            return _ACTIONS.get(v, v)
        return value

    @model_validator(mode="after")
    def _needs_search(self) -> EditReply:
        if self.action == "replace" and not self.search:
            raise ValueError(f"{self.path}: a replace edit needs the exact 'search' text")
        return self

    def to_edit(self) -> Edit:
        kind = "write" if self.action == "write" else "replace"
        return Edit(self.path, kind, content=self.content, search=self.search)


class EditsReply(BaseModel):
    """An edit set: whole-file writes, or search/replace blocks (content replaces search)."""

    model_config = ConfigDict(extra="ignore")

    summary: str = Field(default="")
    edits: list[EditReply] = Field(min_length=1)

    @field_validator("edits")
    @classmethod
    def _bounded(cls, value: list[EditReply]) -> list[EditReply]:
        if len(value) > MAX_EDITS:
            raise ValueError(f"at most {MAX_EDITS} edits at a time, got {len(value)}")
        return value

    def to_edits(self) -> list[Edit]:
        return [e.to_edit() for e in self.edits]
