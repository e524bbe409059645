"""relay-git: the small model writes, the large model reviews."""

from __future__ import annotations

__version__ = "0.1.0"
