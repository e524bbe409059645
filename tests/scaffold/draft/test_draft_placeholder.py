"""Which comments stand for code a model left out, and which are code's own comments."""

from __future__ import annotations

import pytest

from relay_git.scaffold.draft.placeholder import is_placeholder


@pytest.mark.parametrize(
    "line",
    [
        "    # ... existing code ...",
        "# ...",
        "// ... rest of file",
        "# …rest unchanged",
        "    # (rest of the class unchanged)",
        "# other methods remain the same",
        "# existing code here",
        "# keep existing imports",
        "# Rest of the file unchanged",
        "<!-- ... -->",
        "# remaining functions omitted for brevity",
        "# [...]",
        "# (unchanged)",
        "// existing code",
    ],
)
def test_placeholder_comments(line: str) -> None:
    assert is_placeholder(line)


@pytest.mark.parametrize(
    "line",
    [
        "# return the value unchanged if all checks pass",
        "# TODO: handle more cases",
        "# compute the rest",
        "# Other cases fall through",
        "# other functions use this helper",
        "# existing items keep their count",
        "#!/usr/bin/env python",
        "x = 1  # ... existing",
        "...",
    ],
)
def test_code_comments_and_code_are_not_placeholders(line: str) -> None:
    assert not is_placeholder(line)
