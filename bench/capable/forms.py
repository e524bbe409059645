"""How the stand-in writes a reply: JSON that follows the request's schema, and the several
ways a model names each file when one reply holds several.

``fill`` writes what a model under schema-constrained decoding writes: the schema's
properties filled from what the model means to say (``hints``, looked up by property name
and a few synonyms), required properties always present, ``enum`` values chosen by
meaning, and ``maxItems`` / ``maxLength`` kept the way a grammar keeps them (cut off).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

SYNONYMS = {
    "summary": ("summary", "approach", "title", "overview", "description", "rationale"),
    "change": ("change", "changes", "description", "what", "purpose", "reason", "details"),
    "comments": ("comments", "comment", "correction", "notes", "message"),
    "message": ("message", "comment", "description", "body", "text"),
    "tests": ("tests", "test_plan", "test_cases"),
    "steps": ("steps", "plan", "actions"),
}
VERDICT_WORDS = {
    "approve": ("approve", "approved", "accept", "ok", "lgtm", "pass"),
    "fix": ("fix", "revise", "request_changes", "changes_requested", "changes", "reject"),
}
FENCE = re.compile(r"^(\s*)(```+|~~~+)([^\n`]*)$", re.M)


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        node: Any = root
        for part in ref[2:].split("/"):
            node = node.get(part, {}) if isinstance(node, Mapping) else {}
        return _resolve(node, root) if isinstance(node, Mapping) else {}
    for key in ("anyOf", "oneOf", "allOf"):
        options = [o for o in schema.get(key) or [] if o.get("type") != "null"]
        if options:
            return _resolve(options[0], root)
    return schema


def _lookup(hints: Mapping[str, Any], key: str) -> Any:
    if key in hints:
        return hints[key]
    for canon, names in SYNONYMS.items():
        if key in names and canon in hints:
            return hints[canon]
    return None


def _enum(value: Any, options: list[Any]) -> Any:
    if value in options:
        return value
    for words in VERDICT_WORDS.values():
        if value in words:
            found = [o for o in options if str(o).lower() in words]
            if found:
                return found[0]
    return options[0]


def _default(schema: Mapping[str, Any]) -> Any:
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    return {"string": "", "array": [], "object": {}, "integer": 0, "number": 0}.get(
        str(kind), False if kind == "boolean" else ""
    )


def fill(schema: Mapping[str, Any], value: Any, root: Mapping[str, Any] | None = None) -> Any:
    """``value`` (what the model means) written the way ``schema`` asks."""
    root = schema if root is None else root
    schema = _resolve(schema, root)
    if "enum" in schema:
        return _enum(value, list(schema["enum"]))
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return _object(schema, value, root)
    if kind == "array":
        items = value if isinstance(value, list) else ([] if value is None else [value])
        limit = schema.get("maxItems")
        items = items[:limit] if isinstance(limit, int) else items
        return [fill(schema.get("items") or {}, v, root) for v in items]
    if kind in ("integer", "number"):
        return value if isinstance(value, int | float) and not isinstance(value, bool) else 0
    if kind == "boolean":
        return bool(value)
    text = _text(value)
    limit = schema.get("maxLength")
    return text[:limit] if isinstance(limit, int) else text


def _text(value: Any) -> str:
    if isinstance(value, Mapping):
        return ": ".join(str(v) for v in value.values() if v)
    return "" if value is None else str(value)


def _object(schema: Mapping[str, Any], value: Any, root: Mapping[str, Any]) -> dict[str, Any]:
    props: Mapping[str, Any] = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    if isinstance(value, str):  # "name: what it checks" as an object
        head, _, tail = value.partition(": ")
        value = {"name": head, "path": head, "summary": tail or head, "change": tail or head}
    hints: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
    if not props:  # any object: the model writes what it means
        return dict(hints)
    out: dict[str, Any] = {}
    for key, sub in props.items():
        found = _lookup(hints, key)
        if found is not None:
            out[key] = fill(sub, found, root)
        elif key in required:
            out[key] = _default(_resolve(sub, root))
    return out


def as_json(data: Any, style: str, what: str) -> str:
    """The JSON reply as this model writes it: bare, in a ```json fence, or with prose."""
    text = json.dumps(data, indent=2)
    if style == "fence":
        return f"```json\n{text}\n```"
    if style == "prose":
        return f"Here is the {what}:\n\n```json\n{text}\n```\n\nLet me know if you want changes."
    return text


def names_path(text: str, path: str) -> bool:
    """The reply already says which file it is (a search/replace block's path line)."""
    return bool(re.search(rf"^\s*(?:[#*`]+\s*)?{re.escape(path)}\b", text, re.M))


def label(text: str, path: str, style: str) -> str:
    """``text`` (one file's reply) marked with ``path`` in ``style``."""
    if names_path(text, path):
        return text
    opener = FENCE.search(text)
    if style == "info" and opener:
        start, end = opener.span()
        fence = f"{opener.group(1)}{opener.group(2)}{opener.group(3).strip() or 'text'} {path}"
        return text[:start] + fence + text[end:]
    if style == "comment" and opener and path.endswith((".py", ".toml", ".yaml", ".yml", ".cfg")):
        return text[: opener.end()] + f"\n# {path}" + text[opener.end() :]
    if style == "bold":
        return f"**{path}**\n\n{text}"
    return f"### {path}\n\n{text}"
