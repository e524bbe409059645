"""The review engine: diff text in, a Review out — filtered, chunked, cached, concurrent."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relay_git.models import prompts
from relay_git.models.base import Backend
from relay_git.models.ledger import Ledger
from relay_git.review.cache import Cache, key
from relay_git.review.diff import FileDiff, parse
from relay_git.review.filtermode import FilterMode
from relay_git.review.findings import Proposed, anchor, dedupe
from relay_git.review.selection import Chunk, plan_chunks, select
from relay_git.safety.redact import redact
from relay_git.types import Coverage, Finding, Review, Severity, SkippedFile, Verdict

SYSTEM_TEMPLATE = "review.system.j2"
USER_TEMPLATE = "review.user.j2"
_VERDICT_RANK = {Verdict.APPROVE: 0, Verdict.FIX: 1, Verdict.REJECT: 2}


Generated = Callable[[Sequence[str]], Collection[str]]  # paths -> those marked generated


@dataclass(frozen=True)
class ReviewSettings:
    reviewer: str
    local: bool  # the reviewer runs on this machine (App.is_local: the one answer)
    exclude: tuple[str, ...] = ()
    secret_patterns: tuple[str, ...] = ()
    max_files: int = 200
    jobs: int = 2
    max_output_tokens: int = 1024
    templates_dir: Path | None = None
    stage: str = "review"
    role: str = "reviewer"
    filter_mode: FilterMode = FilterMode.ADDED  # which findings count (reviewdog's modes)
    generated: Generated | None = None  # the base commit's linguist-generated files


@dataclass(frozen=True)
class ChunkReply:
    verdict: Verdict
    summary: str
    proposed: tuple[Proposed, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "summary": self.summary,
            "findings": [p.to_dict() for p in self.proposed],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChunkReply:
        return cls(
            Verdict(data["verdict"]),
            str(data["summary"]),
            tuple(Proposed.from_dict(f) for f in data["findings"]),
        )


Notify = Callable[[str], None]  # one progress message ("reviewing part 2/5 ...")


def _ask_chunk(
    backend: Backend,
    system: str,
    user_text: str,
    settings: ReviewSettings,
    ledger: Ledger,
) -> ChunkReply:
    from relay_git.models.call import ask_json  # deferred with pydantic: not needed on a cache hit
    from relay_git.review.schema import ReviewReply

    reply = ask_json(
        backend,
        [{"role": "system", "content": system}, {"role": "user", "content": user_text}],
        ReviewReply,
        stage=settings.stage,
        role=settings.role,
        ledger=ledger,
        max_tokens=settings.max_output_tokens,
    )
    return ChunkReply(
        reply.verdict, reply.summary.strip(), tuple(f.to_proposed() for f in reply.findings)
    )


def _combine(replies: Sequence[ChunkReply], findings: Sequence[Finding]) -> tuple[Verdict, str]:
    verdict = max(
        (r.verdict for r in replies), key=_VERDICT_RANK.__getitem__, default=Verdict.APPROVE
    )
    if verdict is Verdict.APPROVE and any(f.severity is Severity.ERROR for f in findings):
        verdict = Verdict.FIX  # an approval cannot outvote its own error findings
    if len(replies) == 1:
        return verdict, replies[0].summary
    parts = [f"Part {i}: {r.summary}" for i, r in enumerate(replies, 1) if r.summary]
    return verdict, "\n".join(parts)


class Reviewer:
    """Reviews diffs with one reviewer model; the backend is only built on a cache miss."""

    def __init__(
        self,
        settings: ReviewSettings,
        make_backend: Callable[[], Backend],
        ledger: Ledger,
        cache: Cache | None,
        progress: Notify | None = None,
    ) -> None:
        self.settings = settings
        self._make_backend = make_backend
        self._backend: Backend | None = None
        self.ledger = ledger
        self.cache = cache
        self.progress = progress or (lambda _msg: None)
        self.system = prompts.source(SYSTEM_TEMPLATE, settings.templates_dir)
        self.user = prompts.source(USER_TEMPLATE, settings.templates_dir)
        self.template_hash = prompts.digest(self.system, self.user)

    @property
    def local(self) -> bool:
        """Secret files and unredacted lines may only go to a reviewer on this machine."""
        return self.settings.local

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = self._make_backend()
        return self._backend

    def review(self, diff_text: str, task: str = "") -> Review:
        """Review ``diff_text``; ``task``, when given, is what the change was asked to do."""
        s = self.settings
        files = parse(diff_text)
        local = self.local
        generated = s.generated([fd.path for fd in files]) if s.generated else ()
        kept, skipped = select(files, s.exclude, s.secret_patterns, local, s.max_files, generated)
        total_hunks = sum(len(fd.hunks) for fd in kept)
        whole_key = key(
            "review/2", s.reviewer, self.template_hash, s.filter_mode, *(fd.text for fd in kept)
        )
        cached = self.cache.get("reviews", whole_key) if self.cache else None
        if isinstance(cached, dict):
            self.progress("answered from the review cache")
            return _from_cache(cached)
        start = len(self.ledger.entries)
        replies, plan_coverage = self._review_files(kept, skipped, total_hunks, task)
        proposed = [p for r in replies for p in r.proposed]
        anchored, notes = anchor(proposed, {fd.path: fd for fd in kept}, s.filter_mode)
        findings = dedupe(anchored)
        verdict, summary = _combine(replies, findings)
        review = Review(
            verdict=verdict,
            summary=summary or ("Nothing to review." if not kept else ""),
            findings=tuple(findings),
            coverage=plan_coverage,
            ledger=self.ledger.entries[start:],
            notes=tuple(notes),
        )
        if self.cache is not None and plan_coverage.within_budget:
            self.cache.put("reviews", whole_key, review.to_dict())
        return review

    def _review_files(
        self,
        kept: Sequence[FileDiff],
        skipped: Sequence[SkippedFile],
        total_hunks: int,
        task: str = "",
    ) -> tuple[list[ChunkReply], Coverage]:
        if not kept:
            return [], Coverage(skipped=tuple(skipped))
        backend = self.backend
        system = prompts.render(self.system, SYSTEM_TEMPLATE)
        overhead = backend.count_tokens(system) + backend.count_tokens(self.user) + 64
        budget = backend.context_length() - self.settings.max_output_tokens - overhead
        if budget < 256:
            from relay_git.errors import UsageError

            raise UsageError(
                f"{backend.spec}'s context is too small to review anything",
                "use a reviewer with a larger context or lower the output budget",
            )
        plan = plan_chunks(kept, budget, backend.count_tokens)
        replies = self._run_chunks(plan.chunks, system, self.local, task)
        reviewed = tuple(dict.fromkeys(p for c in plan.chunks for p in c.paths))
        coverage = Coverage(
            reviewed=reviewed,
            skipped=(*skipped, *plan.too_large),
            split=plan.split,
            hunks_reviewed=sum(c.hunks for c in plan.chunks),
            hunks_total=total_hunks,
            chunks=len(plan.chunks),
            cached_chunks=sum(1 for _, hit in replies if hit),
        )
        return [r for r, _ in replies], coverage

    def _run_chunks(
        self, chunks: Sequence[Chunk], system: str, local: bool, task: str = ""
    ) -> list[tuple[ChunkReply, bool]]:
        count = len(chunks)

        def one(index: int, chunk: Chunk) -> tuple[ChunkReply, bool]:
            text = chunk.text if local else redact(chunk.text)[0]  # secrets stay home
            user_text = prompts.render(
                self.user,
                USER_TEMPLATE,
                diff=text,
                paths=list(chunk.paths),
                part_number=index + 1,
                part_count=count,
                task=task,
            )
            k = key("chunk/1", self.settings.reviewer, self.template_hash, user_text)
            hit = self.cache.get("chunks", k) if self.cache else None
            if isinstance(hit, dict):
                return ChunkReply.from_dict(hit), True
            self.progress(f"reviewing part {index + 1}/{count} ({', '.join(chunk.paths)[:60]})")
            reply = _ask_chunk(self.backend, system, user_text, self.settings, self.ledger)
            if self.cache is not None:
                self.cache.put("chunks", k, reply.to_dict())
            return reply, False

        pool = ThreadPoolExecutor(max_workers=max(1, self.settings.jobs))
        try:
            futures = [pool.submit(one, i, c) for i, c in enumerate(chunks)]
            return [f.result() for f in futures]
        finally:
            # On Ctrl-C or a failed chunk, do not wait for calls still in flight.
            pool.shutdown(wait=False, cancel_futures=True)


def full_coverage_error(review: Review) -> str | None:
    """The one-line reason ``--require-full-coverage`` fails this review, or None."""
    gap = review.coverage.shortfall()
    if gap is None:
        return None
    return f"relay-git: error: partial review (--require-full-coverage): not reviewed: {gap}"


def _from_cache(data: dict[str, Any]) -> Review:
    from relay_git.types import Category

    findings = tuple(
        Finding(
            path=f["path"],
            line=f["line"],
            end_line=f["end_line"],
            severity=Severity(f["severity"]),
            category=Category(f["category"]),
            message=f["message"],
            side=f.get("side", "new"),
            suggestion=f.get("suggestion"),
            fingerprint=f["fingerprint"],
        )
        for f in data["findings"]
    )
    cov = data["coverage"]
    coverage = Coverage(
        reviewed=tuple(cov["reviewed"]),
        skipped=tuple(
            SkippedFile(s["path"], s["reason"], s["limit"], s["gap"]) for s in cov["skipped"]
        ),
        split=tuple(cov["split"]),
        hunks_reviewed=cov["hunks_reviewed"],
        hunks_total=cov["hunks_total"],
        chunks=cov["chunks"],
        cached_chunks=cov["chunks"],
    )
    return Review(
        verdict=Verdict(data["verdict"]),
        summary=data["summary"],
        findings=findings,
        coverage=coverage,
        notes=tuple(data["notes"]),
    )
