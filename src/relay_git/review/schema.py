"""What a model must reply, as pydantic models: the trust boundary for model output.

Validators are lenient about spelling (``High`` -> error, ``security issue`` -> security)
but strict about shape; everything here is turned into plain values before leaving.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from relay_git.review.findings import Proposed
from relay_git.types import Category, Severity, Verdict
from relay_git.util.text import UNPRINTABLE

_SEVERITY_ALIASES = {
    "critical": "error",
    "high": "error",
    "blocker": "error",
    "major": "error",
    "err": "error",
    "medium": "warning",
    "warn": "warning",
    "minor": "info",
    "low": "info",
    "note": "info",
    "nit": "info",
    "suggestion": "info",
}
_CATEGORY_ALIASES = {
    "correctness": "bug",
    "logic": "bug",
    "error": "bug",
    "test": "tests",
    "testing": "tests",
    "performance": "perf",
    "maintainability": "design",
    "readability": "style",
    "docs": "style",
    "documentation": "style",
}


def _printable(value: Any) -> Any:
    """A reply's text without control characters (see util.text.UNPRINTABLE)."""
    return UNPRINTABLE.sub("", value.replace("\r\n", "\n")) if isinstance(value, str) else value


def _enum_text(value: Any, aliases: dict[str, str]) -> Any:
    if isinstance(value, str):
        key = value.strip().lower()
        return aliases.get(key, key)
    return value


class FindingReply(BaseModel):
    model_config = ConfigDict(extra="ignore")

    path: str = Field(min_length=1, max_length=1024)
    line: int = Field(ge=1)
    end_line: int | None = Field(default=None, ge=1)
    severity: Severity
    category: Category = Category.BUG
    message: str = Field(min_length=1, max_length=4000)
    suggestion: str | None = Field(default=None, max_length=20000)

    @field_validator("path", "message", "suggestion", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return _printable(value)

    @field_validator("severity", mode="before")
    @classmethod
    def _severity(cls, value: Any) -> Any:
        return _enum_text(value, _SEVERITY_ALIASES)

    @field_validator("category", mode="before")
    @classmethod
    def _category(cls, value: Any) -> Any:
        value = _enum_text(value, _CATEGORY_ALIASES)
        known = isinstance(value, str) and value in {c.value for c in Category}
        return value if known else Category.DESIGN.value

    def to_proposed(self) -> Proposed:
        return Proposed(
            path=self.path,
            line=self.line,
            end_line=self.end_line,
            severity=self.severity,
            category=self.category,
            message=self.message,
            suggestion=self.suggestion or None,
        )


class ReviewReply(BaseModel):
    model_config = ConfigDict(extra="ignore")

    verdict: Verdict
    summary: str = Field(default="", max_length=8000)
    findings: list[FindingReply] = Field(default_factory=list, max_length=100)

    @field_validator("summary", mode="before")
    @classmethod
    def _summary(cls, value: Any) -> Any:
        return _printable(value)

    @field_validator("verdict", mode="before")
    @classmethod
    def _verdict(cls, value: Any) -> Any:
        aliases = {"approved": "approve", "lgtm": "approve", "changes": "fix", "rejected": "reject"}
        return _enum_text(value, aliases)
