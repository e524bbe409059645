"""JSON reporter: the documented shape, ledger entries and per-model totals."""

from __future__ import annotations

import json

from relay_git.reporters import json as json_reporter
from relay_git.types import Review


def test_shape(review: Review) -> None:
    data = json.loads(json_reporter.render(review))
    assert set(data) == {"verdict", "summary", "findings", "notes", "coverage", "ledger", "totals"}
    assert data["verdict"] == "fix"
    assert data["findings"] == [f.to_dict() for f in review.findings]
    assert data["notes"] == list(review.notes)
    assert data["coverage"]["complete"] is False
    assert data["coverage"]["skipped"][0] == {
        "path": "poetry.lock",
        "reason": "lockfile",
        "limit": False,
        "gap": True,  # skipped unseen: a partial review (issue 18)
    }


def test_ledger_and_totals(review: Review) -> None:
    data = json.loads(json_reporter.render(review))
    assert data["ledger"][0] == {
        "stage": "plan",
        "role": "coder",
        "model": "ollama:qwen3-coder:30b",
        "prompt_tokens": 1200,
        "output_tokens": 300,
        "seconds": 2.5,
        "tokens_per_second": 120.0,
        "context": 8192,
        "cached_tokens": 0,  # past the first eight keys: what the prefix cache served
        "done_reason": "stop",
        "max_tokens": 0,
        "ttft_seconds": None,  # time to first token and decode time: not timed apart here
        "decode_seconds": None,
    }
    assert [(t["model"], t["calls"], t["output_tokens"]) for t in data["totals"]] == [
        ("ollama:qwen3-coder:30b", 2, 500),
        ("ollama:gpt-oss:120b", 1, 400),
    ]


def test_indented_and_clean(clean: Review) -> None:
    out = json_reporter.render(clean)
    assert out.startswith('{\n  "verdict": "approve"')
    data = json.loads(out)
    assert data["findings"] == [] and data["ledger"] == [] and data["totals"] == []
    assert data["coverage"]["complete"] is True
