"""The review as JSON: the one findings format, coverage, ledger entries and per-model totals."""

from __future__ import annotations

import json
from typing import Any

from relay_git.types import Review, totals


def payload(review: Review) -> dict[str, Any]:
    return {
        **review.to_dict(),
        "ledger": [e.to_dict() for e in review.ledger],
        "totals": [t.to_dict() for t in totals(review.ledger)],
    }


def render(review: Review) -> str:
    return json.dumps(payload(review), indent=2) + "\n"


def render_failure(message: str, exit_code: int) -> str:
    """No review: the error, and the keys a consumer reads, empty (``.findings`` is [])."""
    data: dict[str, Any] = {
        "error": {"message": message, "exit_code": exit_code},
        "verdict": None,
        "summary": "",
        "findings": [],
        "notes": [],
        "coverage": None,
        "ledger": [],
        "totals": [],
    }
    return json.dumps(data, indent=2) + "\n"
