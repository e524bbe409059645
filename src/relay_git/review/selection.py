"""Which parts of a diff are reviewed, and how they are split to fit a model's context.

Every file that is not reviewed is named with its reason, so coverage can tell the
truth; nothing is truncated silently. A changed file left out for what it is rather than
by the user's choice is a gap (``SkippedFile.gap``): binary (not decodable as text),
generated (``linguist-generated`` in the base commit's attributes), a lockfile, or a
secret kept from a remote reviewer. A gap is named with a warning and fails
``--require-full-coverage``. No name list makes a file "generated": ``build/``, ``dist/``,
``vendor/``, ``*_pb2.py`` and ``*.min.js`` are reviewed unless the base commit marks them.
Only ``exclude`` (trusted configuration or flags) leaves a file out without a gap.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from relay_git.review.diff import FileDiff, Hunk
from relay_git.types import SkippedFile

LOCKFILES = frozenset(
    {
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "poetry.lock",
        "Pipfile.lock",
        "uv.lock",
        "pdm.lock",
        "Cargo.lock",
        "Gemfile.lock",
        "composer.lock",
        "go.sum",
        "mix.lock",
        "flake.lock",
        "bun.lockb",
        "npm-shrinkwrap.json",
    }
)
GAPS = frozenset({"binary", "generated", "lockfile", "secret"})  # skipped, yet unseen


def _matches(path: str, patterns: Sequence[str]) -> bool:
    name = PurePosixPath(path).name
    return any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(name, p) for p in patterns)


def matches(path: str, patterns: Sequence[str]) -> bool:
    """Whether ``path`` or its file name matches one of the glob ``patterns``."""
    return _matches(path, patterns)


def skip_reason(
    fd: FileDiff,
    exclude: Sequence[str],
    secrets: Sequence[str],
    local: bool,
    generated: Collection[str] = (),
) -> str | None:
    """Why a file is not reviewed, or None when it is."""
    if fd.is_binary:
        return "binary"
    if fd.status == "deleted":
        return "deleted"
    if not local and _matches(fd.path, secrets):
        return "secret"  # never sent to a backend off this machine
    if _matches(fd.path, exclude):
        return "excluded"
    if PurePosixPath(fd.path).name in LOCKFILES:
        return "lockfile"
    if fd.path in generated:
        return "generated"
    if not fd.hunks:
        return "no content change"
    return None


def select(
    files: Sequence[FileDiff],
    exclude: Sequence[str],
    secrets: Sequence[str],
    local: bool,
    max_files: int,
    generated: Collection[str] = (),
) -> tuple[list[FileDiff], list[SkippedFile]]:
    """The files to review, and every other file with its reason; ``generated`` names the
    files the base commit marks ``linguist-generated``."""
    kept: list[FileDiff] = []
    skipped: list[SkippedFile] = []
    for fd in files:
        reason = skip_reason(fd, exclude, secrets, local, generated)
        if reason is None and len(kept) >= max_files:
            skipped.append(SkippedFile(fd.path, f"over --max-files {max_files}", limit=True))
        elif reason is None:
            kept.append(fd)
        else:
            skipped.append(SkippedFile(fd.path, reason, gap=reason in GAPS))
    return kept, skipped


def render_hunk(hunk: Hunk) -> str:
    """A hunk with new-file line numbers at the left, so a model can cite lines exactly."""
    out = [hunk.header]
    for ln in hunk.lines:
        number = "" if ln.new_no is None else str(ln.new_no)
        out.append(f"{number:>5} {ln.kind}{ln.text}")
    return "\n".join(out)


def file_header(fd: FileDiff) -> str:
    if fd.status == "renamed" and fd.old_path:
        return f"--- a/{fd.old_path}\n+++ b/{fd.path}  (renamed)"
    old = "/dev/null" if fd.status == "added" else f"a/{fd.old_path or fd.path}"
    return f"--- {old}\n+++ b/{fd.path}"


@dataclass(frozen=True)
class Chunk:
    paths: tuple[str, ...]
    text: str
    hunks: int


@dataclass(frozen=True)
class Plan:
    chunks: tuple[Chunk, ...]
    split: tuple[str, ...]  # files spread over several chunks
    too_large: tuple[SkippedFile, ...]  # hunks that fit no chunk


def _pieces(fd: FileDiff, budget: int, count: Callable[[str], int]) -> tuple[list[str], int]:
    """The file as one piece, or split by hunk when it does not fit; hunks that cannot fit drop."""
    header = file_header(fd)
    rendered = [render_hunk(h) for h in fd.hunks]
    header_cost = count(header) + 1
    costs = [count(text) + 1 for text in rendered]
    if header_cost + sum(costs) <= budget:
        return ["\n".join([header, *rendered])], 0
    pieces: list[str] = []
    current: list[str] = []
    used = header_cost
    dropped = 0
    for text, cost in zip(rendered, costs, strict=True):
        if header_cost + cost > budget:
            dropped += 1
            continue
        if current and used + cost > budget:
            pieces.append("\n".join([header, *current]))
            current, used = [], header_cost
        current.append(text)
        used += cost
    if current:
        pieces.append("\n".join([header, *current]))
    return pieces, dropped


def plan_chunks(files: Sequence[FileDiff], budget: int, count: Callable[[str], int]) -> Plan:
    """Pack whole files into chunks up to ``budget`` tokens; split a file by hunk if needed."""
    chunks: list[Chunk] = []
    split: list[str] = []
    too_large: list[SkippedFile] = []
    paths: list[str] = []
    texts: list[str] = []
    hunks = used = 0
    for fd in files:
        pieces, dropped = _pieces(fd, budget, count)
        if dropped:
            too_large.append(
                SkippedFile(fd.path, f"{dropped} hunk(s) too large for the context", limit=True)
            )
        if len(pieces) > 1:
            split.append(fd.path)
        for piece in pieces:
            cost = count(piece) + 1
            if texts and used + cost > budget:
                chunks.append(Chunk(tuple(dict.fromkeys(paths)), "\n".join(texts), hunks))
                paths, texts, hunks, used = [], [], 0, 0
            paths.append(fd.path)
            texts.append(piece)
            hunks += piece.count("\n@@ ")
            used += cost
    if texts:
        chunks.append(Chunk(tuple(dict.fromkeys(paths)), "\n".join(texts), hunks))
    return Plan(tuple(chunks), tuple(split), tuple(too_large))
