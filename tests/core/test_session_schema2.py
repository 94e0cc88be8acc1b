"""Schema 2: session title, baseline and events; a schema-1 database opens and is migrated."""

from __future__ import annotations

import sqlite3

from app.core.analysis.baseline import Baseline
from app.core.analysis.results import FrameResult
from app.core.session.store import SessionMeta, SessionStore

CLASSES = ("happy", "sad", "surprise", "neutral")
V1 = """
CREATE TABLE sessions (id INTEGER PRIMARY KEY, patient_code TEXT NOT NULL, clinician TEXT NOT
 NULL, started_at TEXT NOT NULL, source TEXT NOT NULL, model_name TEXT NOT NULL, model_version
 TEXT NOT NULL, provider TEXT NOT NULL, classes TEXT NOT NULL, n_frames INTEGER NOT NULL DEFAULT
 0, duration_s REAL NOT NULL DEFAULT 0);
CREATE TABLE frames (session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE, idx
 INTEGER NOT NULL, time_s REAL NOT NULL, n_faces INTEGER NOT NULL, label TEXT, probs BLOB, faces
 BLOB, PRIMARY KEY (session_id, idx)) WITHOUT ROWID;
CREATE TABLE notes (id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id)
 ON DELETE CASCADE, time_s REAL NOT NULL, text TEXT NOT NULL, perceived TEXT);
INSERT INTO sessions VALUES (1, 'P-007', 'Dr A', '2026-11-01T10:00:00+00:00', 'a.mp4',
 'fer_cnn.onnx', '', 'CPU', '["happy","sad","surprise","neutral"]', 0, 0);
INSERT INTO notes VALUES (1, 1, 2.5, 'looks away', 'sad');
PRAGMA user_version=1;
"""


def test_a_schema_1_database_opens_and_gains_the_new_columns(tmp_path):
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(V1)
    with SessionStore(path) as store:
        loaded = store.load_session(1)
        assert (loaded.meta.patient_code, loaded.meta.clinician) == ("P-007", "Dr A")
        assert loaded.meta.title == "" and loaded.meta.baseline is None
        assert [n.text for n in loaded.notes] == ["looks away"] and loaded.events == []
        store.set_title(1, "follow-up")
        assert store.list_sessions()[0].title == "P-007 · follow-up"
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2


def test_title_baseline_and_events_round_trip(tmp_path):
    base = Baseline(0.0, 10.0, (0.1, 0.5, 0.1, 0.3), (0.1, 0.1, 0.1, 0.7), 250)
    with SessionStore(tmp_path / "s.sqlite3") as store:
        sid = store.create_session(SessionMeta("P-1", CLASSES, clinician="Dr B",
                                               title="intake", baseline=base))
        store.add_frames(sid, [FrameResult(i, i / 10) for i in range(20)])
        store.add_event(sid, 1.5, "patient", "face 4")
        store.add_event(sid, 2.5, "patient", "face 5")
        store.remove_event(sid, 2.5, "patient", "face 5")  # an undone pick
        # frames analysed again replace the stored ones; new ones are added
        store.add_frames(sid, [FrameResult(i, i / 10, label="sad", probs=(0, 1, 0, 0))
                               for i in range(15, 22)], replace=True)
        loaded = store.load_session(sid)
        assert (loaded.meta.title, loaded.meta.clinician, loaded.meta.baseline) == \
            ("intake", "Dr B", base)
        assert len(loaded.frames) == 22 and store.list_sessions()[0].frames == 22
        assert [r.label for r in loaded.frames[13:17]] == [None, None, "sad", "sad"]
        assert [(e.time_s, e.kind, e.detail) for e in loaded.events] == [(1.5, "patient",
                                                                          "face 4")]
        store.set_baseline(sid, None)
        assert store.load_session(sid).meta.baseline is None
