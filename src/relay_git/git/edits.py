"""Model output -> an edit set -> a safe, all-or-nothing apply confined to a worktree.

Model-proposed paths are untrusted: absolute paths, ``..``, ``.git`` in any spelling,
symlinks that lead out of the worktree, control characters and non-regular files are
refused with the reason. So are paths that steer git, CI, hook managers, editors' task
runners or relay-git itself (``PROTECTED``, ``PROTECTED_PATHS``, and the folder
``core.hooksPath`` names), unless the user allows them (``--allow-path GLOB``), and any
change to the ``[tool.relay-git]`` table of a ``pyproject.toml`` (relay-git's own settings,
which no allow admits). Every edit is checked and computed in memory before the first byte
is written, so a bad edit set leaves the worktree as it was.
"""

from __future__ import annotations

import fnmatch
import re
import stat
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from relay_git.errors import UnsafeEdit
from relay_git.git.run import git
from relay_git.util.fs import atomic_write

MAX_FILE_BYTES = 1_000_000
MAX_PATH_CHARS = 400
MAX_NAME_BYTES = 255  # one path component, as file systems allow
_HFS_IGNORED = re.compile("[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]")
# Any path component matching one of these (in any case): .gitignore, .gitattributes,
# .gitmodules, .githooks/, .github/ (workflows, actions), hook managers (pre-commit, husky,
# lefthook), direnv, dev containers, CI systems and relay-git's own configuration. A model
# edit here could run code on the user's next commit, shell or editor, or in CI, hide files
# from review, or change what relay-git does.
PROTECTED = (
    ".git*",
    ".pre-commit-config.yaml",
    ".relay-git",
    ".relay-git.toml",
    ".husky",
    "lefthook.*",
    ".lefthook.*",
    "lefthook-local.*",
    ".lefthook-local.*",
    ".envrc",
    ".devcontainer",
    ".devcontainer.json",
    ".circleci",
    "jenkinsfile",
    ".travis.yml",
    ".buildkite",
    "azure-pipelines.yml",
    "bitbucket-pipelines.yml",
)
# Whole relative paths (lower case, at any depth): a file whose name alone is harmless.
PROTECTED_PATHS = (".vscode/tasks.json", "*/.vscode/tasks.json")


class EditFailed(ValueError):
    """A well-formed edit that does not apply (search text missing, bad line range)."""


@dataclass(frozen=True)
class Edit:
    """One file change: a whole-file ``write``, a ``replace`` block, or a ``lines`` range."""

    path: str
    kind: str  # "write" | "replace" | "lines"
    content: str = ""  # write: the whole file; replace/lines: the replacement text
    search: str = ""  # replace: exact text to find
    line: int = 0  # lines: first line (1-based) of the range to replace
    end_line: int = 0

    def describe(self) -> str:
        if self.kind == "write":
            return f"write {self.path} ({len(self.content.splitlines())} lines)"
        if self.kind == "lines":
            return f"replace {self.path}:{self.line}-{self.end_line}"
        return f"search/replace in {self.path}"


def _refuse(path: str, reason: str) -> UnsafeEdit:
    return UnsafeEdit(f"refused edit to {path!r}: {reason}")


def check_path(path: str) -> PurePosixPath:
    """The path as a clean relative POSIX path, or UnsafeEdit saying why not."""
    if not path or not path.strip():
        raise _refuse(path, "empty path")
    if len(path) > MAX_PATH_CHARS:
        raise _refuse(path[:40], f"path longer than {MAX_PATH_CHARS} characters")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in path):
        raise _refuse(path, "control character or NUL in the path")
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        raise _refuse(path, "the path is not valid Unicode (a lone surrogate)") from None
    text = path.replace("\\", "/")
    if text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        raise _refuse(path, "absolute paths are not allowed")
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if not parts:
        raise _refuse(path, "names no file")
    for part in parts:
        if part == "..":
            raise _refuse(path, "'..' leaves the worktree")
        if len(part.encode("utf-8")) > MAX_NAME_BYTES:
            raise _refuse(path, f"a name longer than {MAX_NAME_BYTES} bytes")
        if is_git_name(part):
            raise _refuse(path, "paths inside .git are not allowed")
    return PurePosixPath(*parts)


