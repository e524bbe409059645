"""Where relay-git keeps the user's own files (XDG base directories; environ passed in)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def _base(environ: Mapping[str, str], var: str, fallback: str) -> Path:
    value = environ.get(var, "")
    if value and Path(value).is_absolute():  # the XDG spec ignores relative values
        return Path(value)
    home = environ.get("HOME") or str(Path.home())
    return Path(home) / fallback


def config_dir(environ: Mapping[str, str]) -> Path:
    """``$XDG_CONFIG_HOME/relay-git`` (default ``~/.config/relay-git``): config, trust record."""
    return _base(environ, "XDG_CONFIG_HOME", ".config") / "relay-git"


def data_dir(environ: Mapping[str, str]) -> Path:
    """``$XDG_DATA_HOME/relay-git`` (default ``~/.local/share/relay-git``)."""
    return _base(environ, "XDG_DATA_HOME", ".local/share") / "relay-git"
