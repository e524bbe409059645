"""Progress messages show the elapsed time and, for a review in chunks, the part n/m."""

from __future__ import annotations

import io

import pytest
from tests.fakes import FakeBackend, review_reply

from relay_git.cli_support.common import Ticking, elapsed
from relay_git.models.ledger import Ledger
from relay_git.review.engine import Reviewer, ReviewSettings


@pytest.mark.parametrize(("seconds", "shown"), [(0.4, "0s"), (12.9, "12s"), (185, "3m05s")])
def test_elapsed(seconds: float, shown: str) -> None:
    assert elapsed(seconds) == shown


def test_ticking_message_is_current_at_every_redraw() -> None:
    now = [100.0]
    msg = Ticking("reviewing part 2/5 (a.py)", 88.0, clock=lambda: now[0])
    assert str(msg) == "reviewing part 2/5 (a.py) · 12s"
    now[0] = 160.0
    from rich.console import Console

    out = io.StringIO()
    Console(file=out, force_terminal=True, width=80).print(msg)  # as the spinner draws it
    assert "reviewing part 2/5 (a.py) · 1m12s" in out.getvalue()


def test_review_in_chunks_reports_part_n_of_m() -> None:
    diff = "".join(
        f"diff --git a/f{i}.py b/f{i}.py\n--- a/f{i}.py\n+++ b/f{i}.py\n@@ -1 +1 @@\n"
        f"-old\n+{'x' * 3000}\n"
        for i in range(3)
    )
    fake = FakeBackend("ollama:r", context=2400)
    fake.default = review_reply()
    said: list[str] = []
    settings = ReviewSettings("ollama:r", local=True, jobs=1, max_output_tokens=256)
    Reviewer(settings, lambda: fake, Ledger(), None, said.append).review(diff)
    assert said == [f"reviewing part {i}/3 (f{i - 1}.py)" for i in (1, 2, 3)]


def test_paths_in_progress_are_not_markup() -> None:
    from rich.console import Console

    out = io.StringIO()
    Console(file=out, force_terminal=True).print(Ticking("part 1/1 ([/bold] x.py)", 0, lambda: 1))
    assert "part 1/1 ([/bold] x.py) · 1s" in out.getvalue()
