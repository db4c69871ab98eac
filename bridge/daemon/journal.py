"""The job journal: every job in sqlite, so a crash or ``kill -9`` loses nothing.

Each change is committed before the daemon acts on it: the endpoint id as soon
as the endpoint gives one (a restart then polls it instead of asking again),
the take path once the take is written (a restart then never writes it twice).
WAL mode keeps commits cheap and lets ``musicgen-bridge history`` read while a
daemon writes.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bridge.core.commands import Origin
from bridge.core.jobs import spec_from_dict, spec_to_dict
from bridge.core.progress import Stage
from bridge.core.request import GenerationSpec
from bridge.errors import StorageError

__all__ = ["Journal", "JournalEntry", "format_history"]

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    spec TEXT NOT NULL,
    state TEXT NOT NULL,
    endpoint_id TEXT,
    take_path TEXT,
    take_seconds REAL,
    error_code TEXT,
    error TEXT,
    origin_host TEXT,
    origin_kind TEXT,
    origin_tag TEXT
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state);
"""
_COLUMNS = (
    "id, created, updated, spec, state, endpoint_id, take_path, take_seconds, error_code, error, "
    "origin_host, origin_kind, origin_tag"
)
#: columns added after the first schema, added to older journals when they are opened
_ADDED_COLUMNS = {"origin_kind": "TEXT", "origin_tag": "TEXT"}


@dataclass(frozen=True, slots=True)
class JournalEntry:
    id: str
    created: float
    updated: float
    spec: GenerationSpec
    state: Stage
    endpoint_id: str | None = None
    take_path: Path | None = None
    take_seconds: float | None = None
    error_code: str | None = None
    error: str | None = None
    #: the host that triggered the job: a resumed take is announced to it too
    origin_host: str | None = None
    #: which input triggered it, and its tag (the inbox's reply file), so a resumed job still answers it
    origin_kind: str | None = None
    origin_tag: str | None = None

    @property
    def origin(self) -> Origin | None:
        if self.origin_host is None and self.origin_tag is None:
            return None
        return Origin(self.origin_kind or "osc", self.origin_host, tag=self.origin_tag)


def _entry(row: tuple) -> JournalEntry:  # type: ignore[type-arg]
    return JournalEntry(
        id=row[0],
        created=row[1],
        updated=row[2],
        spec=spec_from_dict(json.loads(row[3])),
        state=Stage(row[4]),
        endpoint_id=row[5],
        take_path=None if row[6] is None else Path(row[6]),
        take_seconds=row[7],
        error_code=row[8],
        error=row[9],
        origin_host=row[10],
        origin_kind=row[11],
        origin_tag=row[12],
    )


class Journal:
    """A job journal at ``path`` (created with its folder). One connection, shared under a lock."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode survives a killed process; only a power cut may lose the last commits
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
            present = {row[1] for row in self._db.execute("PRAGMA table_info(jobs)")}
            for column, kind in _ADDED_COLUMNS.items():
                if column not in present:
                    self._db.execute(f"ALTER TABLE jobs ADD COLUMN {column} {kind}")
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(
                f"cannot open the job journal at '{self.path}' ({exc}); check that the state folder is writable "
                "(--state-dir)"
            ) from exc

    def _execute(self, sql: str, params: tuple = ()) -> list[tuple]:  # type: ignore[type-arg]
        try:
            with self._lock:
                return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StorageError(f"the job journal at '{self.path}' could not be written ({exc})") from exc

    def add(
        self, job_id: str, spec: GenerationSpec, *, origin: Origin | None = None, created: float | None = None
    ) -> None:
        now = time.time() if created is None else created
        self._execute(
            "INSERT INTO jobs (id, created, updated, spec, state, origin_host, origin_kind, origin_tag)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                job_id,
                now,
                now,
                json.dumps(spec_to_dict(spec)),
                Stage.QUEUED.value,
                origin.host if origin else None,
                origin.kind if origin else None,
                origin.tag if origin else None,
            ),
        )

    def set_state(self, job_id: str, state: Stage, *, error_code: str | None = None, error: str | None = None) -> None:
        self._execute(
            "UPDATE jobs SET state = ?, updated = ?, error_code = COALESCE(?, error_code), error = COALESCE(?, error) "
            "WHERE id = ?",
            (state.value, time.time(), error_code, error, job_id),
        )

    def set_endpoint_id(self, job_id: str, endpoint_id: str) -> None:
        self._execute("UPDATE jobs SET endpoint_id = ?, updated = ? WHERE id = ?", (endpoint_id, time.time(), job_id))

    def set_done(self, job_id: str, take_path: Path, seconds: float) -> None:
        self._execute(
            "UPDATE jobs SET state = ?, take_path = ?, take_seconds = ?, updated = ? WHERE id = ?",
            (Stage.DONE.value, str(take_path), seconds, time.time(), job_id),
        )

    def get(self, job_id: str) -> JournalEntry | None:
        rows = self._execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        return _entry(rows[0]) if rows else None

    def unfinished(self) -> list[JournalEntry]:
        """Jobs not done, failed or cancelled, oldest first: what a restart must finish."""
        finished = tuple(stage.value for stage in Stage if stage.finished)
        rows = self._execute(
            f"SELECT {_COLUMNS} FROM jobs WHERE state NOT IN (?, ?, ?) ORDER BY id", finished
        )
        return [_entry(row) for row in rows]

    def recent_takes(self, n: int = 20) -> list[JournalEntry]:
        """The newest ``n`` finished takes, newest first."""
        rows = self._execute(
            f"SELECT {_COLUMNS} FROM jobs WHERE state = ? ORDER BY id DESC LIMIT ?", (Stage.DONE.value, max(0, n))
        )
        return [_entry(row) for row in rows]

    def newest_id(self) -> str | None:
        rows = self._execute("SELECT MAX(id) FROM jobs")
        return rows[0][0] if rows else None

    def close(self) -> None:
        with self._lock:
            self._db.close()


def format_history(journal: Journal, n: int = 20) -> str:
    """``musicgen-bridge history``: one line per recent take, newest first."""
    takes = journal.recent_takes(n)
    if not takes:
        return "no takes yet"
    lines = []
    for take in takes:
        spec = take.spec
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(take.created))
        length = f"{take.take_seconds:.1f}s" if take.take_seconds is not None else "?"
        tempo = f"{spec.bpm:g} bpm" if spec.bpm is not None else "- bpm"
        key = spec.key.short() if spec.key is not None else "-"
        seed = spec.seed if spec.seed is not None else "-"
        lines.append(f"{take.id}  {when}  {length:>7}  {tempo:>9}  {key:<3}  seed {seed}  {take.take_path}")
    return "\n".join(lines)
