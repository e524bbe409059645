"""Applying what a coding model writes: whole files, Python partial edits merged by
qualified name, SEARCH/REPLACE blocks and unified diffs, several files per reply.

Pure: no I/O, no git, no models. ``apply_reply`` is the entry point, ``edit_formats`` the
matching prompt text. ``blocks`` is the one-fenced-block form the K drafts are written in,
with the Python helpers the verifier shares (``defined_names``, ``stub``).
"""

from __future__ import annotations

from relay_git.scaffold.draft.apply import Applied, apply_reply
from relay_git.scaffold.draft.formats import edit_formats

__all__ = ["Applied", "apply_reply", "edit_formats"]
