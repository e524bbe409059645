"""SARIF 2.1.0 for code scanning (e.g. github/codeql-action/upload-sarif).

One rule per category, one result per finding with a ``%SRCROOT%``-relative location, a
``relayGit/v1`` partial fingerprint, and a fix when the finding carries a suggestion.
Notes and a partial-review warning go to the invocation's notifications, because
results must point at a file.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from relay_git import __version__
from relay_git.reporters._common import counts, partial_warning
from relay_git.types import Category, Finding, Review, Severity

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://github.com/relay-git/relay-git"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "relayGit/v1"

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
RULES: dict[Category, str] = {
    Category.BUG: "Incorrect behaviour: the change does not do what it should.",
    Category.SECURITY: "A security weakness introduced or exposed by the change.",
    Category.TESTS: "Missing, wrong or weakened tests for the change.",
    Category.DESIGN: "Structure, naming or interface problems in the change.",
    Category.STYLE: "Readability and convention issues in the change.",
    Category.PERF: "Needless slowness or resource use in the change.",
}
_RULE_INDEX = {category: i for i, category in enumerate(RULES)}


def render(review: Review) -> str:
    return json.dumps(log(review), indent=2) + "\n"


def _tool() -> dict[str, Any]:
    return {
        "driver": {
            "name": "relay-git",
            "version": __version__,
            "semanticVersion": __version__,
            "informationUri": INFORMATION_URI,
            "rules": [_rule(c, text) for c, text in RULES.items()],
        }
    }


def render_failure(message: str, exit_code: int) -> str:
    """A log with no results whose invocation failed, the error as its notification."""
    invocation = {
        "executionSuccessful": False,
        "exitCode": exit_code,
        "exitCodeDescription": "review not done",
        "toolExecutionNotifications": [{"level": "error", "message": {"text": message}}],
    }
    run = {"tool": _tool(), "invocations": [invocation], "results": []}
    return json.dumps({"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}, indent=2) + "\n"


def log(review: Review) -> dict[str, Any]:
    run: dict[str, Any] = {
        "tool": _tool(),
        "invocations": [_invocation(review)],
        "results": [_result(f) for f in review.findings],
        "columnKind": "unicodeCodePoints",
        "properties": {
            "verdict": review.verdict.value,
            "summary": review.summary,
            "coverage": review.coverage.to_dict(),
        },
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _rule(category: Category, text: str) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": category.value,
        "name": category.value.capitalize(),
        "shortDescription": {"text": text},
        "defaultConfiguration": {"level": "warning"},
        "properties": {"tags": ["relay-git", category.value]},
    }
    return rule


def _invocation(review: Review) -> dict[str, Any]:
    notes = [{"level": "note", "message": {"text": note}} for note in review.notes]
    warning = partial_warning(review.coverage)
    if warning:
        notes.insert(0, {"level": "warning", "message": {"text": warning}})
    summary = f"{review.verdict.value}: {counts(review)}"
    return {
        "executionSuccessful": True,
        "exitCodeDescription": summary,
        "toolExecutionNotifications": notes,
    }


def _artifact(path: str) -> dict[str, str]:
    return {"uri": quote(path, safe="/", errors="surrogateescape"), "uriBaseId": SRCROOT}


def _region(f: Finding) -> dict[str, int]:
    return {"startLine": max(f.line, 1), "endLine": max(f.end_line, f.line, 1)}


def _result(f: Finding) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.category.value,
        "ruleIndex": _RULE_INDEX[f.category],
        "level": LEVELS[f.severity],
        "message": {"text": f.message},
        "locations": [
            {"physicalLocation": {"artifactLocation": _artifact(f.path), "region": _region(f)}}
        ],
    }
    if f.fingerprint:
        result["partialFingerprints"] = {FINGERPRINT_KEY: f.fingerprint}
    if f.suggestion is not None:
        result["fixes"] = [_fix(f, f.suggestion)]
    return result


def _fix(f: Finding, suggestion: str) -> dict[str, Any]:
    """Replace whole lines line..end_line (a line region without columns excludes the
    final newline, so one trailing newline of the suggestion is dropped)."""
    text = suggestion[:-1] if suggestion.endswith("\n") else suggestion
    return {
        "description": {"text": f"Replace lines {f.line}-{f.end_line}"},
        "artifactChanges": [
            {
                "artifactLocation": _artifact(f.path),
                "replacements": [{"deletedRegion": _region(f), "insertedContent": {"text": text}}],
            }
        ],
    }
