"""Upload jobs in SQLite (``data_dir/jobs.sqlite3``), so that they survive a
restart and every worker process of `pfkb serve --workers N` sees them.

A job: id, file (the name the user gave), path (the saved upload), replace (the
document it replaces, if any), state (queued → parsing → indexing → done | error),
progress 0..1, the message in Japanese and English, the result as JSON."""
from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    file TEXT NOT NULL,
    path TEXT NOT NULL,
    replace TEXT,
    state TEXT NOT NULL CHECK (state IN ('queued', 'parsing', 'indexing', 'done', 'error')),
    progress REAL NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '',
    message_en TEXT NOT NULL DEFAULT '',
    result TEXT,
    created REAL NOT NULL,
    finished REAL
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, created);
"""
ACTIVE = ("queued", "parsing", "indexing")
KEEP_JOBS = 200


class JobStore:
    """One connection per instance; short transactions, WAL, a busy timeout:
    several processes read and write it at once."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.executescript(SCHEMA)

    def close(self) -> None:
        self.conn.close()

    def add(self, job_id: str, file: str, path: Path, replace: str | None = None) -> None:
        self.conn.execute("INSERT INTO jobs (id, file, path, replace, state, message, message_en, created)"
                          " VALUES (?,?,?,?, 'queued', '順番待ちです', 'queued', ?)",
                          (job_id, file, str(path), replace, time.time()))
        self.conn.execute("DELETE FROM jobs WHERE state IN ('done', 'error') AND id NOT IN"
                          " (SELECT id FROM jobs ORDER BY created DESC LIMIT ?)", (KEEP_JOBS,))

    def update(self, job_id: str, **changes: Any) -> None:
        if "result" in changes and changes["result"] is not None:
            changes["result"] = json.dumps(changes["result"], ensure_ascii=False)
        if changes.get("state") in ("done", "error"):
            changes.setdefault("finished", time.time())
        cols = ", ".join(f"{k} = ?" for k in changes)
        self.conn.execute(f"UPDATE jobs SET {cols} WHERE id = ?", (*changes.values(), job_id))

    def get(self, job_id: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            return None
        d = dict(row)
        d["result"] = json.loads(d["result"]) if d["result"] else None
        return d

    def delete(self, job_id: str) -> None:
        self.conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    def next_queued(self) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT id FROM jobs WHERE state = 'queued' ORDER BY created LIMIT 1").fetchone()
        return self.get(row["id"]) if row else None

    def active(self) -> list[dict[str, Any]]:
        return [self.get(r["id"]) for r in self.conn.execute(
            "SELECT id FROM jobs WHERE state IN ('queued', 'parsing', 'indexing') ORDER BY created")]
