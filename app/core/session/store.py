"""Sessions on disk: one SQLite database (WAL) in the user's data folder, built to survive a crash.

    store = SessionStore()                       # or SessionStore(path) / $FER_COMPANION_DATA
    sid = store.create_session(SessionMeta.from_analyzer(analyzer, patient_code="P-017"))
    store.add_frames(sid, results)               # one transaction (SessionRecorder batches)
    note = store.add_note(sid, Note(12.5, "looks away", "sad"))   # committed at once, has id
    store.update_note(replace(note, text="...")); store.delete_note(note.id)
    store.list_sessions() -> [SessionSummary]; store.load_session(sid) -> LoadedSession
    store.rename_session(sid, "P-018"); store.delete_session(sid); store.close()
    store.video_dir(sid) / has_video / delete_video: a live session's recorded video (video.py)

Where: `path` (a database file, or a folder holding `sessions.sqlite3`), else the folder in
`$FER_COMPANION_DATA`, else `platformdirs.user_data_dir("fer-companion")`. The database and its
-wal/-shm files are mode 0600 (SQLite gives -wal/-shm the database's mode), the data folder
0700 (also when it existed, and any parent folder created for it).
Data types and the frame encoding: session_types.py.

Durability: WAL with synchronous=NORMAL — a committed transaction survives a killed process
(not necessarily a power cut). Frames are stored as exact float64 values, so a reloaded session
equals what was recorded (`FrameResult` equality). A frame is one row; its faces are a packed
blob (`session_types.pack_faces`), the patient's probabilities another. Live sessions write
through `recorder.SessionRecorder` (batched frames, notes at once).

Failures are one-line `SessionStoreError`s: a database locked by another program (after a
short busy timeout), a damaged file (never overwritten: left as is, or with
`set_aside_corrupt=True` renamed to `<name>.damaged-<time>` and a new database started, told in
`store.notice`), a full or read-only disk. Patient codes are codes, not names (letters, digits,
`. _ -`; see `check_patient_code`). One connection serves all threads behind a lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from app.core.analysis.baseline import Baseline
from app.core.analysis.results import FrameResult
from app.core.paths import PRIVATE_DIR, make_private_dir
from app.core.session.notes import Note
from app.core.session.types import (
    Event,
    LoadedSession,
    SessionMeta,
    SessionStoreDamaged,
    SessionStoreError,
    SessionSummary,
    check_patient_code,
    model_version,
    pack_faces,
    pack_probs,
    unpack_frame,
)
from app.core.session.video import has_video

__all__ = ["SessionStore", "SessionStoreError", "SessionStoreDamaged", "SessionMeta",
           "SessionSummary", "LoadedSession", "check_patient_code", "model_version",
           "default_data_dir", "resolve_db_path"]

APP_NAME = "fer-companion"
ENV_DATA = "FER_COMPANION_DATA"
DB_NAME = "sessions.sqlite3"
VIDEOS = "videos"  # recorded live videos, one folder per session, beside the database
SCHEMA_VERSION = 2  # 2: sessions.title, sessions.baseline, the events table

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY,
    patient_code TEXT NOT NULL, clinician TEXT NOT NULL, started_at TEXT NOT NULL,
    source TEXT NOT NULL, model_name TEXT NOT NULL, model_version TEXT NOT NULL,
    provider TEXT NOT NULL,
    classes TEXT NOT NULL,                 -- JSON list: the order of every probs vector
    n_frames INTEGER NOT NULL DEFAULT 0,   -- kept with each frame batch: listing stays cheap
    duration_s REAL NOT NULL DEFAULT 0,
    title TEXT NOT NULL DEFAULT '',        -- optional, e.g. "intake interview"
    baseline TEXT,                         -- JSON (analysis/baseline.py), NULL: none
    model_choice TEXT NOT NULL DEFAULT '', -- why this model ran (int8 or float, and why)
    detector TEXT NOT NULL DEFAULT ''      -- the face detector that ran ('' not recorded)
);
CREATE TABLE IF NOT EXISTS frames (
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL, time_s REAL NOT NULL, n_faces INTEGER NOT NULL,
    label TEXT, probs BLOB, faces BLOB,    -- NULL when no patient / no face
    PRIMARY KEY (session_id, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    time_s REAL NOT NULL, text TEXT NOT NULL, perceived TEXT
);
CREATE INDEX IF NOT EXISTS notes_by_session ON notes(session_id, time_s);
CREATE TABLE IF NOT EXISTS events (        -- e.g. the patient switched to another face
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    time_s REAL NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL
);
"""
# Columns added after schema 1: a schema-1 database gains them when opened (old ones stay
# readable; the added columns take their defaults).
_ADDED_COLUMNS = {"title": "TEXT NOT NULL DEFAULT ''", "baseline": "TEXT",
                  "model_choice": "TEXT NOT NULL DEFAULT ''",
                  "detector": "TEXT NOT NULL DEFAULT ''"}