def protected(rel: PurePosixPath, allow: Sequence[str] = ()) -> str | None:
    """The protected component of ``rel`` when no ``allow`` glob admits it, else None.

    ``allow`` globs match the whole relative path (``*`` crosses ``/``), e.g.
    ``.gitignore`` or ``.github/workflows/*``.
    """
    text = rel.as_posix()
    if any(fnmatch.fnmatchcase(text, glob) for glob in allow):
        return None
    names = [_HFS_IGNORED.sub("", part).rstrip(". ").lower() for part in rel.parts]
    for part, name in zip(rel.parts, names, strict=True):
        if any(fnmatch.fnmatchcase(name, p) for p in PROTECTED):
            return part
    if any(fnmatch.fnmatchcase("/".join(names), p) for p in PROTECTED_PATHS):
        return text
    return None


def hooks_dir(root: Path) -> Path | None:
    """The folder git runs ``root``'s hooks from (``core.hooksPath``, else ``.git/hooks``)."""
    found = git(["rev-parse", "--path-format=absolute", "--git-path", "hooks"], root, check=False)
    return Path(found.out.strip()).resolve() if found.ok and found.out.strip() else None


def _check_protected(
    path: str, target: Path, root: Path, allow: Sequence[str], hooks: Path | None = None
) -> None:
    """Refuse ``path`` when it, or the file it really names, is protected and not allowed;
    ``hooks``: the folder ``core.hooksPath`` names."""
    rel = PurePosixPath(target.relative_to(root).as_posix())
    for each in (check_path(path), rel):
        part = protected(each, allow)
        if part is not None:
            raise _refuse(
                path,
                f"{part} steers git, CI or relay-git, so it is protected; change other files "
                "(the user can allow it with --allow-path)",
            )
    inside = (
        hooks is not None
        and hooks != root
        and hooks.is_relative_to(root)  # a hooks folder outside the worktree: nothing to guard
        and target.is_relative_to(hooks)
    )
    if inside and not any(fnmatch.fnmatchcase(rel.as_posix(), glob) for glob in allow):
        raise _refuse(
            path,
            "it is in the folder core.hooksPath names, where git runs hooks from; change "
            "other files (the user can allow it with --allow-path)",
        )


def _check_settings(path: str, target: Path, new: str) -> None:
    """Refuse a change to ``[tool.relay-git]`` in a ``pyproject.toml``: relay-git's own
    settings are the user's to change (a repository with them loses its trust anyway)."""
    if target.name.lower() != "pyproject.toml":
        return
    before = _relay_table(_read(target) or "")
    after = _relay_table(new)
    if after is _INVALID and before is not _INVALID:
        raise _refuse(path, "the new pyproject.toml is not valid TOML")
    if after != before:
        raise _refuse(
            path,
            "it changes [tool.relay-git], relay-git's own settings; leave that table as it is",
        )


_INVALID = object()


def _relay_table(text: str) -> object:
    try:
        tool = tomllib.loads(text).get("tool", {})
    except tomllib.TOMLDecodeError:
        return _INVALID
    return tool.get("relay-git") if isinstance(tool, dict) else None


def is_git_name(part: str) -> bool:
    """True for a path component that names (or aliases) a ``.git`` directory.

    As git's own checks (core.protectNTFS / core.protectHFS): any case; trailing dots and
    spaces and an NTFS stream suffix (``.git::$INDEX_ALLOCATION``) dropped; the 8.3 short
    name ``git~1``; code points HFS+ ignores (``.g\u200cit``) removed.
    """
    name = _HFS_IGNORED.sub("", part).split(":", 1)[0].rstrip(". ").lower()
    return name in (".git", "git~1")


def resolve_inside(root: Path, path: str) -> Path:
    """The real location of ``path`` under ``root``; symlinks that lead out are refused."""
    rel = check_path(path)
    real_root = root.resolve()
    current = real_root
    for part in rel.parts[:-1]:
        current = current / part
        if current.is_symlink() or current.exists():
            try:
                resolved = current.resolve(strict=True)
            except (OSError, RuntimeError):  # dangling, or a loop (RuntimeError before 3.13)
                raise _refuse(path, f"{part}/ is a broken or looping symlink") from None
            if not resolved.is_relative_to(real_root):
                raise _refuse(path, f"{part}/ is a symlink that leaves the worktree")
            if any(is_git_name(p) for p in resolved.relative_to(real_root).parts):
                raise _refuse(path, f"{part}/ is a symlink into .git")
            if not resolved.is_dir():
                raise _refuse(path, f"{part} is not a directory")
            current = resolved
    target = current / rel.parts[-1]
    if target.is_symlink():
        raise _refuse(path, "the file is a symlink")
    if target.exists():
        mode = target.lstat().st_mode
        if not stat.S_ISREG(mode):
            raise _refuse(path, "not a regular file (directory, device or fifo)")
        if target.lstat().st_size > MAX_FILE_BYTES:
            raise _refuse(path, f"the file is larger than {MAX_FILE_BYTES} bytes")
    return target


