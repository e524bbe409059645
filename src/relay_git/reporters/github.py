"""Review -> GitHub payloads: one PR review with inline comments, a summary comment, annotations.

Pure: returns dicts and strings. Hidden markers make reruns idempotent: every inline
comment carries ``<!-- relay-git:fingerprint=… -->`` and the single summary issue comment
starts with ``<!-- relay-git:summary -->`` and lists open and resolved fingerprints.
Model text is data: HTML comments in it are defused so it can never forge a marker.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from relay_git.diff import FileDiff, anchorable
from relay_git.types import Finding, Review

SUMMARY_MARKER = "<!-- relay-git:summary -->"
MAX_BODY = 60000  # GitHub rejects bodies over 65536 characters
_FINGERPRINT = re.compile(r"<!-- relay-git:fingerprint=([0-9a-f]{6,64}) -->")
_ENTRY = re.compile(r"^- (.*) <!-- relay-git:(open|resolved)=([0-9a-f]{6,64}) -->$", re.M)
_PLACE = re.compile(r"^~*`([^`]+):\d+`")
_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def fingerprint_marker(fp: str) -> str:
    return f"<!-- relay-git:fingerprint={fp} -->"


def fingerprints_in(text: str) -> set[str]:
    return set(_FINGERPRINT.findall(text or ""))


def defuse(text: str) -> str:
    """Model text inside our Markdown: no HTML comments (markers) and no raw tags."""
    return text.replace("<!--", "&lt;!--").replace("-->", "--&gt;")


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(defuse(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def describe(f: Finding) -> str:
    """One Markdown line naming a finding, stable across runs."""
    return f"`{f.path}:{f.line}` **{f.severity.value}** {f.category.value}: {_one_line(f.message)}"


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def comment_body(f: Finding) -> str:
    parts = [f"**{f.severity.value}** · {f.category.value} — {defuse(f.message.strip())}"]
    if f.suggestion is not None:
        code = f.suggestion[:-1] if f.suggestion.endswith("\n") else f.suggestion
        fence = _fence(code)
        parts.append(f"{fence}suggestion\n{code}\n{fence}")
    parts.append(fingerprint_marker(f.fingerprint))
    return "\n\n".join(parts)


def comment_payload(f: Finding) -> dict[str, Any]:
    """A review comment on the new side; ``start_line`` only for a real range."""
    payload: dict[str, Any] = {
        "path": f.path,
        "line": f.end_line,
        "side": "RIGHT",
        "body": comment_body(f),
    }
    if f.end_line > f.line:
        payload["start_line"] = f.line
        payload["start_side"] = "RIGHT"
    return payload


def placeable(f: Finding, files: Mapping[str, FileDiff]) -> bool:
    """Whether GitHub will accept an inline comment: new side, one hunk, start before end."""
    fd = files.get(f.path)
    return (
        fd is not None
        and f.side == "new"
        and 1 <= f.line <= f.end_line
        and anchorable(fd, f.line, f.end_line)
    )


@dataclass(frozen=True)
class ReviewPlan:
    inline: tuple[Finding, ...]  # new, placeable, within max-comments, most severe first
    unplaced: tuple[Finding, ...]  # new but not placeable inline: they go into the body
    overflow: tuple[Finding, ...]  # new and placeable, beyond max-comments: summarized
    already: tuple[Finding, ...]  # posted on an earlier run: not posted again

    @property
    def new(self) -> tuple[Finding, ...]:
        return self.inline + self.unplaced + self.overflow


def plan(
    findings: Iterable[Finding],
    files: Mapping[str, FileDiff],
    known: set[str],
    max_comments: int,
) -> ReviewPlan:
    ordered = sorted(findings, key=lambda f: (-f.severity.rank, f.path, f.line))
    already = tuple(f for f in ordered if f.fingerprint in known)
    fresh = [f for f in ordered if f.fingerprint not in known]
    placed = [f for f in fresh if placeable(f, files)]
    unplaced = tuple(f for f in fresh if not placeable(f, files))
    cap = max(0, max_comments)
    return ReviewPlan(tuple(placed[:cap]), unplaced, tuple(placed[cap:]), already)


def _section(title: str, lines: Sequence[str]) -> list[str]:
    return [f"**{title}**", "", *lines, ""] if lines else []


def _clip(text: str) -> str:
    if len(text) <= MAX_BODY:
        return text
    return text[: MAX_BODY - 40].rsplit("\n", 1)[0] + "\n\n…(truncated)\n"


def review_body(review: Review, rp: ReviewPlan, head_sha: str) -> str:
    counts = f"{len(rp.new)} new finding(s), {len(rp.already)} reported earlier"
    lines = [
        f"### relay-git review of {head_sha[:7]}: {review.verdict.value}",
        "",
        counts,
        "",
    ]
    if review.summary.strip():
        lines += [defuse(review.summary.strip()), ""]
    lines += _section("Not on a changed line", [f"- {describe(f)}" for f in rp.unplaced])
    lines += _section(
        f"Beyond the first {len(rp.inline)} inline comments",
        [f"- {describe(f)}" for f in rp.overflow],
    )
    lines += _section("Notes", [f"- {_one_line(n, 300)}" for n in review.notes])
    if not review.coverage.complete:
        lines.append("_Partial review: see the summary comment for what was skipped._")
    return _clip("\n".join(lines).rstrip() + "\n")


def review_payload(
    body: str, comments: Sequence[Finding], head_sha: str, event: str
) -> dict[str, Any]:
    return {
        "commit_id": head_sha,
        "body": body,
        "event": event,
        "comments": [comment_payload(f) for f in comments],
    }


def fold(payload: Mapping[str, Any], indexes: set[int] | None) -> dict[str, Any]:
    """Move the named comments (all when None) into the body, where GitHub cannot refuse them."""
    comments: list[dict[str, Any]] = list(payload.get("comments", []))
    chosen = set(range(len(comments))) if indexes is None else indexes
    kept = [c for i, c in enumerate(comments) if i not in chosen]
    moved = [c for i, c in enumerate(comments) if i in chosen]
    lines = [str(payload.get("body", "")).rstrip(), "", "**Could not be placed inline**", ""]
    for c in moved:
        first, _, rest = str(c["body"]).partition("\n\n")
        lines.append(f"- `{c['path']}:{c.get('start_line', c['line'])}` {first}")
        lines += [f"  {ln}" for ln in rest.splitlines() if ln.strip()]
    return {**payload, "body": _clip("\n".join(lines) + "\n"), "comments": kept}


# -- the summary issue comment -------------------------------------------------------------------


@dataclass(frozen=True)
class Earlier:
    """Findings an earlier run reported: fingerprint -> one-line description."""

    open: Mapping[str, str]
    resolved: Mapping[str, str]

    def all(self) -> dict[str, str]:
        return {**self.resolved, **self.open}


def parse_summary(body: str) -> Earlier:
    open_: dict[str, str] = {}
    resolved: dict[str, str] = {}
    for desc, state, fp in _ENTRY.findall(body or ""):
        (open_ if state == "open" else resolved)[fp] = desc.strip("~")
    return Earlier(open_, resolved)


def earlier_from_comments(comments: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Fingerprint -> description, from review comments an earlier run posted."""
    out: dict[str, str] = {}
    for c in comments:
        body = str(c.get("body") or "")
        line = c.get("line") or c.get("original_line") or 0
        first = _one_line(body.split("\n\n", 1)[0])
        for fp in fingerprints_in(body):
            out.setdefault(fp, f"`{c.get('path', '?')}:{line}` {first}")
    return out


