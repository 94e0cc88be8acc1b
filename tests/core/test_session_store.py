"""The session store: exact round trip, listing, rename/delete, file mode, locked/damaged files."""

from __future__ import annotations

import sqlite3
import stat
import sys
from dataclasses import replace

import pytest

from app.core.session.notes import Note
from app.core.session.store import (
    DB_NAME,
    ENV_DATA,
    SessionMeta,
    SessionStore,
    SessionStoreError,
    resolve_db_path,
)
from tests.core.crash_writer import CLASSES, synthetic_frames

META = SessionMeta("P-017", CLASSES, clinician="Dr A", started_at="2025-01-14T10:30:00+01:00",
                   source="interview.mp4", model_name="fer_cnn.onnx",
                   model_version="fer_cnn-2025-01-10", provider="CPU (test)",
                   model_choice="float model: int8 not used, it was not measured on camera-like "
                                "faces (re-run the quantizer)")


@pytest.fixture
def store(tmp_path):
    with SessionStore(tmp_path / "s.sqlite3") as s:
        yield s


def test_session_round_trips_exactly(store):
    frames = synthetic_frames(1600)  # has no-face frames and a second, non-patient face
    assert any(not f.faces for f in frames) and any(len(f.faces) == 2 for f in frames)
    sid = store.create_session(META)
    store.add_frames(sid, frames[:1000])
    store.add_frames(sid, frames[1000:])
    n1 = store.add_note(sid, Note(3.25, "smiles at the memory", "happy"))
    n2 = store.add_note(sid, Note(1.5, "looks away"))
    assert n1.id is not None and n2.id not in (None, n1.id)

    loaded = store.load_session(sid)
    assert loaded.meta == META
    assert loaded.frames == frames  # FrameResult equality: boxes, tracks, probs bit for bit
    assert loaded.notes == [n2, n1]  # in time order, with ids
    (summary,) = store.list_sessions()
    assert (summary.id, summary.title, summary.frames, summary.notes) == (sid, "P-017", 1600, 2)
    assert summary.duration_s == frames[-1].time_s and summary.source == "interview.mp4"


def test_reopened_store_restores_the_timeline(tmp_path):
    frames = synthetic_frames(300)
    with SessionStore(tmp_path) as s:  # a folder: the database is created inside it
        sid = s.create_session(META)
        s.add_frames(sid, frames)
    assert (tmp_path / DB_NAME).is_file()
    with SessionStore(tmp_path / DB_NAME) as s:
        loaded = s.load_session(sid)
    assert [(f.time_s, f.label, f.probs) for f in loaded.frames] == \
        [(f.time_s, f.label, f.probs) for f in frames]
    assert loaded.frames == frames


def test_notes_update_delete_rename_and_delete_session(store):
    sid = store.create_session(META)
    other = store.create_session(replace(META, patient_code="P-018",
                                         started_at="2025-01-15T09:00:00+01:00"))
    note = store.add_note(sid, Note(2.0, "first", None))
    store.update_note(replace(note, text="first, edited", perceived="sad"))
    assert store.load_session(sid).notes == [Note(2.0, "first, edited", "sad", note.id)]
    store.delete_note(note.id)
    assert store.load_session(sid).notes == []
    with pytest.raises(SessionStoreError, match="does not exist"):
        store.update_note(note)

    store.rename_session(sid, "P-099")
    assert [s.title for s in store.list_sessions()] == ["P-018", "P-099"]  # newest first
    store.add_frames(other, synthetic_frames(10))
    store.add_note(other, Note(1.0, "x"))
    store.delete_session(other)
    assert [s.id for s in store.list_sessions()] == [sid]
    with pytest.raises(SessionStoreError, match="does not exist"):
        store.load_session(other)
    rows = store._conn.execute("SELECT count(*) FROM frames").fetchone()[0]
    assert rows == 0  # the frames went with the session


