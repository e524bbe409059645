"""``relay-git review --fix``: the reviewer's suggestions applied to the working tree, as
``ruff --fix`` applies its fixes.

Only working-tree files change: nothing is staged or committed and the index is never
written (no git command runs here). A suggestion is applied only where the file still
holds what was reviewed: the finding's lines and up to ``CONTEXT`` lines either side (as
far as its hunk shows them, as ``git apply`` checks a patch's context) must read the same
in the working tree. Reviewing the staged change while the working tree differs at those
lines, or a range whose files changed since, skips that finding as stale; it is never
patched at lines that moved. Binary files, deleted files and paths outside the
repository (or protected ones, ``git/edits.py``) are skipped with the reason too.
"""

from __future__ import annotations

from pathlib import Path

from relay_git.errors import UnsafeEdit
from relay_git.git.edits import resolve_inside
from relay_git.review import diff
from relay_git.review.suggest import ReviewFix, apply_suggestions
from relay_git.types import Finding, Review

CONTEXT = 3  # lines either side of a finding that must still read as reviewed
ALREADY = "already applied in the working tree"  # a rerun of --fix on the same review


def fix_working_tree(root: Path, diff_text: str, review: Review) -> ReviewFix:
    """Apply ``review``'s suggestions to the files under ``root`` that still match
    ``diff_text``'s new side; each other one is returned with why it was skipped."""
    files = {fd.path: fd for fd in diff.parse(diff_text)}

    def check(f: Finding) -> str | None:
        fd = files.get(f.path)
        if fd is None:
            return "not in the reviewed diff"
        if fd.is_binary:
            return "binary file"
        if fd.status == "deleted":
            return "the reviewed change deletes the file"
        return stale(root, fd, f)

    return apply_suggestions(root, review, check=check)


def stale(root: Path, fd: diff.FileDiff, f: Finding) -> str | None:
    """Why the working-tree file no longer holds the reviewed lines around ``f``, or None."""
    hunk = fd.hunk_for(f.line)
    if hunk is None or not hunk.shows(f.end_line):
        return (
            f"lines {f.line}-{f.end_line} are not within one reviewed hunk; they cannot be checked"
        )
    try:
        data = resolve_inside(root, f.path).read_bytes()
    except UnsafeEdit as err:  # outside the repository, a symlink, not a regular file
        return str(err)
    except FileNotFoundError:
        return "stale: the file is gone from the working tree"
    except OSError as err:
        return f"cannot read it: {err.strerror or err}"
    if b"\0" in data[:8000]:
        return "binary file"
    lines = data.decode("utf-8", "surrogateescape").split("\n")
    window = range(f.line - CONTEXT, f.end_line + CONTEXT + 1)
    for ln in hunk.lines:
        if ln.new_no is None or ln.new_no not in window:
            continue
        now = lines[ln.new_no - 1] if ln.new_no <= len(lines) else None
        if now is None or now.removesuffix("\r") != ln.text.removesuffix("\r"):  # CRLF files
            if holds_suggestion(lines, f):
                return ALREADY
            return f"stale: line {ln.new_no} is not what was reviewed (the file changed since)"
    return None


def holds_suggestion(lines: list[str], f: Finding) -> bool:
    """True when the file's lines from ``f.line`` on read as its suggestion."""
    if not (f.suggestion or "").strip():  # a deletion leaves nothing to recognise
        return False
    want = (f.suggestion or "").removesuffix("\n").split("\n")
    got = lines[f.line - 1 : f.line - 1 + len(want)]
    return [g.removesuffix("\r") for g in got] == [w.removesuffix("\r") for w in want]


def remaining(review: Review, fix: ReviewFix) -> tuple[Finding, ...]:
    """The findings the working tree still has: not applied now, nor already before."""
    done = set(fix.applied) | {f for f, why in fix.unapplied if why == ALREADY}
    return tuple(f for f in review.findings if f not in done)


def describe(fix: ReviewFix) -> list[str]:
    """What ``--fix`` did, one line each: applied findings, skipped ones with why, a total."""
    lines = [f"fixed {f.path}:{f.line} ({f.message})" for f in fix.applied]
    lines += [
        f"already fixed {f.path}:{f.line} ({f.message})"
        if why == ALREADY
        else f"not fixed {f.path}:{f.line}: {why}"
        for f, why in fix.unapplied
    ]
    total = len(fix.applied) + len(fix.unapplied)
    if not total:
        return ["--fix: no finding carries a suggestion; nothing changed"]
    where = "to the working tree, nothing staged; see `git diff`" if fix.applied else ""
    lines.append(f"--fix: applied {len(fix.applied)} of {total} suggestions {where}".rstrip())
    return lines
