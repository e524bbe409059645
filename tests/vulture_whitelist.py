"""Names used only where vulture cannot see them; each line says who uses it.

vulture (tests/test_deadcode.py) reads this file with src/relay_git: a name used here counts as
used. Add a name only when something outside Python's own calls uses it (a decorator that
registers it is listed in pyproject.toml's ``[tool.vulture]`` instead); dead code is deleted,
never listed. Nothing imports this module.
"""

from __future__ import annotations

from vulture.whitelist_utils import Whitelist

from relay_git.models.base import Factory
from relay_git.review.filtermode import FilterMode

_ = Whitelist()

Factory.__call__  # a Protocol's method: every backend factory is called through it
FilterMode.DIFF_CONTEXT  # chosen by value: FilterMode("diff_context") from --filter-mode
_.user_data  # models/llamacpp.py: ctypes calls the log callback with this argument
