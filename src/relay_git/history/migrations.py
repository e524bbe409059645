"""The history's schema, as a list of migrations (simonw/llm's ``migrations.py`` pattern).

Each function decorated with :func:`migration` changes the schema one step; a
``_migrations`` table records the name of every step that ran, so :func:`migrate` runs
only the new ones, in order, and an existing database is upgraded in place. A migration
is never edited once released: a change is a new function at the end of the list.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    """Add ``fn`` to the end of the list of migrations."""
    MIGRATIONS.append(fn)
    return fn


def _applied(db: sqlite3.Connection) -> set[str]:
    return {row[0] for row in db.execute("SELECT name FROM _migrations")}


def migrate(db: sqlite3.Connection) -> None:
    """Run every migration not yet recorded in ``_migrations``, in order, each with its
    record in one transaction (SQLite's DDL is transactional): a crash leaves a step either
    done and recorded or not begun, and of two processes upgrading at once one waits."""
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    applied = _applied(db)
    for fn in MIGRATIONS:
        if fn.__name__ in applied:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            if fn.__name__ not in _applied(db):  # another process may have run it meanwhile
                fn(db)
                db.execute(
                    "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                    (fn.__name__, datetime.now(UTC).isoformat(timespec="seconds")),
                )
        except BaseException:
            db.rollback()
            raise
        db.commit()


@migration
def m001_initial(db: sqlite3.Connection) -> None:
    """The schema before migrations (PRAGMA user_version 1): databases made then have it."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS runs (
            id INTEGER PRIMARY KEY,
            time TEXT NOT NULL,          -- ISO 8601, UTC
            repo TEXT NOT NULL,          -- the repository's root (or the working directory)
            command TEXT NOT NULL,       -- review | scaffold
            coder TEXT NOT NULL,
            reviewer TEXT NOT NULL,
            exit_code INTEGER,           -- NULL: the run ended without one (killed)
            findings INTEGER,            -- NULL: not a count this command makes
            wall_seconds REAL NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS calls (
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
        )"""
    )


@migration
def m002_call_timings(db: sqlite3.Connection) -> None:
    """Each call's time to first token and decode seconds (NULL: not timed apart), and
    the prompt tokens its engine's cache served."""
    db.execute("ALTER TABLE calls ADD COLUMN ttft_seconds REAL")
    db.execute("ALTER TABLE calls ADD COLUMN decode_seconds REAL")
    db.execute("ALTER TABLE calls ADD COLUMN cached_tokens INTEGER NOT NULL DEFAULT 0")


@migration
def m003_source_verdict_findings(db: sqlite3.Connection) -> None:
    """Where a run came from (hook | manual; NULL before this), the review's verdict, and
    what the reviewer said: one row per finding."""
    db.execute("ALTER TABLE runs ADD COLUMN source TEXT")
    db.execute("ALTER TABLE runs ADD COLUMN verdict TEXT")
    db.execute(
        """CREATE TABLE findings (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            path TEXT NOT NULL,
            line INTEGER NOT NULL,
            end_line INTEGER NOT NULL,
            severity TEXT NOT NULL,
            category TEXT NOT NULL,
            message TEXT NOT NULL,
            PRIMARY KEY (run_id, seq)
        )"""
    )
    db.execute("CREATE INDEX runs_time ON runs (time)")
    db.execute("CREATE INDEX runs_repo ON runs (repo)")


@migration
def m004_call_bounds(db: sqlite3.Connection) -> None:
    """Why each call's reply ended and the output bound it was given, so a call keeps every
    field of its ledger entry (rows from before: "stop" and 0, the entry's defaults)."""
    db.execute("ALTER TABLE calls ADD COLUMN done_reason TEXT NOT NULL DEFAULT 'stop'")
    db.execute("ALTER TABLE calls ADD COLUMN max_tokens INTEGER NOT NULL DEFAULT 0")
