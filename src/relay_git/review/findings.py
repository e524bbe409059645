"""Model-proposed findings -> anchored, fingerprinted, de-duplicated Findings.

Pure and pydantic-free so a cached review never pays for validation imports;
the reply schema the model must meet lives in ``schema.py``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from relay_git.review.diff import FileDiff, anchorable
from relay_git.review.filtermode import FilterMode, counts
from relay_git.types import Category, Finding, Severity

_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class Proposed:
    """A finding as the model proposed it, already validated but not yet anchored."""

    path: str
    line: int
    end_line: int | None
    severity: Severity
    category: Category
    message: str
    suggestion: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "end_line": self.end_line,
            "severity": self.severity.value,
            "category": self.category.value,
            "message": self.message,
            "suggestion": self.suggestion,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Proposed:
        return cls(
            path=str(data["path"]),
            line=int(data["line"]),
            end_line=None if data.get("end_line") is None else int(data["end_line"]),
            severity=Severity(data["severity"]),
            category=Category(data["category"]),
            message=str(data["message"]),
            suggestion=data.get("suggestion"),
        )


def normalise_path(path: str) -> str:
    path = path.strip().replace("\\", "/")
    for prefix in ("a/", "b/", "./"):
        if path.startswith(prefix):
            path = path[len(prefix) :]
    return path


def new_code(fd: FileDiff, line: int, end_line: int) -> str:
    """The new-side text of line..end_line as the diff shows it."""
    hunk = fd.hunk_for(line)
    if hunk is None:
        return ""
    return "\n".join(
        ln.text for ln in hunk.lines if ln.new_no is not None and line <= ln.new_no <= end_line
    )


def fingerprint(path: str, code: str, category: Category) -> str:
    """Stable across reruns: path + whitespace-normalised code + the kind of finding."""
    norm = _WS.sub(" ", code).strip()
    # surrogateescape: lines of a non-UTF-8 file arrive with their raw bytes escaped
    digest = hashlib.sha256(f"{path}\0{norm}\0{category.value}".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:20]


def anchor(
    proposed: Iterable[Proposed],
    files: Mapping[str, FileDiff],
    mode: FilterMode = FilterMode.ADDED,
) -> tuple[list[Finding], list[str]]:
    """Findings that count under ``mode`` (see filtermode.py); the rest become summary
    notes, never dropped. A range overshooting its hunk keeps its start."""
    anchored: list[Finding] = []
    notes: list[str] = []
    for p in proposed:
        path = p.path if p.path in files else normalise_path(p.path)  # a\b.py is a name
        fd = files.get(path)
        end = p.end_line if p.end_line is not None and p.end_line >= p.line else p.line
        if not counts(fd, p.line, end, mode):
            notes.append(f"{path}:{p.line}: {p.severity.value}: {p.message}")
            continue
        if fd is not None and not anchorable(fd, p.line, end) and anchorable(fd, p.line, p.line):
            end = p.line
        in_diff = fd is not None and anchorable(fd, p.line, end)
        code = new_code(fd, p.line, end) if fd is not None and in_diff else ""
        anchored.append(
            Finding(
                path=path,
                line=p.line,
                end_line=end,
                severity=p.severity,
                category=p.category,
                message=p.message.strip(),
                suggestion=p.suggestion,
                # outside the diff there is no code to hash: the message stands in for it
                fingerprint=fingerprint(path, code if in_diff else p.message, p.category),
            )
        )
    return anchored, notes


def dedupe(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per fingerprint (the most severe wins), most severe first, then by place."""
    best: dict[str, Finding] = {}
    for f in findings:
        kept = best.get(f.fingerprint)
        if kept is None or f.severity.rank > kept.severity.rank:
            best[f.fingerprint] = f
    return sorted(best.values(), key=lambda f: (-f.severity.rank, f.path, f.line))


def reaches(findings: Iterable[Finding], fail_on: str) -> bool:
    """True when any finding is at or above the ``--fail-on`` threshold."""
    if fail_on == "never":
        return False
    threshold = Severity(fail_on).rank
    return any(f.severity.rank >= threshold for f in findings)
