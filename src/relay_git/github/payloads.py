"""Review -> GitHub payloads: one PR review with inline comments, a summary comment, annotations;
and back: what earlier runs posted (the PR state: plan, parse_summary, resolved_now).

Pure: returns dicts and strings, touches no network and no file. It lives here rather than
in ``reporters/`` because it both writes and reads GitHub state: the trailers it renders
are the ones it parses on the next run, so the format is defined in one module.

A hidden trailer, the last line of each comment relay-git writes, makes reruns idempotent:
``<!-- relay-git:fingerprint=… -->`` ends every inline comment, and
``<!-- relay-git:summary open=… resolved=… -->`` ends the one summary comment (which also
starts with ``<!-- relay-git:summary -->``). Fingerprints are read from that
trailer line only, never from anywhere else in a body, and the caller reads only comments
its own token wrote. Model text and file names are data: ``mdsafe`` escapes them, so they
cannot forge a trailer, ping anyone, embed HTML or outside images, or break a fence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from relay_git.reporters.mdsafe import NO_LINKS, Site, code, fenced, inline, prose
from relay_git.review.diff import FileDiff, anchorable
from relay_git.types import Finding, Review
from relay_git.util.text import one_line

SUMMARY_MARKER = "<!-- relay-git:summary -->"
MAX_BODY = 60000  # GitHub rejects bodies over 65536 characters
MAX_SUGGESTION = 20000  # longer suggestions are dropped, so the trailer always fits
_FINGERPRINT = re.compile(r"<!-- relay-git:fingerprint=([0-9a-f]{6,64}) -->")
_FPS = r"((?:[0-9a-f]{6,64}(?:,[0-9a-f]{6,64})*)?)"
_SUMMARY_TRAILER = re.compile(rf"<!-- relay-git:summary open={_FPS} resolved={_FPS} -->")
_ENTRY = re.compile(r"^- (.*) <!-- relay-git:(open|resolved)=([0-9a-f]{6,64}) -->$", re.M)
_PLACE = re.compile(r"^~*(`+) ?(.+?):\d+(?:-\d+)? ?\1(?!`)")
_FENCE_LINE = re.compile(r"^ {0,3}(```|~~~)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def fingerprint_marker(fp: str) -> str:
    return f"<!-- relay-git:fingerprint={fp} -->"


def trailer_fingerprint(body: str) -> str | None:
    """The fingerprint in the trailer line that ends an inline comment relay-git wrote."""
    lines = (body or "").rstrip().splitlines()
    m = _FINGERPRINT.fullmatch(lines[-1].strip()) if lines else None
    return m.group(1) if m else None


def describe(f: Finding, site: Site = NO_LINKS) -> str:
    """One Markdown line naming a finding, stable across runs."""
    place, title = code(f"{f.path}:{f.line}"), inline(one_line(f.message, 200), site)
    return f"{place} **{f.severity.value}** {f.category.value}: {title}"


def suggestion_block(suggestion: str | None) -> str | None:
    """A ```suggestion block that its content cannot close early, or None to drop it."""
    if suggestion is None or len(suggestion) > MAX_SUGGESTION or _CONTROL.search(suggestion):
        return None
    return fenced(suggestion.removesuffix("\n"), "suggestion")


def comment_body(f: Finding, site: Site = NO_LINKS) -> str:
    first, _, rest = f.message.strip().partition("\n")
    if _FENCE_LINE.match(first):  # the message opens with a code block: keep it whole
        first, rest = "", f.message.strip()
    parts = [f"**{f.severity.value}** · {f.category.value} — {inline(first, site)}".rstrip()]
    if rest.strip():
        parts.append(prose(rest, site))
    block = suggestion_block(f.suggestion)
    if block is not None:
        parts.append(block)
    return _clip("\n\n".join(parts)) + "\n\n" + fingerprint_marker(f.fingerprint)


def comment_payload(f: Finding, site: Site = NO_LINKS) -> dict[str, Any]:
    """A review comment on the new side; ``start_line`` only for a real range."""
    payload: dict[str, Any] = {
        "path": f.path,
        "line": f.end_line,
        "side": "RIGHT",
        "body": comment_body(f, site),
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
    """At most MAX_BODY characters, cut at a line and never inside an open fence."""
    if len(text) <= MAX_BODY:
        return text
    kept = text[: MAX_BODY - 200].rsplit("\n", 1)[0]
    return prose_safe_cut(kept) + "\n\n…(truncated)\n"


def prose_safe_cut(text: str) -> str:
    """Close a fence left open by cutting ``text`` short."""
    open_fence = ""
    for line in text.splitlines():
        m = re.match(r"^ {0,3}(`{3,})(.*)$", line)
        if m and not open_fence:
            open_fence = m.group(1)
        elif m and len(m.group(1)) >= len(open_fence) and not m.group(2).strip():
            open_fence = ""
    return text + ("\n" + open_fence if open_fence else "")


def review_body(review: Review, rp: ReviewPlan, head_sha: str, site: Site = NO_LINKS) -> str:
    counts = f"{len(rp.new)} new finding(s), {len(rp.already)} reported earlier"
    lines = [
        f"### relay-git review of {head_sha[:7]}: {review.verdict.value}",
        "",
        counts,
        "",
    ]
    if review.summary.strip():
        lines += [prose(review.summary, site), ""]
    lines += _section("Not on a changed line", [f"- {describe(f, site)}" for f in rp.unplaced])
    lines += _section(
        f"Beyond the first {len(rp.inline)} inline comments",
        [f"- {describe(f, site)}" for f in rp.overflow],
    )
    lines += _section("Notes", [f"- {inline(one_line(n, 300), site)}" for n in review.notes])
    if not review.coverage.complete:
        lines.append(_unseen_warning(review))
    return _clip("\n".join(lines).rstrip() + "\n")