def test_patient_code_is_a_code_not_a_name(store):
    with pytest.raises(SessionStoreError, match="never the patient's name"):
        store.create_session(replace(META, patient_code="Jane Doe"))
    sid = store.create_session(META)
    with pytest.raises(SessionStoreError, match="not a code"):
        store.rename_session(sid, "Jane Doe")


def test_duplicate_frames_fail_as_one_transaction(store):
    sid = store.create_session(META)
    frames = synthetic_frames(20)
    store.add_frames(sid, frames[:10])
    with pytest.raises(SessionStoreError, match="already stored"):
        store.add_frames(sid, frames[5:15])
    assert len(store.load_session(sid).frames) == 10  # the failed batch left nothing behind
    assert store.list_sessions()[0].frames == 10


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_database_files_are_private(tmp_path):
    with SessionStore(tmp_path / "data" / "s.sqlite3") as s:
        s.add_frames(s.create_session(META), synthetic_frames(5))
        files = sorted((tmp_path / "data").iterdir())
        assert {f.name for f in files} >= {"s.sqlite3", "s.sqlite3-wal", "s.sqlite3-shm"}
        for f in files:
            assert stat.S_IMODE(f.stat().st_mode) == 0o600, f.name
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700


def test_data_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_DATA, str(tmp_path / "env"))
    assert resolve_db_path() == tmp_path / "env" / DB_NAME
    with SessionStore() as s:
        assert s.path == tmp_path / "env" / DB_NAME and s.list_sessions() == []


def test_damaged_file_is_reported_and_kept(tmp_path):
    path = tmp_path / DB_NAME
    junk = b"this is not a database, it is a damaged file " * 200
    path.write_bytes(junk)
    with pytest.raises(SessionStoreError, match="is damaged.*left untouched") as err:
        SessionStore(path)
    assert "\n" not in str(err.value)
    assert path.read_bytes() == junk  # never overwritten

    with SessionStore(path, set_aside_corrupt=True) as s:  # the user chose a new database
        assert "kept as" in s.notice and s.list_sessions() == []
    (kept,) = tmp_path.glob(f"{DB_NAME}.damaged-*")
    assert kept.read_bytes() == junk


def test_locked_database_gives_a_clear_error(tmp_path):
    path = tmp_path / DB_NAME
    with SessionStore(path, busy_timeout_s=0.1) as s:
        sid = s.create_session(META)
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        try:
            with pytest.raises(SessionStoreError, match="locked by another program") as err:
                s.add_note(sid, Note(1.0, "during the lock"))
            assert "\n" not in str(err.value)
            assert s.list_sessions()[0].notes == 0  # reading still works
        finally:
            other.execute("ROLLBACK")
            other.close()
        s.add_note(sid, Note(1.0, "after the lock"))
        assert [n.text for n in s.load_session(sid).notes] == ["after the lock"]


def test_exclusively_locked_database_fails_to_open_clearly(tmp_path):
    path = tmp_path / DB_NAME
    SessionStore(path).close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("PRAGMA locking_mode=EXCLUSIVE")
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(SessionStoreError, match="locked"):
            SessionStore(path, busy_timeout_s=0.1)
    finally:
        other.close()


def test_meta_from_an_analyzer(tiny_model, tmp_path):
    onnx = pytest.importorskip("onnx")
    from app.core.analysis.analyzer import Analyzer

    meta = SessionMeta.from_analyzer(Analyzer(tiny_model, device="cpu"), patient_code="P-3",
                                     source="camera 0")
    assert (meta.patient_code, meta.source, meta.model_name) == ("P-3", "camera 0", "tiny.onnx")
    assert meta.classes == CLASSES and meta.model_version == "" and "CPU" in meta.provider
    model = onnx.load(str(tiny_model))
    model.metadata_props.add(key="version", value="fer_cnn-2025-01-10")
    onnx.save(model, str(tmp_path / "v.onnx"))
    meta = SessionMeta.from_analyzer(Analyzer(tmp_path / "v.onnx", device="cpu"), patient_code="")
    assert (meta.model_name, meta.model_version) == ("v.onnx", "fer_cnn-2025-01-10")
