"""A ledger entry has one serialisation (LedgerEntry.to_dict / from_dict), and the history
keeps every field of it: an entry written to a real history file reads back equal."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from relay_git.history.migrations import MIGRATIONS
from relay_git.history.store import CALL_COLUMNS, Run, append, default_path, runs
from relay_git.types import LedgerEntry

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)  # sqlite: valid UTF-8
COUNT = st.integers(min_value=0, max_value=2**62)
SECONDS = st.floats(min_value=0, max_value=1e9, allow_nan=False)
ENTRIES = st.builds(
    LedgerEntry,
    stage=TEXT,
    role=TEXT,
    model=TEXT,
    prompt_tokens=COUNT,
    output_tokens=COUNT,
    seconds=SECONDS,
    context=COUNT,
    cached_tokens=COUNT,
    done_reason=TEXT,
    max_tokens=COUNT,
    ttft_seconds=st.none() | SECONDS,
    decode_seconds=st.none() | SECONDS,
)


def run_of(*entries: LedgerEntry) -> Run:
    return Run("2026-02-01T00:00:00+00:00", "/r", "scaffold", "c", "r", 0, None, 1.0, entries)


@settings(max_examples=25, deadline=None)
@given(st.lists(ENTRIES, min_size=1, max_size=3))
def test_an_entry_reads_back_from_the_history_equal_in_every_field(
    entries: list[LedgerEntry],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "history.sqlite3"
        append(path, run_of(*entries))
        [logged] = runs(path)
    assert logged.ledger == tuple(entries)


@given(ENTRIES)
def test_the_json_shape_reads_back_to_the_millisecond(entry: LedgerEntry) -> None:
    """Run state and ``--json`` write the rounded shape; from_dict reads it and the exact one."""
    assert LedgerEntry.from_dict(entry.to_dict(exact=True)) == entry
    back = LedgerEntry.from_dict(json.loads(json.dumps(entry.to_dict())))
    assert back == dataclasses.replace(
        entry,
        seconds=round(entry.seconds, 3),
        ttft_seconds=ms(entry.ttft_seconds),
        decode_seconds=ms(entry.decode_seconds),
    )


def ms(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def test_the_calls_table_has_a_column_for_every_field() -> None:
    db = sqlite3.connect(":memory:")
    for step in MIGRATIONS:
        step(db)
    columns = {row[1] for row in db.execute("PRAGMA table_info(calls)")}
    assert set(CALL_COLUMNS) <= columns
    assert list(CALL_COLUMNS) == list(LedgerEntry("s", "r", "m", 1, 1, 1.0, 1).to_dict(exact=True))


def test_a_database_from_before_the_bounds_keeps_its_calls() -> None:
    """A history written before ``done_reason``/``max_tokens`` were kept (migrations 1-3)
    is upgraded in place: its calls read back with those fields' defaults."""
    path = default_path({"XDG_DATA_HOME": str(Path(tempfile.mkdtemp()))})
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
        for step in MIGRATIONS[:3]:
            step(db)
            db.execute("INSERT INTO _migrations VALUES (?, '2026-01-01')", (step.__name__,))
        db.execute(
            "INSERT INTO runs (id, time, repo, command, coder, reviewer, exit_code, findings,"
            " wall_seconds) VALUES (1, '2026-01-01T00:00:00+00:00', '/r', 'scaffold', 'c', 'r',"
            " 0, NULL, 9.5)"
        )
        db.execute(
            "INSERT INTO calls (run_id, seq, stage, role, model, prompt_tokens, output_tokens,"
            " seconds, context, ttft_seconds, decode_seconds, cached_tokens)"
            " VALUES (1, 0, 'plan', 'coder', 'llamacpp:/m.gguf', 300, 50, 2.5, 4096, 0.5, 2.0, 7)"
        )
    [old] = runs(path)
    assert old.ledger == (
        LedgerEntry(
            "plan", "coder", "llamacpp:/m.gguf", 300, 50, 2.5, 4096, 7, "stop", 0, 0.5, 2.0
        ),
    )
    entry = LedgerEntry("review", "reviewer", "r", 10, 5, 1.0, 4096, 0, "length", 64, None, None)
    append(path, run_of(entry))
    assert [r.ledger for r in runs(path)] == [(entry,), old.ledger]
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM calls").fetchone()[0] == 2