def _unseen_warning(review: Review) -> str:
    """The partial-review warning, naming the changed files the reviewer did not see."""
    unseen = [s for s in review.coverage.skipped if s.unseen]
    named = ", ".join(f"{code(s.path)} ({inline(s.reason)})" for s in unseen[:20])
    more = f" and {len(unseen) - 20} more" if len(unseen) > 20 else ""
    what = f" Not reviewed: {named}{more}." if unseen else ""
    return f"> [!WARNING]\n> **Partial review.**{what} See the summary comment for the rest."


def review_payload(
    body: str, comments: Sequence[Finding], head_sha: str, event: str, site: Site = NO_LINKS
) -> dict[str, Any]:
    return {
        "commit_id": head_sha,
        "body": body,
        "event": event,
        "comments": [comment_payload(f, site) for f in comments],
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
        place = f"{c['path']}:{c.get('start_line', c['line'])}"
        lines.append(f"- {code(place)} {first}")
        shown = [ln for ln in rest.splitlines() if not _FINGERPRINT.fullmatch(ln.strip())]
        lines += [f"  {ln}" if ln.strip() else "" for ln in shown]
    return {**payload, "body": _clip("\n".join(lines) + "\n"), "comments": kept}


# -- the summary issue comment -------------------------------------------------------------------


@dataclass(frozen=True)
class Earlier:
    """Findings an earlier run reported: fingerprint -> one-line description."""

    open: Mapping[str, str]
    resolved: Mapping[str, str]

    def all(self) -> dict[str, str]:
        return {**self.resolved, **self.open}


def summary_trailer(open_: Iterable[str], resolved: Iterable[str]) -> str:
    return f"<!-- relay-git:summary open={','.join(open_)} resolved={','.join(resolved)} -->"


def parse_summary(body: str) -> Earlier:
    """Open and resolved fingerprints from the trailer line of our summary comment.

    Only the trailer says which fingerprints count; the entry lines above it just lend
    their descriptions (a fingerprint without one gets a placeholder).
    """
    lines = (body or "").rstrip().splitlines()
    m = _SUMMARY_TRAILER.fullmatch(lines[-1].strip()) if lines else None
    if m is None:
        return Earlier({}, {})
    descs = {fp: desc.strip("~") for desc, _, fp in _ENTRY.findall("\n".join(lines[:-1]))}

    def described(fps: str) -> dict[str, str]:
        named = filter(None, fps.split(","))
        return {fp: descs.get(fp, f"finding {code(fp[:12])}") for fp in named}

    return Earlier(described(m.group(1)), described(m.group(2)))


def earlier_from_comments(comments: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Fingerprint -> description, from the trailers of review comments we posted earlier."""
    out: dict[str, str] = {}
    for c in comments:
        body = str(c.get("body") or "")
        fp = trailer_fingerprint(body)
        if fp is None:
            continue
        line = c.get("line") or c.get("original_line") or 0
        first = " ".join(body.split("\n\n", 1)[0].split())[:300]  # our own, escaped text
        place = f"{c.get('path', '?')}:{line}"
        out.setdefault(fp, f"{code(place)} {first}")
    return out


def _path_of(desc: str) -> str | None:
    m = _PLACE.match(desc)
    return m.group(2) if m else None


def resolved_now(review: Review, earlier: Mapping[str, str]) -> dict[str, str]:
    """Earlier findings absent from this review, except in files this review could not cover."""
    current = {f.fingerprint for f in review.findings}
    unreviewed = {s.path for s in review.coverage.skipped if s.unseen}
    return {
        fp: desc
        for fp, desc in earlier.items()
        if fp not in current and _path_of(desc) not in unreviewed
    }


def _coverage_line(review: Review) -> str:
    cov = review.coverage
    text = f"{cov.hunks_reviewed}/{cov.hunks_total} hunks in {len(cov.reviewed)} file(s)"
    if cov.skipped:
        text += "; skipped: " + ", ".join(
            f"{code(s.path)} ({inline(s.reason)})" for s in cov.skipped[:20]
        )
    return text + ("" if cov.complete else " — **partial review**")


def summary_comment(
    review: Review, earlier: Earlier, head_sha: str, status: str, site: Site = NO_LINKS
) -> str:
    resolved = resolved_now(review, earlier.all())
    open_lines = [
        f"- {describe(f, site)} <!-- relay-git:open={f.fingerprint} -->" for f in review.findings
    ]
    resolved_lines = [
        f"- ~~{desc}~~ <!-- relay-git:resolved={fp} -->" for fp, desc in resolved.items()
    ]
    lines = [
        SUMMARY_MARKER,
        "## relay-git review",
        "",
        f"**{review.verdict.value}** at {head_sha[:7]} · {len(review.findings)} open finding(s)"
        f" · {len(resolved)} resolved · {inline(status)}",
        "",
        f"Coverage: {_coverage_line(review)}",
        "",
    ]
    lines += _section("Open findings", open_lines)
    lines += _section("Resolved since an earlier run", resolved_lines)
    trailer = summary_trailer((f.fingerprint for f in review.findings), resolved)
    return _clip("\n".join(lines).rstrip() + "\n") + "\n" + trailer + "\n"


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
