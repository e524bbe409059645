"""The run history: one SQLite row per ``review``/``scaffold`` run, plus its ledger.

Kept: when, where, which command (and whether a hook ran it) and models, each model
call's tokens and timings, the exit code, the review's verdict and its findings (path,
line, severity, message — redacted like text sent to a remote model). Never the diff, a
prompt, a reply, a suggestion or a task. The file is private (0600 in a 0700 folder);
its schema is upgraded in place by history/migrations.py.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from relay_git.config.dirs import data_dir
from relay_git.history.migrations import migrate
from relay_git.types import Category, Finding, LedgerEntry, Severity

FILE_NAME = "history.sqlite3"
DIR_MODE = 0o700  # the log is private: what was reviewed where, and what the reviewer said
FILE_MODE = 0o600


@dataclass(frozen=True)
class Run:
    time: str
    repo: str
    command: str
    coder: str
    reviewer: str
    exit_code: int | None
    findings: int | None
    wall_seconds: float
    ledger: tuple[LedgerEntry, ...] = ()
    id: int | None = None
    source: str | None = None  # "hook" | "manual"; None: logged before it was recorded
    verdict: str | None = None  # the review's (the worst of several pushed refs')
    said: tuple[Finding, ...] = ()  # the review's findings, without suggestions

    @property
    def kind(self) -> str:
        """``hook`` for a review a git hook ran, else the command."""
        return "hook" if self.source == "hook" else self.command

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": self.time,
            "repo": self.repo,
            "command": self.command,
            "source": self.source,
            "coder": self.coder,
            "reviewer": self.reviewer,
            "exit_code": self.exit_code,
            "verdict": self.verdict,
            "findings": self.findings,
            "wall_seconds": round(self.wall_seconds, 3),
            "ledger": [e.to_dict() for e in self.ledger],
            "said": [_said_dict(f) for f in self.said],
        }


def _said_dict(f: Finding) -> dict[str, Any]:
    return {
        "path": f.path,
        "line": f.line,
        "end_line": f.end_line,
        "severity": f.severity.value,
        "category": f.category.value,
        "message": f.message,
    }


@dataclass(frozen=True)
class Query:
    """Which runs: all of them by default, newest first."""

    limit: int | None = None
    repo: str | None = None  # the repository root as logged
    since: str | None = None  # ISO 8601 UTC: runs at or after it
    kind: str | None = None  # scaffold | review (by hand) | hook
    model: str | None = None  # a full spec: the run's coder, reviewer, or a model it called

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if self.repo is not None:
            clauses.append("repo = ?")
            params.append(self.repo)
        if self.since is not None:
            clauses.append("time >= ?")
            params.append(self.since)
        if self.kind == "hook":
            clauses.append("source = 'hook'")
        elif self.kind is not None:
            clauses.append("command = ? AND source IS NOT 'hook'")
            params.append(self.kind)
        if self.model is not None:
            clauses.append(
                "(coder = ? OR reviewer = ? OR EXISTS"
                " (SELECT 1 FROM calls WHERE run_id = runs.id AND model = ?))"
            )
            params += [self.model] * 3
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def default_path(environ: Mapping[str, str]) -> Path:
    """``$XDG_DATA_HOME/relay-git/history.sqlite3``, else under ``~/.local/share``."""
    return data_dir(environ) / FILE_NAME


def _private(path: Path, mode: int) -> None:
    """``path`` with exactly ``mode`` (a log written by an older relay-git is tightened)."""
    if stat.S_IMODE(path.stat().st_mode) != mode:
        path.chmod(mode)


def _secure(path: Path) -> None:
    """The folder 0700 and the file 0600, created so before SQLite opens it (its journal
    files take the database's mode)."""
    path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    _private(path.parent, DIR_MODE)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, FILE_MODE))
    _private(path, FILE_MODE)


@contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    """The database at ``path``, created if need be, private, and migrated to this schema."""
    _secure(path)
    with closing(sqlite3.connect(path, timeout=5.0)) as conn:
        migrate(conn)
        yield conn


