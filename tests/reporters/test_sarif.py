"""SARIF reporter, validated against the official SARIF 2.1.0 schema (see tests/data/README.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from relay_git.reporters import sarif
from relay_git.types import Category, Coverage, Finding, Review, Severity, Verdict

SCHEMA = json.loads(
    (Path(__file__).parent.parent / "data" / "sarif-schema-2.1.0.json").read_text("utf-8")
)
VALIDATOR = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
# RFC 3986 relative reference made of unreserved characters, "/" and percent-escapes
RELATIVE_URI = re.compile(r"(?:[A-Za-z0-9\-._~/]|%[0-9A-F]{2})+")


def _validate(doc: dict[str, Any]) -> None:
    errors = sorted(VALIDATOR.iter_errors(doc), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_schema_file_is_the_official_one() -> None:
    assert SCHEMA["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    jsonschema.Draft7Validator.check_schema(SCHEMA)


def test_valid_against_schema(review: Review, clean: Review) -> None:
    _validate(json.loads(sarif.render(review)))
    _validate(json.loads(sarif.render(clean)))


def test_validator_rejects_a_broken_log(review: Review) -> None:
    """Guards the guard: a region starting at line 0 is invalid SARIF."""
    doc = sarif.log(review)
    doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert list(VALIDATOR.iter_errors(doc))


def test_driver_and_rules(review: Review) -> None:
    driver = sarif.log(review)["runs"][0]["tool"]["driver"]
    assert driver["name"] == "relay-git"
    assert driver["version"] == "0.1.0"
    assert driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == [c.value for c in Category]


def test_results(review: Review) -> None:
    run = sarif.log(review)["runs"][0]
    by_fp = {r["partialFingerprints"]["relayGit/v1"]: r for r in run["results"]}
    bug = by_fp["fp-bug-1"]
    assert bug["ruleId"] == "bug"
    assert run["tool"]["driver"]["rules"][bug["ruleIndex"]]["id"] == "bug"
    assert bug["level"] == "error"
    assert bug["message"]["text"].startswith("Off-by-one")
    location = bug["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "src/app.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 3, "endLine": 3}
    assert "fixes" not in bug


def test_fix_from_suggestion(review: Review) -> None:
    (style,) = [r for r in sarif.log(review)["runs"][0]["results"] if r["ruleId"] == "style"]
    (change,) = style["fixes"][0]["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "src/app.py"
    assert change["replacements"] == [
        {
            "deletedRegion": {"startLine": 14, "endLine": 16},
            "insertedContent": {"text": "    out = [f(x) for x in xs]"},
        }
    ]


def test_uri_is_percent_encoded(review: Review) -> None:
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in sarif.log(review)["runs"][0]["results"]
    ]
    assert "docs/%C3%A4%20dir/read%20me.md" in uris
    assert all(RELATIVE_URI.fullmatch(u) for u in uris)


@pytest.mark.parametrize(
    ("severity", "level"),
    [(Severity.ERROR, "error"), (Severity.WARNING, "warning"), (Severity.INFO, "note")],
)
def test_levels(severity: Severity, level: str) -> None:
    finding = Finding("a.py", 1, 1, severity, Category.PERF, "slow")
    review = Review(
        Verdict.FIX, "", (finding,), Coverage(("a.py",), hunks_reviewed=1, hunks_total=1)
    )
    (result,) = sarif.log(review)["runs"][0]["results"]
    assert result["level"] == level
    assert "partialFingerprints" not in result  # no fingerprint given, none invented
    _validate(sarif.log(review))


def test_partial_review_and_notes_are_notifications(review: Review) -> None:
    (invocation,) = sarif.log(review)["runs"][0]["invocations"]
    texts = [(n["level"], n["message"]["text"]) for n in invocation["toolExecutionNotifications"]]
    assert texts[0][0] == "warning" and texts[0][1].startswith("PARTIAL REVIEW")
    assert ("note", "Consider a CHANGELOG entry") in texts
