"""Prompt templates: files in ``templates/``, overridable per repository, rendered strictly.

A template that names a missing variable raises instead of sending a silent gap to a model.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from relay_git.errors import UsageError


def template_dir() -> Traversable:
    """The shipped ``templates/`` folder (prompt templates and ``relay-git init`` starters).

    A wheel has it inside the package (setuptools maps the top-level folder to
    ``relay_git/templates`` at build time); a source checkout or an editable install, whose
    ``relay_git`` is ``src/relay_git``, has the top-level folder beside ``src/``.
    """
    inside = resources.files("relay_git").joinpath("templates")
    if inside.is_dir():
        return inside
    return Path(__file__).resolve().parents[2] / "templates"


def _package_text(name: str) -> str:
    return template_dir().joinpath(name).read_text(encoding="utf-8")


def source(name: str, override_dir: Path | None = None) -> str:
    """The template text: the repository's override if it has one, else the packaged one."""
    if override_dir is not None:
        candidate = override_dir / name
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    try:
        return _package_text(name)
    except FileNotFoundError:
        raise UsageError(f"no prompt template named {name!r}") from None


def digest(*texts: str) -> str:
    """A short hash of template texts: part of every cache key."""
    h = hashlib.sha256()
    for text in texts:
        h.update(text.encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def render(text: str, name: str, **variables: Any) -> str:
    import jinja2  # deferred: the cached review path never renders

    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
    )
    try:
        return env.from_string(text).render(**variables)
    except jinja2.UndefinedError as err:
        raise UsageError(f"prompt template {name}: {err.message}") from None
    except jinja2.TemplateSyntaxError as err:
        raise UsageError(f"prompt template {name}, line {err.lineno}: {err.message}") from None
