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


def render_failure(fmt: str, message: str, exit_code: int) -> str | None:
    """A review that could not be done, as a document of ``fmt`` (JSON, SARIF, Markdown) so
    a consumer (``jq``, a SARIF upload) still gets valid input; None for terminal text,
    where the error on stderr is the whole story."""
    if fmt == "text":
        return None
    module = importlib.import_module(f"relay_git.reporters.{fmt}")
    text: str = module.render_failure(message, exit_code)
    return text
