"""Reporters: each renders a Review (or ledger entries) to a string; only the CLI prints."""

from __future__ import annotations

import importlib

from relay_git.types import Review

FORMATS = ("text", "json", "sarif", "markdown")  # the formats of `relay-git review --format`


def render(review: Review, fmt: str) -> str:
    """``review`` in ``fmt``; each reporter is imported only when it is used."""
    module = importlib.import_module(f"relay_git.reporters.{fmt}")
    text: str = module.render(review)
    return text
