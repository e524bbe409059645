"""What the review CLI tests share: ``relay-git review`` with a scripted reviewer."""

from __future__ import annotations

from tests.fakes import REVIEWER, run_review

run = run_review
__all__ = ["REVIEWER", "run"]
