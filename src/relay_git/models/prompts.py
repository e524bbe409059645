"""Prompt templates: files in ``templates/``, overridable per repository, rendered strictly.

A template that names a missing variable raises instead of sending a silent gap to a model.
Templates render in Jinja2's immutable sandbox with no globals: a template can read the
variables it is given and nothing else (no ``__class__``, no ``cycler.__init__.__globals__``,
no calls that change a value), so a hostile override runs no code.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from relay_git.errors import UsageError

UNSAFE_FIX = "a template may only read its variables; fix or remove the override"


def template_dir() -> Traversable:
    """The shipped ``templates/`` folder (prompt templates and ``relay-git init`` starters).

    A wheel has it inside the package (setuptools maps the top-level folder to
    ``relay_git/templates`` at build time); a source checkout or an editable install, whose
    ``relay_git`` is ``src/relay_git``, has the top-level folder beside ``src/``.
    """
    inside = resources.files("relay_git").joinpath("templates")
    if inside.is_dir():
        return inside
    return Path(__file__).resolve().parents[3] / "templates"


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
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
    )
    env.globals.clear()  # no range/cycler/joiner/lipsum/namespace: only the variables
    try:
        return env.from_string(text).render(**variables)
    except jinja2.TemplateSyntaxError as err:
        raise UsageError(f"prompt template {name}, line {err.lineno}: {err.message}") from None
    except jinja2.exceptions.SecurityError as err:
        raise UsageError(f"prompt template {name} is unsafe: {err}", UNSAFE_FIX) from None
    except jinja2.UndefinedError as err:
        raise UsageError(f"prompt template {name}: {err.message}") from None
    except jinja2.TemplateError as err:
        raise UsageError(f"prompt template {name}: {err}") from None
    except (TypeError, ValueError, ArithmeticError, LookupError) as err:
        raise UsageError(f"prompt template {name} failed: {err}") from None
