"""What the plan, plan-review and edit stages must reply: the trust boundary for their output.

Lenient about spelling (``create`` -> ``write``), strict about shape; values leave as
plain dataclasses (``Plan``, ``Edit``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from relay_git.edits import Edit

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

    path: str = Field(min_length=1, max_length=400)
    change: str = Field(default="", max_length=2000)


class PlanReply(BaseModel):
    """The plan: which files to create or change, and the tests that prove them."""

    model_config = ConfigDict(extra="ignore")

    summary: str = Field(default="", max_length=4000)
    files: list[PlanFile] = Field(min_length=1, max_length=20)
    tests: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("tests", mode="before")
    @classmethod
    def _tests(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [v if isinstance(v, str) else str(v.get("name", v)) for v in value]
        return value


class PlanReviewReply(BaseModel):
    """The reviewer's verdict on a plan; a revision lists the corrected files and tests."""

    model_config = ConfigDict(extra="ignore")

    verdict: Literal["approve", "revise"]
    comments: str = Field(default="", max_length=4000)
    files: list[PlanFile] = Field(default_factory=list, max_length=20)
    tests: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("verdict", mode="before")
    @classmethod
    def _verdict(cls, value: Any) -> Any:
        if isinstance(value, str):
            v = value.strip().lower()
            return {"approved": "approve", "ok": "approve", "fix": "revise"}.get(v, v)
        return value


class EditReply(BaseModel):
    model_config = ConfigDict(extra="ignore")

    path: str = Field(min_length=1, max_length=400)
    action: Literal["write", "replace"] = "write"
    content: str = Field(default="", max_length=200_000)
    search: str = Field(default="", max_length=50_000)

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

    summary: str = Field(default="", max_length=2000)
    edits: list[EditReply] = Field(min_length=1, max_length=30)

    def to_edits(self) -> list[Edit]:
        return [e.to_edit() for e in self.edits]
