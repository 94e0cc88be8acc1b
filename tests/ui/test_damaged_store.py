"""A damaged session database (issue 13.5): said in a dialog, set aside, a fresh one started,
and saving goes on; all sessions can be backed up safely from the app."""

from __future__ import annotations

import stat
from pathlib import Path


def dialogs(monkeypatch) -> list[str]:
    """The texts of the warning dialogs the window shows from now on (none is opened)."""
    told: list[str] = []
    monkeypatch.setattr("app.ui.main_window.QMessageBox.warning",
                        lambda parent, title, text: told.append(text))
    return told


def damage_once(store, monkeypatch) -> None:
    """The next save of frame results finds the database damaged; later ones work."""
    from app.core.session.store import SessionStoreDamaged

    real_add = store.add_frames
    calls = []

    def damaged_once(sid, results):
        calls.append(sid)
        if len(calls) == 1:
            raise SessionStoreDamaged("cannot save frame results: the session database is "
                                      "damaged (database disk image is malformed)")
        return real_add(sid, results)

    monkeypatch.setattr(store, "add_frames", damaged_once)


def test_damaged_database_at_start_is_set_aside_and_saving_goes_on(tmp_path, monkeypatch):
    from app.core.session.store import SessionMeta
    from app.ui.main import _open_store

    data = tmp_path / "data"
    data.mkdir()
    (data / "sessions.sqlite3").write_bytes(b"this is no database " * 100)
    monkeypatch.setenv("FER_COMPANION_DATA", str(data))
    store, problem = _open_store()
    try:
        assert store is not None and "damaged" in problem
        [kept] = data.glob("sessions.sqlite3.damaged-*")
        assert kept.read_bytes().startswith(b"this is no database")
        assert store.create_session(SessionMeta("P-1", ("happy", "sad"))) > 0
    finally:
        store.close()


def test_damage_during_a_session_starts_a_fresh_database(window, store, qtbot, monkeypatch):
    told = dialogs(monkeypatch)
    note = window.notes.begin_note(0.5)
    window.model.update_note(note.id, text="before the damage")
    damage_once(store, monkeypatch)
    qtbot.waitUntil(lambda: bool(told), timeout=15_000)
    assert "damaged" in told[0] and "new database" in told[0]
    assert list(store.path.parent.glob(f"{store.path.name}.damaged-*"))
    [fresh] = store.list_sessions()  # the new database holds the session going on
    assert fresh.id == window.sessions.session_id
    qtbot.waitUntil(lambda: store.list_sessions()[0].frames > 0, timeout=15_000)
    assert [n.text for n in store.load_session(fresh.id).notes] == ["before the damage"]
    window.notes.begin_note(1.0)
    qtbot.waitUntil(lambda: len(store.load_session(fresh.id).notes) == 2, timeout=10_000)
    assert "Saving session" in window.status.saving.text()


def test_backup_from_the_app_holds_what_the_wal_still_has(window, store, qtbot, tmp_path):
    from app.core.session.store import SessionStore

    qtbot.waitUntil(lambda: window.model.buffer.analysed >= 10, timeout=10_000)
    window.notes.begin_note(0.2)
    window.sessions.recording.flush()
    sid = window.sessions.session_id
    expected = store.load_session(sid)
    assert Path(f"{store.path}-wal").stat().st_size > 0  # not yet in the main file
    dest = tmp_path / "backup" / "sessions-backup.sqlite3"
    dest.parent.mkdir()
    with qtbot.waitSignal(window.sessions.sigBackedUp, timeout=20_000):
        window.backup_sessions(dest)
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    with SessionStore(dest) as copy:
        restored = copy.load_session(sid)
    assert restored.notes == expected.notes
    assert restored.frames[:len(expected.frames)] == expected.frames


def test_after_a_fresh_start_the_recorded_video_follows_the_session(window, store, qtbot,
                                                                     monkeypatch, demo_clip):
    """A live session recording its video (consented) when the database is found damaged:
    the session goes on under a new id in the new database, and its video moves with it and
    goes on, so replay finds the whole of it."""
    import cv2

    from app.core.analysis.sources import Source
    from app.core.session.video import RecordedVideo
    from app.ui.session_details import SessionDetails

    told = dialogs(monkeypatch)
    camera = Source("camera 9", "camera", cap=cv2.VideoCapture(str(demo_clip)))  # live stand-in
    old = window.worker
    window.open_source(camera, SessionDetails("P-044", "Dr C", "", record_video=True))
    qtbot.waitUntil(lambda: window.worker is not old and window.model.info.live, timeout=10_000)
    first_sid, first_rec = window.sessions.session_id, window.sessions.video_recorder
    qtbot.waitUntil(lambda: first_rec.written >= 10, timeout=10_000)
    before = store.video_dir(first_sid)
    damage_once(store, monkeypatch)
    qtbot.waitUntil(lambda: bool(told), timeout=15_000)
    assert "video moved with it" in told[0]
    rec = window.sessions.video_recorder
    assert rec is not None and rec is not first_rec and window.worker.video_sink is rec
    sid = window.sessions.session_id
    assert not before.exists() and store.has_video(sid)
    written_before = first_rec.written
    qtbot.waitUntil(lambda: rec.written >= 10, timeout=10_000)
    window.sessions.end()
    video = RecordedVideo(store.video_dir(sid))
    assert len(video.frames) >= written_before + 10  # the part before and the part after
    indices = [v.index for v in video.frames]
    assert indices == sorted(indices)
    video.close()
