"""A live session's recorded video: recorded by consent, replayed in step with the stored
analysis (never recomputed), seeking to a note's frame; the video can be deleted alone."""

from __future__ import annotations

from app.core.analysis.results import Face, FrameResult
from app.core.session.notes import Note
from app.core.session.store import SessionMeta
from app.core.session.video import VideoRecorder
from tests.core.video_crash_writer import picture

CLASSES = ("happy", "sad", "surprise", "neutral")


def live_session_with_video(store, n: int = 60, skip=(20, 21)):
    """A stored live session of n frames at an uneven ~10 fps clock, its video recorded
    frame by frame (frames in `skip` reached the analysis but not the video: dropped)."""
    sid = store.create_session(SessionMeta("P-042", CLASSES, source="camera 0"))
    frames = []
    for i in range(n):
        p = (0.7, 0.1, 0.1, 0.1) if i < n // 2 else (0.1, 0.7, 0.1, 0.1)
        label = CLASSES[p.index(max(p))]
        t = i * 0.1 + (0.03 if i % 4 == 0 else 0.0)
        frames.append(FrameResult(i, t, (Face((10, 10, 60, 60), 1, p, label, True),), label, p))
    store.add_frames(sid, frames)
    rec = VideoRecorder(store.video_dir(sid), fps=10.0)
    for r in frames:
        if r.index not in skip:
            rec.offer(picture(r.index), r.index, r.time_s)
    rec.close()
    return sid, frames


def test_replay_seeks_to_a_notes_frame_with_the_stored_analysis(window, store, qtbot):
    sid, frames = live_session_with_video(store)
    store.add_note(sid, Note(frames[37].time_s + 0.05, "looks away", "sad"))
    old = window.worker
    window.reopen_session(sid)
    qtbot.waitUntil(lambda: window.worker is not old and window.video.packet is not None
                    and bool(window.model.notes), timeout=10_000)
    assert window.model.info.seekable and "recorded video" in window.model.info.name
    assert window.sessions.session_id == sid  # notes made now go to the same session
    note = window.model.notes[0]
    window.notes.sigSeekRequested.emit(note.time_s)  # a click on the note
    qtbot.waitUntil(lambda: window.video.packet.index == 37, timeout=10_000)
    packet = window.video.packet
    assert packet.time_s == frames[37].time_s
    assert packet.result == frames[37] and not packet.fresh  # as stored
    window.seek(frames[21].time_s)  # a frame the video lacks: the one before stays shown
    qtbot.waitUntil(lambda: window.video.packet.index == 19, timeout=10_000)
    window.toggle_play()
    qtbot.waitUntil(lambda: window.video.packet.index >= 30, timeout=10_000)
    assert window.worker.analysed_count == 0  # the analysis is never recomputed


def test_new_live_session_records_its_video_when_consented(window, store, qtbot, demo_clip):
    import cv2

    from app.core.analysis.sources import Source
    from app.core.session.video import RecordedVideo
    from app.ui.session_details import SessionDetails

    camera = Source("camera 9", "camera", cap=cv2.VideoCapture(str(demo_clip)))  # a live stand-in
    old = window.worker
    window.open_source(camera, SessionDetails("P-043", "Dr B", "", record_video=True))
    qtbot.waitUntil(lambda: window.worker is not old and window.model.info.live, timeout=10_000)
    sid = window.sessions.session_id
    assert window.worker.video_sink is window.sessions.video_recorder is not None
    qtbot.waitUntil(lambda: window.model.buffer.analysed >= 15, timeout=10_000)
    window.sessions.end()  # closes the video too
    folder = store.video_dir(sid)
    assert store.has_video(sid) and oct(folder.stat().st_mode & 0o777) == "0o700"
    video = RecordedVideo(folder)
    stored = {r.index: r.time_s for r in store.load_session(sid).frames}
    common = [v for v in video.frames if v.index in stored]
    assert len(common) >= 10
    assert all(stored[v.index] == v.time_s for v in common)  # the session's own clock
    # frames still on their way to the store when the session ended are only at the end
    assert all(v.index > max(stored) for v in video.frames if v.index not in stored)
    video.close()


def test_consent_is_off_by_default_and_remembered_per_clinician(qtbot):
    from app.ui.session_details import (
        SessionDetails,
        SessionDetailsDialog,
        remember_consent_choice,
    )

    dialog = SessionDetailsDialog(SessionDetails("P-1", "Dr A"))
    qtbot.addWidget(dialog)
    assert not dialog.record.isChecked()
    remember_consent_choice("Dr A", True)
    again = SessionDetailsDialog(SessionDetails("P-1", "Dr A"))
    qtbot.addWidget(again)
    assert again.record.isChecked() and again.details().record_video
    other = SessionDetailsDialog(SessionDetails("P-1", "Dr C"))
    qtbot.addWidget(other)
    assert not other.record.isChecked()


def test_sessions_dialog_deletes_the_video_only(window, store, qtbot):
    from app.ui.sessions_dialog import SessionsDialog

    sid, frames = live_session_with_video(store, n=12, skip=())
    dialog = SessionsDialog(store, window.sessions.session_id, window)
    qtbot.addWidget(dialog)
    dialog.confirm = lambda question: "analysis" in question
    dialog.find.setText("P-042")
    assert dialog.table.item(dialog.table.currentRow(), 6).text() == "recorded"
    dialog.delete_video_selected()
    assert not store.has_video(sid)
    assert store.load_session(sid).frames == frames  # the analysis stays
    assert dialog.table.item(dialog.table.currentRow(), 6).text() == ""


def test_backup_says_whether_videos_are_included(window, store, qtbot, tmp_path):
    from app.core.session.store import video_backup_dir

    sid, _ = live_session_with_video(store, n=12, skip=())
    asked = []
    window.ask_backup_videos = lambda count: asked.append(count) or True
    with qtbot.waitSignal(window.sessions.sigBackedUp, timeout=20_000):
        window.backup_sessions(tmp_path / "b.sqlite3")
    assert asked == [1]
    assert (video_backup_dir(tmp_path / "b.sqlite3") / store.video_dir(sid).name).is_dir()
    assert "videos to" in window.statusBar().currentMessage()
    window.ask_backup_videos = lambda count: False
    with qtbot.waitSignal(window.sessions.sigBackedUp, timeout=20_000):
        window.backup_sessions(tmp_path / "c.sqlite3")
    assert "videos not included" in window.statusBar().currentMessage()
    assert not video_backup_dir(tmp_path / "c.sqlite3").exists()


def test_backup_question_offers_videos_sessions_only_or_cancel(window, qtbot):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    assert window._ask_backup_videos(0) is False  # no video: nothing to ask

    def answer(text: str) -> None:
        box = next(w for w in QApplication.topLevelWidgets()
                   if isinstance(w, QMessageBox) and w.isVisible())
        next(b for b in box.buttons() if b.text().replace("&", "") == text).click()

    for text, expected in (("Include videos", True), ("Sessions only", False),
                           ("Cancel", None)):
        QTimer.singleShot(200, lambda t=text: answer(t))
        assert window._ask_backup_videos(2) is expected
