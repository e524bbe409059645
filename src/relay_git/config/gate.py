"""What an untrusted repository's own files may set: nothing gated, and nothing that makes a
review looser than the built-in default.

Gated keys (``schema.GATED``) choose where text goes or what runs; an untrusted file's are
dropped, except that its secret patterns only add to the defaults. The review-loosening keys
are kept only when they tighten the review: ``fail_on`` at or below the default threshold,
``max_files``, ``timeout`` and ``max_context`` at or above the default (fewer files
reviewed, a model call cut short so a hook fails open, or hunks "too large for the context"
would silence it), and no ``exclude`` at all. Every value
dropped is one notice line naming the setting and its file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from relay_git.config import trust
from relay_git.config.schema import DEFAULT_SECRET_PATTERNS, FIELDS, GATED

# Lower is stricter: "info" fails on everything, "never" on nothing.
_THRESHOLD = {"info": 0, "warning": 1, "error": 2, "never": 3}


def _default(key: str) -> Any:
    return FIELDS[key].default


# Per key: does this value make the review at least as strict as the default?
TIGHTENS: dict[str, Callable[[Any], bool]] = {
    "exclude": lambda value: not value,
    "fail_on": lambda value: _THRESHOLD[value] <= _THRESHOLD[_default("fail_on")],
    "max_files": lambda value: value >= _default("max_files"),
    "timeout": lambda value: value >= _default("timeout"),
    "max_context": lambda value: value >= _default("max_context"),
}


@dataclass(frozen=True)
class Layer:
    """The settings one source made, and which file, variable or flag made each."""

    label: str  # the file, "the environment" or "flags"
    values: Mapping[str, Any]
    sources: Mapping[str, str]  # per key: the file, the variable or the flag


def loosens(key: str, value: Any) -> bool:
    check = TIGHTENS.get(key)
    return check is not None and not check(value)


def needs_trust(layer: Layer) -> bool:
    """Whether an untrusted repository file sets something trust would change."""
    return any(key in GATED or loosens(key, value) for key, value in layer.values.items())


def gate(layer: Layer, notices: list[str]) -> Layer:
    """An untrusted repository file without the gated keys or the loosening values; its
    secret patterns only add."""
    values, sources = dict(layer.values), dict(layer.sources)
    for key, value in layer.values.items():
        if (key in GATED and key != "secret_patterns") or loosens(key, value):
            notices.append(trust.notice(key, layer.label))
            del values[key], sources[key]
    if "secret_patterns" in values:
        own = values["secret_patterns"]
        dropped = [p for p in DEFAULT_SECRET_PATTERNS if p not in own]
        if dropped:
            shown = ", ".join(dropped[:3]) + (", …" if len(dropped) > 3 else "")
            what = f"the removal of {len(dropped)} default secret_patterns ({shown})"
            notices.append(trust.notice(what, layer.label))
        extra = tuple(p for p in own if p not in DEFAULT_SECRET_PATTERNS)
        values["secret_patterns"] = DEFAULT_SECRET_PATTERNS + extra
        sources["secret_patterns"] = f"defaults + {layer.label}"
    return Layer(layer.label, values, sources)
