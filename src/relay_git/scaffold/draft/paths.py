"""Path labels as models write them, and the refusal of obviously unsafe ones.

``label_path`` reads a line that only names a file (``src/app.py``, `` `src/app.py` ``,
``**src/app.py**``, ``### src/app.py``, ``File: src/app.py``). ``safe_path`` normalises a
label (``./a.py`` -> ``a.py``) or says why it is refused: absolute, ``..``, inside ``.git/``,
backslashes, control characters. The caller still confines paths to the work tree.
"""

from __future__ import annotations

import re

_PREFIX = re.compile(
    r"^(?:file(?:name)?|path|new file|updated? file|create|update)\s*:?\s+(?=\S)", re.IGNORECASE
)
_LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_REMARK = re.compile(r"\s*\((?:new|updated?|changed|modified|complete|full)[^()]*\)\s*:?\s*$", re.I)
_DECOR = " \t*`#>_\"'"
_CANDIDATE = re.compile(r"^(?:[A-Za-z]:)?[\\/]?[\w.@+~\\/-]+$")
_EXT = re.compile(r"^[\w@+~.-]*\.(?P<ext>[A-Za-z0-9_]+)$")
# Extensions a bare file name must have to read as a path: `Store.remove` is a method.
_EXTENSIONS = (
    "py pyi pyx toml md mdx rst txt cfg ini json jsonc yaml yml lock sh bash zsh fish ps1 bat "
    "js mjs cjs ts tsx jsx vue svelte html htm css scss sass less xml svg csv tsv sql graphql "
    "proto rs go java kt kts swift c h cc cpp hpp cs rb php pl lua r jl scala ex exs erl hs "
    "ml dart zig nim tf hcl j2 jinja jinja2 tmpl tpl mk cmake gradle properties env example "
    "gitignore gitattributes dockerignore editorconfig flake8 pylintrc coveragerc typed in "
    "conf service ipynb patch diff"
)
_KNOWN = frozenset(_EXTENSIONS.split())
_VERSION = re.compile(r"^v?\d+(?:\.\d+)+$")
_BARE_NAMES = frozenset(
    {"Makefile", "Dockerfile", "LICENSE", "Procfile", "Justfile", "Gemfile", "Rakefile"}
)
_PROSE_END = re.compile(r"`(?P<path>[^`\s]+)`\**\s*(?:\([^()`]*\))?\s*:\**\s*$")


def looks_like_path(text: str) -> bool:
    """``text`` reads as a file path (safe or not): a name with an extension, a dotfile, a
    known bare name (``Makefile``), or something with a slash."""
    if not _CANDIDATE.match(text) or text.endswith(("/", "\\")):
        return False
    last = re.split(r"[\\/]", text)[-1]
    if _VERSION.match(last):
        return False
    ext = _EXT.match(last)
    known = ext is not None and ext["ext"].lower() in _KNOWN
    return known or last in _BARE_NAMES or ("/" in text and bool(last))


def label_path(line: str) -> str | None:
    """The path a line names when it names only a path, with markdown decoration (``**``,
    backticks, ``###``, a list mark), a ``File:`` prefix or a ``(new file)`` remark."""
    text = _REMARK.sub("", line).strip().strip(_DECOR)
    text = _LIST_MARK.sub("", text).strip(_DECOR).rstrip(":")
    text = _PREFIX.sub("", text.strip(_DECOR)).strip(_DECOR).rstrip(":").strip(_DECOR)
    return text if text and looks_like_path(text) else None


def prose_path(line: str) -> str | None:
    """The backticked path that ends a short prose line before its colon: "Update
    `src/app.py`:", "Create `tests/test_app.py` (new file):"; not "(it imports `a.py`):"."""
    text = line.strip()
    match = _PROSE_END.search(text)
    if len(text) > 160 or match is None or not looks_like_path(match["path"]):
        return None
    return match["path"]


def safe_path(raw: str) -> tuple[str | None, str]:
    """``(normalised path, "")`` or ``(None, why it is refused)``."""
    if any(ord(c) < 32 or ord(c) == 127 for c in raw):
        return None, "contains control characters"
    if "\\" in raw:
        return None, "uses backslashes; write it with forward slashes"
    if raw.startswith("/") or re.match(r"^[A-Za-z]:", raw):
        return None, "is absolute; write it relative to the repository root"
    if raw.startswith("~"):
        return None, "starts with ~; write it relative to the repository root"
    parts = [p for p in raw.split("/") if p not in ("", ".")]
    if not parts:
        return None, "is empty"
    if ".." in parts:
        return None, "leaves the repository (..)"
    if ".git" in parts:
        return None, "is inside .git/"
    return "/".join(parts), ""
