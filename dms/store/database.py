"""The SQLite event log: sessions, events and timeline rows in one file.

WAL mode lets a second process (the GUI, `report`) read while a replay writes; every write is one
transaction, so a killed writer leaves the file consistent with whatever it last committed.
The schema version is kept in `PRAGMA user_version`.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path

from dms.core.errors import InputError, StorageError
from dms.core.types import Event
from dms.store.records import SessionRecord, to_json

SCHEMA_VERSION = 1
REVIEWS = ("confirmed", "rejected")

_SCHEMA = """
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    info TEXT NOT NULL,
    writer_host TEXT NOT NULL,
    writer_pid INTEGER NOT NULL
);
CREATE TABLE events (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    behavior TEXT NOT NULL,
    start_s REAL NOT NULL,
    end_s REAL NOT NULL,
    severity TEXT NOT NULL,
    peak_score REAL NOT NULL,
    mean_score REAL NOT NULL,
    evidence TEXT NOT NULL,
    speed_kmh TEXT,
    distance_m REAL,
    stationary INTEGER,
    thumbnail TEXT,
    clip TEXT,
    review TEXT,
    relabel TEXT,
    is_open INTEGER NOT NULL,
    PRIMARY KEY (session_id, id)
);
CREATE TABLE timeline (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    frame INTEGER NOT NULL,
    t REAL NOT NULL,
    row TEXT NOT NULL
);
CREATE INDEX timeline_by_session ON timeline(session_id);
"""

_EVENT_COLUMNS = (
    "behavior, start_s, end_s, severity, peak_score, mean_score, evidence, speed_kmh, distance_m, "
    "stationary, thumbnail, clip, review, relabel"
)

_UPSERT_EVENT = f"""
INSERT INTO events (session_id, id, {_EVENT_COLUMNS}, is_open)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (session_id, id) DO UPDATE SET
    behavior = excluded.behavior, start_s = excluded.start_s, end_s = excluded.end_s,
    severity = excluded.severity, peak_score = excluded.peak_score, mean_score = excluded.mean_score,
    evidence = excluded.evidence, speed_kmh = excluded.speed_kmh, distance_m = excluded.distance_m,
    stationary = excluded.stationary, thumbnail = COALESCE(excluded.thumbnail, events.thumbnail),
    clip = COALESCE(excluded.clip, events.clip), is_open = excluded.is_open
