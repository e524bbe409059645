"""Which path an unlabelled piece of a reply belongs to.

- Every piece unlabelled, one path asked: the edits and the first block in that path's
  language (or without a language) go to it; other blocks are illustrations, ignored.
- Several paths asked: an unlabelled block goes to the one asked path of its language that
  no labelled block covers; when that is ambiguous, the model is asked to label its blocks.
- Blocks in a shell or console language without a label (usage examples) are ignored.
- A diff names its own files and is routed by its headers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import PurePosixPath

from relay_git.scaffold.draft.fences import Edit, Fenced, Piece
from relay_git.scaffold.draft.udiff import is_diff_block

LANGS = {
    ".py": ("python", "py", "python3"),
    ".pyi": ("python", "py"),
    ".toml": ("toml",),
    ".md": ("markdown", "md"),
    ".rst": ("rst", "restructuredtext"),
    ".json": ("json",),
    ".yaml": ("yaml", "yml"),
    ".yml": ("yaml", "yml"),
    ".cfg": ("ini", "cfg", "toml"),
    ".ini": ("ini", "cfg"),
    ".txt": ("text", "txt", "plaintext"),
    ".sh": ("bash", "sh", "shell", "zsh"),
    ".js": ("javascript", "js"),
    ".ts": ("typescript", "ts"),
    ".html": ("html",),
    ".css": ("css",),
}
_EXAMPLES = frozenset({"bash", "sh", "shell", "console", "shell-session", "zsh", "text", "pycon"})


def lang_of(path: str) -> str:
    """The fence language a path is written in ('' when unknown)."""
    return LANGS.get(PurePosixPath(path).suffix.lower(), ("",))[0]


def _fits(lang: str, path: str) -> bool:
    return lang in LANGS.get(PurePosixPath(path).suffix.lower(), ())


def _is_diff(piece: Piece) -> bool:
    return isinstance(piece, Fenced) and is_diff_block(piece.lang, piece.body)


def route(pieces: Sequence[Piece], asked: Sequence[str]) -> tuple[list[Piece], list[str]]:
    """The pieces with paths given where they can be, and the problems of those that cannot."""
    loose = [p for p in pieces if p.path is None and not _is_diff(p)]
    if not loose:
        return list(pieces), []
    labelled = [p for p in pieces if p.path is not None or _is_diff(p)]
    if not labelled and len(asked) == 1:
        return _to_one(pieces, asked[0]), []
    covered = {p.path for p in labelled}
    open_paths = [a for a in asked if a not in covered]
    out: list[Piece] = []
    problems: list[str] = []
    for piece in pieces:
        if piece.path is not None or _is_diff(piece):
            out.append(piece)
            continue
        target = _by_language(piece, open_paths, loose)
        if target is not None:
            out.append(replace(piece, path=target))
        elif (not labelled or isinstance(piece, Edit)) and not _example(piece):
            problems.append(_unlabelled(piece, asked))
    return out, problems


def _to_one(pieces: Sequence[Piece], path: str) -> list[Piece]:
    blocks = [p for p in pieces if isinstance(p, Fenced)]
    fitting = [b for b in blocks if _fits(b.lang, path)] or [b for b in blocks if not b.lang]
    sole = blocks[0] if len(blocks) == 1 and not _example(blocks[0]) else None
    first = fitting[0] if fitting else sole
    return [replace(p, path=path) for p in pieces if isinstance(p, Edit) or p is first]


def _by_language(piece: Piece, open_paths: Sequence[str], loose: Sequence[Piece]) -> str | None:
    if not isinstance(piece, Fenced) or not piece.lang:
        return None
    paths = [a for a in open_paths if _fits(piece.lang, a)]
    same = [p for p in loose if isinstance(p, Fenced) and p.lang == piece.lang]
    return paths[0] if len(paths) == 1 and len(same) == 1 else None


def _example(piece: Piece) -> bool:
    return isinstance(piece, Fenced) and piece.lang in _EXAMPLES


def _unlabelled(piece: Piece, asked: Sequence[str]) -> str:
    kind = "SEARCH/REPLACE block" if isinstance(piece, Edit) else "fenced block"
    names = ", ".join(f"`{a}`" for a in asked) or "the file's path"
    return (
        f"the {kind} at reply line {piece.line} names no file, so it was not applied; "
        f"label each block with its path on the line just above it ({names})"
    )