def _path_of(desc: str) -> str | None:
    m = _PLACE.match(desc)
    return m.group(1) if m else None


def resolved_now(review: Review, earlier: Mapping[str, str]) -> dict[str, str]:
    """Earlier findings absent from this review, except in files this review could not cover."""
    current = {f.fingerprint for f in review.findings}
    unreviewed = {s.path for s in review.coverage.skipped if s.limit}
    return {
        fp: desc
        for fp, desc in earlier.items()
        if fp not in current and _path_of(desc) not in unreviewed
    }


def _coverage_line(review: Review) -> str:
    cov = review.coverage
    text = f"{cov.hunks_reviewed}/{cov.hunks_total} hunks in {len(cov.reviewed)} file(s)"
    if cov.skipped:
        text += "; skipped: " + ", ".join(f"`{s.path}` ({s.reason})" for s in cov.skipped[:20])
    return text + ("" if cov.complete else " — **partial review**")


def summary_comment(review: Review, earlier: Earlier, head_sha: str, status: str) -> str:
    resolved = resolved_now(review, earlier.all())
    open_lines = [
        f"- {describe(f)} <!-- relay-git:open={f.fingerprint} -->" for f in review.findings
    ]
    resolved_lines = [
        f"- ~~{desc}~~ <!-- relay-git:resolved={fp} -->" for fp, desc in resolved.items()
    ]
    lines = [
        SUMMARY_MARKER,
        "## relay-git review",
        "",
        f"**{review.verdict.value}** at {head_sha[:7]} · {len(review.findings)} open finding(s)"
        f" · {len(resolved)} resolved · {status}",
        "",
        f"Coverage: {_coverage_line(review)}",
        "",
    ]
    lines += _section("Open findings", open_lines)
    lines += _section("Resolved since an earlier run", resolved_lines)
    return _clip("\n".join(lines).rstrip() + "\n")


# -- workflow commands (annotations) -------------------------------------------------------------


def escape_data(text: str) -> str:
    """The actions toolkit's escaping for a command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """The actions toolkit's escaping for a command property value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_commands(review: Review) -> str:
    """``::error file=…,line=…,endLine=…,title=…::message`` lines, one per finding and note."""
    out: list[str] = []
    for f in review.findings:
        props = {
            "file": f.path,
            "line": str(f.line),
            "endLine": str(f.end_line),
            "title": f"relay-git {f.category.value} ({f.severity.value})",
        }
        joined = ",".join(f"{k}={escape_property(v)}" for k, v in props.items())
        out.append(f"::{_LEVEL[f.severity.value]} {joined}::{escape_data(f.message[:4000])}")
    for note in review.notes:
        out.append(f"::notice title=relay-git note::{escape_data(note[:4000])}")
    return "\n".join(out)