def _read(target: Path) -> str | None:
    """The file's text with its line ends as they are (``lines`` edits keep CRLF files CRLF)."""
    if not target.exists():
        return None
    try:
        return target.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise EditFailed(f"{target.name} is not UTF-8 text; it cannot be edited") from None


def _apply_one(edit: Edit, current: str | None) -> str:
    if edit.kind == "write":
        return edit.content
    if current is None:
        raise EditFailed(f"{edit.path} does not exist; write the whole file instead")
    if edit.kind == "replace":
        current = current.replace("\r\n", "\n").replace("\r", "\n")  # as text mode reads it
        if not edit.search:
            raise EditFailed(f"empty search text for {edit.path}")
        count = current.count(edit.search)
        if count == 0:
            raise EditFailed(
                f"search text not found in {edit.path}: copy the lines exactly as they are"
            )
        if count > 1:
            raise EditFailed(f"search text found {count} times in {edit.path}: include more lines")
        return current.replace(edit.search, edit.content, 1)
    if edit.kind == "lines":
        return _replace_lines(edit, current)
    raise EditFailed(f"unknown edit kind {edit.kind!r} for {edit.path}")


_LINE = re.compile(r"[^\n]*\n|[^\n]+")  # lines as git numbers them: ended by \n only


def _replace_lines(edit: Edit, current: str) -> str:
    lines = _LINE.findall(current)
    if not 1 <= edit.line <= edit.end_line <= len(lines):
        raise EditFailed(
            f"lines {edit.line}-{edit.end_line} are outside {edit.path} ({len(lines)} lines)"
        )
    new, last = edit.content, lines[edit.end_line - 1]
    eol = "\r\n" if last.endswith("\r\n") else "\n"
    if eol == "\r\n" and "\r" not in new:
        new = new.replace("\n", eol)  # a suggestion written with \n, into a CRLF file
    if new and not new.endswith("\n") and last.endswith("\n"):
        new += eol
    return "".join([*lines[: edit.line - 1], new, *lines[edit.end_line :]])


def plan_edits(root: Path, edits: Sequence[Edit], allow: Sequence[str] = ()) -> dict[Path, str]:
    """New contents for every touched file, computed in memory; raises on the first problem.

    ``allow``: globs of protected paths the user lets the model edit (``--allow-path``).
    """
    if not edits:
        raise EditFailed("the edit set is empty: propose at least one file change")
    contents: dict[Path, str] = {}
    real_root = root.resolve()
    hooks = hooks_dir(real_root)
    for edit in edits:
        target = resolve_inside(root, edit.path)
        _check_protected(edit.path, target, real_root, allow, hooks)
        current = contents[target] if target in contents else _read(target)
        new = _apply_one(edit, current)
        if "\0" in new:
            raise _refuse(edit.path, "NUL byte in the content")
        try:
            size = len(new.encode("utf-8", "surrogateescape"))
        except UnicodeEncodeError:
            raise _refuse(edit.path, "the content is not valid Unicode text") from None
        if size > MAX_FILE_BYTES:
            raise _refuse(edit.path, f"content larger than {MAX_FILE_BYTES} bytes")
        _check_settings(edit.path, target, new)
        contents[target] = new
    for target in contents:
        clash = next((p for p in target.parents if p in contents), None)
        if clash is not None:
            raise EditFailed(
                f"{clash.relative_to(real_root).as_posix()} is written as a file and used as "
                "a directory in the same edit set"
            )
    return contents


def apply_edits(root: Path, edits: Sequence[Edit], allow: Sequence[str] = ()) -> list[str]:
    """Apply all edits or none; returns the relative paths written, in order."""
    contents = plan_edits(root, edits, allow)
    real_root = root.resolve()
    written: list[str] = []
    for target, text in contents.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.parent.resolve().is_relative_to(real_root):  # raced by a new symlink
            raise _refuse(str(target), "the directory left the worktree")
        atomic_write(target, text.encode("utf-8", "surrogateescape"), keep_mode=True)
        written.append(target.relative_to(real_root).as_posix())
    return written


def line_edits(items: Iterable[tuple[str, int, int, str]]) -> list[Edit]:
    """(path, line, end_line, replacement) -> ``lines`` edits, bottom-up within each file."""
    edits = [Edit(path, "lines", content=text, line=a, end_line=b) for path, a, b, text in items]
    return sorted(edits, key=lambda e: (e.path, -e.line))