def default_data_dir() -> Path:
    env = os.environ.get(ENV_DATA, "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs  # imported late: nothing to probe at import time

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def resolve_db_path(path: str | Path | None = None) -> Path:
    if path is None:
        return default_data_dir() / DB_NAME
    path = Path(path).expanduser()
    return path / DB_NAME if path.is_dir() else path


class SessionStore:
    def __init__(self, path: str | Path | None = None, *, busy_timeout_s: float = 2.0,
                 set_aside_corrupt: bool = False):
        self.path = resolve_db_path(path)
        # The data folder (default, $FER_COMPANION_DATA, or a folder given) is ours: 0700 even
        # when it existed; the folder of a database file named explicitly is left as it is.
        self._own_folder = path is None or Path(path).expanduser().is_dir()
        self.busy_timeout_s = busy_timeout_s
        self.notice: str | None = None  # set when a damaged database was set aside
        self._lock = threading.RLock()
        try:
            self._conn = self._open()
        except _Damaged as exc:
            if not set_aside_corrupt:
                raise SessionStoreError(
                    f"the session database {self.path} is damaged ({exc}); it was left "
                    "untouched: restore a backup, or start a new database (the file is kept)"
                ) from None
            kept = _set_aside(self.path)
            self._conn = self._open()
            self.notice = (f"the session database was damaged ({exc}); it is kept as {kept} "
                           "and a new, empty database was started")

    # -- opening ---------------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        try:
            make_private_dir(self.path.parent)  # missing parents 0700 too, not the umask's
            if self._own_folder:
                os.chmod(self.path.parent, PRIVATE_DIR)
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))  # 0600 from the start
            _chmod_private(self.path)
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout_s,
                                   isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise SessionStoreError(f"cannot open the session database {self.path}: "
                                    f"{getattr(exc, 'strerror', None) or exc}") from None
        try:
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise SessionStoreError(f"the session database {self.path} was written by a "
                                        "newer fer-companion; update the app to open it")
            have = {row[1] for row in conn.execute("PRAGMA table_info(sessions)")}
            alter = "".join(f"ALTER TABLE sessions ADD COLUMN {name} {kind};"
                            for name, kind in _ADDED_COLUMNS.items() if have and name not in have)
            conn.executescript(  # one transaction: a half-made schema is never left behind
                f"BEGIN IMMEDIATE;{_SCHEMA}{alter}PRAGMA user_version={SCHEMA_VERSION};COMMIT;")
            conn.execute("SELECT count(*) FROM sessions").fetchone()  # a damaged file fails here
        except sqlite3.Error as exc:
            conn.close()
            if _kind(exc) == "damaged":
                raise _Damaged(_first_line(exc)) from None
            raise self._error(exc, "open the session database") from None
        except BaseException:
            conn.close()
            raise
        for suffix in ("-wal", "-shm"):
            _chmod_private(Path(f"{self.path}{suffix}"))
        return conn

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- sessions --------------------------------------------------------------------------
    def create_session(self, meta: SessionMeta) -> int:
        code = check_patient_code(meta.patient_code)
        with self._tx("create a session") as db:
            cur = db.execute(
                "INSERT INTO sessions (patient_code, clinician, started_at, source, model_name,"
                " model_version, provider, classes, title, baseline, model_choice, detector)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (code, meta.clinician, meta.started_at, meta.source, meta.model_name,
                 meta.model_version, meta.provider, json.dumps(list(meta.classes)),
                 meta.title, meta.baseline.to_json() if meta.baseline else None,
                 meta.model_choice, meta.detector),
            )
            return int(cur.lastrowid)

    def set_baseline(self, session_id: int, baseline: Baseline | None) -> None:
        """Keep (or, with None, drop) the patient's resting-face baseline of a session."""
        with self._tx("save the baseline") as db:
            db.execute("UPDATE sessions SET baseline=? WHERE id=?",
                       (baseline.to_json() if baseline else None, session_id))

    def set_title(self, session_id: int, title: str) -> None:
        with self._tx("save the session title") as db:
            db.execute("UPDATE sessions SET title=? WHERE id=?", (title.strip(), session_id))

    def add_event(self, session_id: int, time_s: float, kind: str, detail: str) -> None:
        """Something that happened in the session at `time_s` (e.g. kind `patient`)."""
        with self._tx("save the event") as db:
            db.execute("INSERT INTO events (session_id, time_s, kind, detail) VALUES (?,?,?,?)",
                       (session_id, float(time_s), kind, detail))

    def remove_event(self, session_id: int, time_s: float, kind: str, detail: str) -> None:
        """Forget one event recorded with `add_event` (an undone patient pick)."""
        with self._tx("remove the event") as db:
            db.execute("DELETE FROM events WHERE rowid = (SELECT rowid FROM events WHERE"
                       " session_id=? AND time_s=? AND kind=? AND detail=? LIMIT 1)",
                       (session_id, float(time_s), kind, detail))

    def rename_session(self, session_id: int, patient_code: str) -> None:
        code = check_patient_code(patient_code)
        with self._tx("rename the session") as db:
            db.execute("UPDATE sessions SET patient_code=? WHERE id=?", (code, session_id))

    def delete_session(self, session_id: int) -> None:
        """Delete the session with its notes, frames and recorded video."""
        try:
            folder = self.video_dir(session_id)
        except SessionStoreError:
            folder = None
        with self._tx("delete the session") as db:
            db.execute("DELETE FROM sessions WHERE id=?", (session_id,))
        if folder is not None:
            self._remove_video(folder)

    # -- recorded videos (session/video.py) ------------------------------------------------
    @property
    def videos_dir(self) -> Path:
        return self.path.parent / VIDEOS

    def video_dir(self, session_id: int) -> Path:
        """Where the session's recorded live video is (or would be) kept: a folder named by
        its id and start time, so a new database's session 1 never meets an old one's video."""
        with self._tx("find the session's video", write=False) as db:
            row = db.execute("SELECT started_at FROM sessions WHERE id=?",
                             (session_id,)).fetchone()
        if row is None:
            raise SessionStoreError(f"session {session_id} does not exist (deleted?)")
        stamp = "".join(ch for ch in row[0] if ch.isdigit())[:14]
        return self.videos_dir / f"session-{session_id}-{stamp}"

    def has_video(self, session_id: int) -> bool:
        return has_video(self.video_dir(session_id))

    def delete_video(self, session_id: int) -> None:
        """Delete the session's recorded video; its analysis and notes stay."""
        self._remove_video(self.video_dir(session_id))

    def _remove_video(self, folder: Path) -> None:
        try:
            shutil.rmtree(folder)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise SessionStoreError(f"cannot delete the video {folder}: "
                                    f"{exc.strerror or exc}") from None

    def list_sessions(self) -> list[SessionSummary]:
        with self._tx("list sessions", write=False) as db:
            rows = db.execute(
                "SELECT id, patient_code, clinician, started_at, source, duration_s, n_frames,"
                " (SELECT count(*) FROM notes n WHERE n.session_id = s.id), title"
                " FROM sessions s ORDER BY started_at DESC, id DESC").fetchall()
        return [SessionSummary(*r) for r in rows]

    def load_session(self, session_id: int) -> LoadedSession:
        with self._tx("load the session", write=False) as db:
            meta = self._meta(db, session_id)
            k = len(meta.classes)
            frames = [
                unpack_frame(row, meta.classes, k) for row in db.execute(
                    "SELECT idx, time_s, label, probs, faces FROM frames WHERE session_id=?"
                    " ORDER BY idx", (session_id,))
            ]
            notes = [Note(t, text, p, nid) for nid, t, text, p in db.execute(
                "SELECT id, time_s, text, perceived FROM notes WHERE session_id=?"
                " ORDER BY time_s, id", (session_id,))]
            events = [Event(*row) for row in db.execute(
                "SELECT time_s, kind, detail FROM events WHERE session_id=? ORDER BY time_s",
                (session_id,))]
        return LoadedSession(session_id, meta, frames, notes, events)

    def _meta(self, db: sqlite3.Connection, session_id: int) -> SessionMeta:
        row = db.execute(
            "SELECT patient_code, classes, clinician, started_at, source, model_name,"
            " model_version, provider, title, baseline, model_choice, detector"
            " FROM sessions WHERE id=?",
            (session_id,)).fetchone()
        if row is None:
            raise SessionStoreError(f"session {session_id} does not exist (deleted?)")
        try:
            baseline = Baseline.from_json(row[9])
        except (ValueError, KeyError, TypeError):
            baseline = None  # an unreadable baseline is dropped, the session still opens
        return SessionMeta(row[0], tuple(json.loads(row[1])), *row[2:9], baseline=baseline,
                           model_choice=row[10], detector=row[11])

    # -- frames and notes ------------------------------------------------------------------
    def add_frames(self, session_id: int, results: Sequence[FrameResult], *,
                   replace: bool = False) -> None:
        """Store frame results in one transaction (all or none). A frame already stored is an
        error, unless `replace` (a frame analysed again: the new result takes its place)."""
        if not results:
            return
        with self._tx("save frame results") as db:
            classes = self._meta(db, session_id).classes
            new = len({r.index for r in results})
            if replace:
                new -= sum(db.execute("SELECT count(*) FROM frames WHERE session_id=? AND idx=?",
                                      (session_id, i)).fetchone()[0]
                           for i in {r.index for r in results})
            db.executemany(
                f"INSERT {'OR REPLACE ' if replace else ''}INTO frames"
                " (session_id, idx, time_s, n_faces, label, probs, faces) VALUES (?,?,?,?,?,?,?)",
                [(session_id, r.index, r.time_s, r.n_detected, r.label,
                  pack_probs(r.probs), pack_faces(r.faces, classes)) for r in results])
            db.execute("UPDATE sessions SET n_frames = n_frames + ?,"
                       " duration_s = max(duration_s, ?) WHERE id=?",
                       (new, max(r.time_s for r in results), session_id))

    def add_note(self, session_id: int, note: Note, *, wait: bool = True) -> Note:
        """Store a note (committed before returning); returns it with its `id`. `wait=False`:
        fail at once (SessionStoreError) instead of waiting for a busy database."""
        with self._tx("save the note", wait=wait) as db:
            self._meta(db, session_id)
            cur = db.execute(
                "INSERT INTO notes (session_id, time_s, text, perceived) VALUES (?,?,?,?)",
                (session_id, float(note.time_s), note.text, note.perceived))
            return replace(note, id=int(cur.lastrowid))

    def update_note(self, note: Note, *, wait: bool = True) -> Note:
        if note.id is None:
            raise SessionStoreError("cannot update a note that was never saved")
        with self._tx("update the note", wait=wait) as db:
            cur = db.execute("UPDATE notes SET time_s=?, text=?, perceived=? WHERE id=?",
                             (float(note.time_s), note.text, note.perceived, note.id))
            if cur.rowcount == 0:
                raise SessionStoreError(f"note {note.id} does not exist (deleted?)")
        return note

    def delete_note(self, note_id: int, *, wait: bool = True) -> None:
        with self._tx("delete the note", wait=wait) as db:
            db.execute("DELETE FROM notes WHERE id=?", (note_id,))

    # -- plumbing --------------------------------------------------------------------------
    @contextlib.contextmanager
    def _tx(self, what: str, write: bool = True, wait: bool = True
            ) -> Iterator[sqlite3.Connection]:
        """One transaction under the lock; any failure rolls back and becomes one line.
        `wait=False`: neither wait for the lock nor for a database busy elsewhere."""
        if not self._lock.acquire(blocking=wait):
            raise SessionStoreError(f"cannot {what} now: the session database is busy")
        db = self._conn
        try:
            if not wait:
                db.execute("PRAGMA busy_timeout=0")
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield db
            db.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                if db.in_transaction:
                    db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise self._error(exc, what) from None
            raise
        finally:
            if not wait:
                with contextlib.suppress(sqlite3.Error):
                    db.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_s * 1000)}")
            self._lock.release()

    def _error(self, exc: sqlite3.Error, what: str) -> SessionStoreError:
        kind = _kind(exc)
        where = f"the session database {self.path}"
        text = {
            "locked": f"cannot {what}: {where} is locked by another program (is fer-companion "
                      f"running twice?); gave up after {self.busy_timeout_s:g} s",
            "damaged": f"cannot {what}: {where} is damaged ({_first_line(exc)}); the file is "
                       "kept as it is",
            "full": f"cannot {what}: the disk holding {where} is full",
            "readonly": f"cannot {what}: {where} is read-only",
            "duplicate": f"cannot {what}: a frame with this index is already stored in the "
                         "session",
        }.get(kind, f"cannot {what}: {_first_line(exc)} ({where})")
        return (SessionStoreDamaged if kind == "damaged" else SessionStoreError)(text)

    # -- damage and backups ----------------------------------------------------------------
    def start_fresh(self) -> Path:
        """Set the (damaged) database aside as `<name>.damaged-<time>` and start a new, empty
        one in its place; returns where the old file is kept (also told in `notice`)."""
        with self._lock:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            kept = _set_aside(self.path)
            self._conn = self._open()
            self.notice = (f"the session database was damaged; it is kept as {kept} and a new, "
                           "empty database was started")
            return kept

    def backup(self, dest: str | Path, videos: bool = False) -> Path:
        """A consistent copy of every session in one file (0600), made with SQLite's backup
        API while the app keeps recording: unlike copying `sessions.sqlite3`, it includes
        what is still in the write-ahead log. `videos`: the recorded videos too, copied to
        the folder `video_backup_dir(dest)` beside it (0700)."""
        dest = Path(dest)
        if videos:
            self._backup_videos(video_backup_dir(dest))
        if dest.resolve() == self.path.resolve():
            raise SessionStoreError("a backup must go to another file than the database")
        part = dest.with_name(f".{dest.name}.part")
        try:
            os.close(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
            target = sqlite3.connect(part)
            try:
                with self._lock:
                    self._conn.backup(target)
            finally:
                target.close()
            os.replace(part, dest)
        except (OSError, sqlite3.Error) as exc:
            with contextlib.suppress(OSError):
                part.unlink()
            raise SessionStoreError(f"cannot back up the sessions to {dest}: "
                                    f"{getattr(exc, 'strerror', None) or exc}") from None
        return dest


    def _backup_videos(self, target: Path) -> None:
        try:
            make_private_dir(target)
            for folder in sorted(self.videos_dir.glob("session-*")):
                if folder.is_dir():
                    shutil.copytree(folder, target / folder.name, dirs_exist_ok=True)
        except OSError as exc:
            raise SessionStoreError(f"cannot back up the videos to {target}: "
                                    f"{getattr(exc, 'strerror', None) or exc}") from None

    def video_count(self) -> int:
        """How many sessions have a recorded video kept."""
        if not self.videos_dir.is_dir():
            return 0
        return sum(has_video(f) for f in self.videos_dir.glob("session-*"))


def video_backup_dir(dest: str | Path) -> Path:
    """Where a backup at `dest` keeps the videos: `<dest without suffix>-videos/`."""
    dest = Path(dest)
    return dest.with_name(f"{dest.stem}-videos")


class _Damaged(Exception):
    pass


def _kind(exc: sqlite3.Error) -> str:
    name = getattr(exc, "sqlite_errorname", "")  # Python >= 3.11; the message otherwise
    msg = str(exc).lower()
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in msg or "busy" in msg:
        return "locked"
    if name in ("SQLITE_CORRUPT", "SQLITE_NOTADB") or "not a database" in msg \
            or "malformed" in msg:
        return "damaged"
    if name == "SQLITE_FULL" or "disk is full" in msg:
        return "full"
    if name.startswith("SQLITE_READONLY") or "readonly" in msg:
        return "readonly"
    if isinstance(exc, sqlite3.IntegrityError) and "unique" in msg:
        return "duplicate"
    return "other"


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def _chmod_private(path: Path) -> None:
    with contextlib.suppress(OSError):  # absent -wal/-shm, or a platform without modes
        os.chmod(path, 0o600)


def _set_aside(path: Path) -> Path:
    """Rename a damaged database (and its -wal, which may hold data) out of the way."""
    kept = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        for suffix in ("", "-wal", "-shm"):
            src = Path(f"{path}{suffix}")
            if src.exists():
                src.rename(f"{kept}{suffix}")
    except OSError as exc:
        raise SessionStoreError(f"the session database {path} is damaged and cannot be moved "
                                f"aside ({exc.strerror or exc}); it was left untouched") from None
    return kept


