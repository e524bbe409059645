"""The history's schema moves by migrations (simonw/llm's pattern), upgrading old files in
place, and the file is private: 0600 in a 0700 folder."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from relay_git.history.migrations import MIGRATIONS, migrate
from relay_git.history.store import Run, append, default_path, runs
from relay_git.types import Category, Finding, LedgerEntry, Severity

# The schema relay-git wrote before migrations existed (store.py's _SCHEMA, user_version 1),
# verbatim, with a run as it logged one.
OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    repo TEXT NOT NULL,
    command TEXT NOT NULL,
    coder TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    exit_code INTEGER,
    findings INTEGER,
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
PRAGMA user_version = 1;
INSERT INTO runs VALUES (1, '2026-01-01T00:00:00+00:00', '/r', 'review', 'ollama:c',
    'ollama:r', 1, 2, 3.5);
INSERT INTO calls VALUES (1, 0, 'review', 'reviewer', 'ollama:r', 900, 40, 3.0, 4096);
"""


def old_database(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
    path.chmod(0o644)
    path.parent.chmod(0o755)


def test_an_old_database_is_upgraded_in_place_and_keeps_its_runs() -> None:
    path = default_path(dict(os.environ))
    old_database(path)
    [old] = runs(path)
    assert (old.command, old.exit_code, old.findings, old.source, old.verdict) == (
        "review", 1, 2, None, None
    )  # fmt: skip
    assert old.ledger[0].output_tokens == 40 and old.ledger[0].decode_seconds is None
    entry = LedgerEntry("review", "reviewer", "ollama:r", 10, 5, 1.0, 4096, 0, "stop", 0, 0.2, 0.8)
    said = Finding("a.py", 3, 3, Severity.ERROR, Category.BUG, "off by one")
    new = Run("2026-02-01T00:00:00+00:00", "/r", "review", "ollama:c", "ollama:r", 1, 1, 1.0,
              (entry,), source="hook", verdict="fix", said=(said,))  # fmt: skip
    append(path, new)
    latest, first = runs(path)
    assert latest.ledger == (entry,) and latest.said == (said,) and latest.kind == "hook"
    assert first.id == 1
    with sqlite3.connect(path) as db:
        names = [r[0] for r in db.execute("SELECT name FROM _migrations ORDER BY rowid")]
    assert names == [m.__name__ for m in MIGRATIONS]


def test_migrations_run_once() -> None:
    db = sqlite3.connect(":memory:")
    migrate(db)
    migrate(db)  # nothing left to do: no "duplicate column"
    count = db.execute("SELECT count(*) FROM _migrations").fetchone()[0]
    assert count == len(MIGRATIONS) >= 3


def test_the_history_is_private_and_an_old_one_is_tightened() -> None:
    path = default_path(dict(os.environ))
    old_database(path)
    runs(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    path.unlink()
    path.parent.rmdir()
    append(path, Run("2026-02-01T00:00:00+00:00", "/r", "review", "c", "r", 0, 0, 1.0))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