"""


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Store:
    """Opens (or, with `create`, creates) the event log at `path`. Safe to share between threads."""

    def __init__(self, path: str | Path, create: bool = True, lock_timeout_s: float = 10.0):
        self.path = Path(path)
        self.lock_timeout_s = lock_timeout_s
        if not create and not self.path.is_file():
            raise InputError(self.path, "no event log (SQLite file) found")
        if self.path.is_dir():
            raise InputError(self.path, "is a folder; give the event log's file name")
        self._lock = threading.RLock()
        self._host = socket.gethostname()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=lock_timeout_s, isolation_level=None,
                                       check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise InputError(self.path, f"cannot open or create the event log ({exc})") from None
        try:
            self._open(create)
        except sqlite3.OperationalError as exc:
            self._db.close()
            raise self._storage_error(exc) from None
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise InputError(self.path, f"not a DMS event log ({exc})") from None
        except InputError:
            self._db.close()
            raise

    def _open(self, create: bool) -> None:
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.execute(f"PRAGMA busy_timeout = {int(self.lock_timeout_s * 1000)}")
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            if not create:
                raise InputError(self.path, "not a DMS event log (no schema)")
            self._create_schema()
        elif version > SCHEMA_VERSION:
            raise InputError(self.path, f"event log schema {version} is newer than this program's")
        if self._db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = FULL")  # fsync each commit: about one a second

    def _create_schema(self) -> None:
        with self._transaction():
            if self._db.execute("PRAGMA user_version").fetchone()[0] != 0:
                return  # another process created it while we waited for the lock
            tables = self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables:
                raise InputError(self.path, "an SQLite file, but not a DMS event log")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction. Waiting for another writer's lock is bounded by `lock_timeout_s`
        (SQLite's busy timeout retries meanwhile); a lock still held then, a full disk or any other
        write failure is a StorageError, and the transaction is rolled back: the log keeps what
        was committed before."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise self._storage_error(exc) from None
            try:
                yield
                self._db.execute("COMMIT")
            except BaseException as exc:
                if self._db.in_transaction:
                    with suppress(sqlite3.Error):  # SQLite may have rolled back itself (full disk)
                        self._db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.OperationalError):
                    raise self._storage_error(exc) from None
                raise

    def _storage_error(self, exc: sqlite3.OperationalError) -> StorageError:
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            problem = (f"the event log is locked by another process (still after {self.lock_timeout_s:g} s "
                       "of retrying); close the other writer (a replay, batch or the app) and run again")
        elif "full" in text:
            problem = "the disk is full: the event log cannot grow (what it held before is kept)"
        else:
            problem = f"cannot write the event log ({exc})"
        return StorageError(self.path, problem)

    def mark_interrupted(self, session_id: str, reason: str) -> None:
        """Best effort after a failed write: the session says it was interrupted, and why. When even
        this cannot be written, readers still see it as interrupted once this process has ended."""
        with suppress(StorageError, sqlite3.Error):
            self.finish_session(session_id, {"status": "interrupted", "interrupted_by": reason})

    # Sessions

    def create_session(self, source: str, info: dict) -> str:
        """Start a session; its id reads as local start time plus a random suffix."""
        now = datetime.now().astimezone()
        while True:
            session_id = f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
            try:
                with self._transaction():
                    self._db.execute(
                        "INSERT INTO sessions (id, source, started_at, status, info, writer_host, writer_pid)"
                        " VALUES (?, ?, ?, 'running', ?, ?, ?)",
                        (session_id, str(source), now.isoformat(timespec="seconds"), to_json(info),
                         self._host, os.getpid()),
                    )
                return session_id
            except sqlite3.IntegrityError:
                continue

    def finish_session(self, session_id: str, summary: dict) -> None:
        """Merge `summary` into the session's info and set its final status.

        The status is summary["status"] if given, else "cancelled", "stopped_early" or "complete"
        from summary["cancelled"] and summary["stopped_early"].
        """
        record = self.session(session_id)
        status = summary.get("status") or (
            "cancelled" if summary.get("cancelled")
            else "stopped_early" if summary.get("stopped_early")
            else "complete"
        )
        info = {**record.info, **{k: v for k, v in summary.items() if k != "status"}}
        finished = datetime.now().astimezone().isoformat(timespec="seconds")
        with self._transaction():
            self._db.execute(
                "UPDATE sessions SET status = ?, info = ?, finished_at = ? WHERE id = ?",
                (status, to_json(info), finished, session_id),
            )

    def update_info(self, session_id: str, changes: dict) -> None:
        """Merge `changes` into a session's info, leaving its status and times as they are (e.g. the
        driver or vehicle of a drive corrected in the fleet manifest after it was analysed)."""
        with self._transaction():
            row = self._db.execute("SELECT info FROM sessions WHERE id = ?", (session_id,)).fetchone()
            if row is None:
                raise InputError(self.path, f"no session {session_id!r} in this event log")
            info = {**json.loads(row[0]), **changes}
            self._db.execute("UPDATE sessions SET info = ? WHERE id = ?", (to_json(info), session_id))

    def import_session(
        self, record: SessionRecord, events: list[Event], timeline: list[dict], media: dict[str, bytes]
    ) -> str:
        """Add a session analysed elsewhere (a batch worker's own log) in one transaction, so the
        log holds either all of it or none of it; returns its id here (the worker's, unless taken).

        `media` maps paths relative to the session's media_dir (as the events name them) to their
        bytes; they are written before the rows. Raises InputError for a path leaving media_dir.
        """
        session_id = record.id
        with self._lock:
            taken = self._db.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if taken:
            session_id = f"{record.id}-{secrets.token_hex(2)}"
        root = self.media_dir(session_id).resolve()
        for relative, data in media.items():
            target = (root / relative).resolve()
            if not target.is_relative_to(root):
                raise InputError(relative, "media path leaves the session's media folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        rows = [(session_id, int(r["frame"]), float(r["t"]), to_json(r)) for r in timeline]
        with self._transaction():
            self._db.execute(
                "INSERT INTO sessions (id, source, started_at, finished_at, status, info, writer_host,"
                " writer_pid) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (session_id, record.source, record.started_at, record.finished_at, record.status,
                 to_json(record.info), self._host, os.getpid()),
            )
            self._db.executemany("INSERT INTO timeline (session_id, frame, t, row) VALUES (?, ?, ?, ?)", rows)
            self._db.executemany(_UPSERT_EVENT, [self._event_params(session_id, e, False) for e in events])
        return session_id

    def record_failure(self, source: str, info: dict) -> str:
        """Log a drive that could not be analysed: a session with status "failed", no events and
        `info` (which should say why under "error")."""
        now = datetime.now().astimezone().isoformat(timespec="seconds")
        record = SessionRecord(self._new_id(), str(source), now, "failed", info, now)
        return self.import_session(record, [], [], {})

    @staticmethod
    def _new_id() -> str:
        return f"{datetime.now().astimezone():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"

    def sessions(self) -> list[SessionRecord]:
        """All sessions, newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, source, started_at, finished_at, status, info, writer_host, writer_pid"
                " FROM sessions ORDER BY started_at DESC, rowid DESC"
            ).fetchall()
        return [self._session_record(row) for row in rows]

    def session(self, session_id: str) -> SessionRecord:
        with self._lock:
            row = self._db.execute(
                "SELECT id, source, started_at, finished_at, status, info, writer_host, writer_pid"
                " FROM sessions WHERE id = ?",
                (session_id,),
            ).fetchone()
        if row is None:
            raise InputError(self.path, f"no session {session_id!r} in this event log")
        return self._session_record(row)

    def latest_session_id(self) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id FROM sessions ORDER BY started_at DESC, rowid DESC LIMIT 1"
            ).fetchone()
        return row[0] if row else None

    def _session_record(self, row: tuple) -> SessionRecord:
        session_id, source, started_at, finished_at, status, info, host, pid = row
        if status == "running" and host == self._host and not _process_alive(pid):
            status = "interrupted"
        return SessionRecord(session_id, source, started_at, status, json.loads(info), finished_at)

    def media_dir(self, session_id: str) -> Path:
        """Folder beside the db for a session's thumbs/ and clips/ (created by whoever writes there)."""
        return self.path.parent / "media" / session_id

    # Events and timeline

    def record(
        self, session_id: str, timeline_rows: Iterable[dict], events: Iterable[tuple[Event, bool]]
    ) -> None:
        """Append timeline rows and insert or update events (each with whether it is still open),
        all in one transaction."""
        rows = [(session_id, int(r["frame"]), float(r["t"]), to_json(r)) for r in timeline_rows]
        event_rows = [self._event_params(session_id, event, is_open) for event, is_open in events]
        with self._transaction():
            self._db.executemany(
                "INSERT INTO timeline (session_id, frame, t, row) VALUES (?, ?, ?, ?)", rows
            )
            self._db.executemany(_UPSERT_EVENT, event_rows)

    @staticmethod
    def _event_params(session_id: str, e: Event, is_open: bool) -> tuple:
        return (
            session_id, e.id, e.behaviour, float(e.start_s), float(e.end_s), e.severity,
            float(e.peak_score), float(e.mean_score), to_json(e.evidence),
            None if e.speed_kmh is None else to_json(e.speed_kmh),
            None if e.distance_m is None else float(e.distance_m),
            None if e.stationary is None else int(e.stationary),
            e.thumbnail, e.clip, e.review, e.relabel, int(is_open),
        )

    def events(self, session_id: str) -> list[Event]:
        """The session's events in start order (an event still open carries its last known end)."""
        self.session(session_id)
        with self._lock:
            rows = self._db.execute(
                f"SELECT id, {_EVENT_COLUMNS} FROM events WHERE session_id = ? ORDER BY start_s, rowid",
                (session_id,),
            ).fetchall()
        return [
            Event(
                id=r[0], behaviour=r[1], start_s=r[2], end_s=r[3], severity=r[4], peak_score=r[5],
                mean_score=r[6], evidence=json.loads(r[7]),
                speed_kmh=None if r[8] is None else json.loads(r[8]), distance_m=r[9],
                stationary=None if r[10] is None else bool(r[10]), thumbnail=r[11], clip=r[12],
                review=r[13], relabel=r[14],
            )
            for r in rows
        ]

    def timeline(self, session_id: str) -> list[dict]:
        """The session's timeline rows (see dms.store.records.timeline_row) in analysis order."""
        self.session(session_id)
        with self._lock:
            rows = self._db.execute(
                "SELECT row FROM timeline WHERE session_id = ? ORDER BY rowid", (session_id,)
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def set_review(
        self, event_id: str, review: str | None, relabel: str | None, session_id: str | None = None
    ) -> None:
        """Record a reviewer's verdict on an event. `session_id` is needed only when event ids repeat
        across sessions."""
        if review is not None and review not in REVIEWS:
            raise InputError(event_id, f"review must be one of {', '.join(REVIEWS)} or None, not {review!r}")
        self._update_event(session_id, event_id, "review = ?, relabel = ?", (review, relabel))

    def _update_event(self, session_id: str | None, event_id: str, assignments: str, values: tuple) -> None:
        where, key = ("id = ?", (event_id,)) if session_id is None else (
            "id = ? AND session_id = ?", (event_id, session_id))
        with self._transaction():
            matches = self._db.execute(f"SELECT count(*) FROM events WHERE {where}", key).fetchone()[0]
            if matches != 1:
                problem = "no such event" if matches == 0 else "id in several sessions; name one"
                raise InputError(event_id, problem)
            self._db.execute(f"UPDATE events SET {assignments} WHERE {where}", values + key)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
