"""relay-git as a git hook: installing plain hook scripts (install), what a hook run adds
to a review (run: skipping, push ranges, the time budget, failing open) and what it prints
(report). The hook ids are defined here once; .pre-commit-hooks.yaml declares the same."""

from __future__ import annotations

COMMIT_HOOK_ID = "relay-git-review"
PUSH_HOOK_ID = "relay-git-review-push"
HOOK_IDS = {"pre-commit": COMMIT_HOOK_ID, "pre-push": PUSH_HOOK_ID}  # git hook -> hook id
