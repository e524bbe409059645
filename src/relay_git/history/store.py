"""The run history: one SQLite row per ``review``/``scaffold`` run, plus its ledger.

Only metadata is kept — when, where, which command and models, each model call's token
counts and seconds, the exit code and how many findings. Never the diff, a prompt, a
reply, a finding's text or a task: the log can sit in a home directory for years.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relay_git.types import LedgerEntry

FILE_NAME = "history.sqlite3"
_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    time TEXT NOT NULL,          -- ISO 8601, UTC
    repo TEXT NOT NULL,          -- the repository's root (or the working directory)
    command TEXT NOT NULL,       -- review | scaffold
    coder TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    exit_code INTEGER,           -- NULL: the run ended without one (killed)
    findings INTEGER,            -- NULL: not a count this command makes
    wall_seconds REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS calls (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    stage TEXT NOT NULL,
    role TEXT NOT NULL,
    model TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    seconds REAL NOT NULL,
    context INTEGER NOT NULL,
    PRIMARY KEY (run_id, seq)
);
"""


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

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": self.time,
            "repo": self.repo,
            "command": self.command,
            "coder": self.coder,
            "reviewer": self.reviewer,
            "exit_code": self.exit_code,
            "findings": self.findings,
            "wall_seconds": round(self.wall_seconds, 3),
            "ledger": [e.to_dict() for e in self.ledger],
        }


def default_path(environ: Mapping[str, str]) -> Path:
    """``$XDG_DATA_HOME/relay-git/history.sqlite3``, else under ``~/.local/share``."""
    data = environ.get("XDG_DATA_HOME", "")
    if not data or not Path(data).is_absolute():  # the XDG spec: relative values are ignored
        data = str(Path(environ.get("HOME") or Path.home()) / ".local" / "share")
    return Path(data) / "relay-git" / FILE_NAME


@contextmanager
def _connect(path: Path, create: bool) -> Iterator[sqlite3.Connection]:
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    uri = f"{path.resolve().as_uri()}?mode={'rwc' if create else 'ro'}"
    with closing(sqlite3.connect(uri, uri=True, timeout=5.0)) as conn:
        if create:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                conn.executescript(_SCHEMA + f"PRAGMA user_version = {_SCHEMA_VERSION};")
        yield conn


def append(path: Path, run: Run) -> int:
    """Add ``run`` and its ledger in one transaction; returns the run's id."""
    with _connect(path, create=True) as conn, conn:
        cur = conn.execute(
            "INSERT INTO runs (time, repo, command, coder, reviewer, exit_code, findings,"
            " wall_seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run.time,
                run.repo,
                run.command,
                run.coder,
                run.reviewer,
                run.exit_code,
                run.findings,
                run.wall_seconds,
            ),
        )
        run_id = int(cur.lastrowid or 0)
        conn.executemany(
            "INSERT INTO calls VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    run_id,
                    i,
                    e.stage,
                    e.role,
                    e.model,
                    e.prompt_tokens,
                    e.output_tokens,
                    e.seconds,
                    e.context,
                )
                for i, e in enumerate(run.ledger)
            ],
        )
        return run_id


def runs(path: Path, limit: int | None = None) -> list[Run]:
    """The logged runs, newest first (all of them when ``limit`` is None)."""
    if not path.exists():
        return []
    with _connect(path, create=False) as conn:
        rows = conn.execute(
            "SELECT id, time, repo, command, coder, reviewer, exit_code, findings, wall_seconds"
            " FROM runs ORDER BY id DESC LIMIT ?",
            (-1 if limit is None else limit,),
        ).fetchall()
        calls: dict[int, list[LedgerEntry]] = {}
        ids = [r[0] for r in rows]
        for chunk_start in range(0, len(ids), 500):  # SQLite's bound-parameter limit
            chunk = ids[chunk_start : chunk_start + 500]
            marks = ",".join("?" * len(chunk))
            for c in conn.execute(
                "SELECT run_id, stage, role, model, prompt_tokens, output_tokens, seconds, context"
                f" FROM calls WHERE run_id IN ({marks}) ORDER BY run_id, seq",
                chunk,
            ):
                calls.setdefault(c[0], []).append(LedgerEntry(*c[1:]))
    return [_run(row, tuple(calls.get(row[0], ()))) for row in rows]


def _run(row: tuple[Any, ...], ledger: tuple[LedgerEntry, ...]) -> Run:
    run_id, when, repo, command, coder, reviewer, code, findings, seconds = row
    return Run(when, repo, command, coder, reviewer, code, findings, seconds, ledger, run_id)