def append(path: Path, run: Run) -> int:
    """Add ``run``, its ledger and its findings in one transaction; returns the run's id."""
    with _connect(path) as conn, conn:
        cur = conn.execute(
            "INSERT INTO runs (time, repo, command, coder, reviewer, exit_code, findings,"
            " wall_seconds, source, verdict) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run.time, run.repo, run.command, run.coder, run.reviewer, run.exit_code,
                run.findings, run.wall_seconds, run.source, run.verdict,
            ),
        )  # fmt: skip
        run_id = int(cur.lastrowid or 0)
        conn.executemany(
            "INSERT INTO calls (run_id, seq, stage, role, model, prompt_tokens, output_tokens,"
            " seconds, context, ttft_seconds, decode_seconds, cached_tokens)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(run_id, i, *_call_row(e)) for i, e in enumerate(run.ledger)],
        )
        conn.executemany(
            "INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(run_id, i, *_finding_row(f)) for i, f in enumerate(run.said)],
        )
        return run_id


def _call_row(e: LedgerEntry) -> tuple[Any, ...]:
    return (
        e.stage, e.role, e.model, e.prompt_tokens, e.output_tokens, e.seconds, e.context,
        e.ttft_seconds, e.decode_seconds, e.cached_tokens,
    )  # fmt: skip


def _finding_row(f: Finding) -> tuple[Any, ...]:
    return (f.path, f.line, f.end_line, f.severity.value, f.category.value, f.message)


_RUNS = (
    "SELECT id, time, repo, command, coder, reviewer, exit_code, findings, wall_seconds,"
    " source, verdict FROM runs"
)
_CALLS = (
    "SELECT run_id, stage, role, model, prompt_tokens, output_tokens, seconds, context,"
    " cached_tokens, ttft_seconds, decode_seconds FROM calls"
)
_FINDINGS = "SELECT run_id, path, line, end_line, severity, category, message FROM findings"


def runs(path: Path, limit: int | None = None, query: Query | None = None) -> list[Run]:
    """The logged runs ``query`` selects, newest first (``limit`` overrides its limit)."""
    if not path.exists():
        return []
    query = query or Query()
    where, params = query.where()
    top = limit if limit is not None else query.limit
    with _connect(path) as conn:
        rows = conn.execute(
            f"{_RUNS}{where} ORDER BY id DESC LIMIT ?", [*params, -1 if top is None else top]
        ).fetchall()
        ids = [r[0] for r in rows]
        calls = _children(conn, _CALLS, ids, _entry)
        said = _children(conn, _FINDINGS, ids, _finding)
    return [_run(row, calls.get(row[0], ()), said.get(row[0], ())) for row in rows]


T = TypeVar("T")


def _children(
    conn: sqlite3.Connection, select: str, ids: list[int], make: Callable[[tuple[Any, ...]], T]
) -> dict[int, tuple[T, ...]]:
    """Rows of a child table for the runs ``ids``, by run, in their order."""
    out: dict[int, list[T]] = {}
    for start in range(0, len(ids), 500):  # SQLite's bound-parameter limit
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(f"{select} WHERE run_id IN ({marks}) ORDER BY run_id, seq", chunk):
            out.setdefault(row[0], []).append(make(row[1:]))
    return {k: tuple(v) for k, v in out.items()}


def _entry(row: tuple[Any, ...]) -> LedgerEntry:
    stage, role, model, prompt, output, seconds, context, cached, ttft, decode = row
    return LedgerEntry(
        stage, role, model, prompt, output, seconds, context, cached,
        ttft_seconds=ttft, decode_seconds=decode,
    )  # fmt: skip


def _finding(row: tuple[Any, ...]) -> Finding:
    path, line, end_line, severity, category, message = row
    return Finding(path, line, end_line, Severity(severity), Category(category), message)


def _run(row: tuple[Any, ...], ledger: tuple[LedgerEntry, ...], said: tuple[Finding, ...]) -> Run:
    run_id, when, repo, command, coder, reviewer, code, findings, seconds, source, verdict = row
    return Run(
        when, repo, command, coder, reviewer, code, findings, seconds, ledger, run_id,
        source, verdict, said,
    )  # fmt: skip
