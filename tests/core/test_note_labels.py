"""The one model label of a note: majority over the second up to the note, flagged otherwise."""

from __future__ import annotations

from app.core.analysis.results import FrameResult
from app.core.report.note_labels import NoteLabel, note_labels

CLASSES = ("happy", "sad", "surprise", "neutral")
SURE = {"happy": (0.9, 0.04, 0.03, 0.03), "sad": (0.05, 0.85, 0.05, 0.05),
        "neutral": (0.05, 0.1, 0.05, 0.8), "weak": (0.4, 0.3, 0.1, 0.2)}


def frames_from(labels, fps=10.0):
    out = []
    for i, lab in enumerate(labels):
        probs = SURE[lab] if lab else None
        name = None if lab is None else ("happy" if lab == "weak" else lab)
        out.append(FrameResult(i, i / fps, (), name, probs))
    return out


def labels(frames, *times, below=0.0):
    return [x.text for x in note_labels(frames, times, CLASSES, uncertain_below=below)]


def test_majority_of_the_second_up_to_the_note():
    # 10 fps: sad 0.0-0.9 s, happy 1.0-1.5, no face 1.6-1.9, neutral 2.0-3.0
    frames = frames_from(["sad"] * 10 + ["happy"] * 6 + [None] * 4 + ["neutral"] * 11)
    assert labels(frames, 1.25) == ["sad"]  # 0.25-1.25 s: 7 sad, 3 happy
    assert labels(frames, 1.5) == ["happy"]  # 0.5-1.5 s: 5 sad, 6 happy
    assert labels(frames, 1.9) == ["happy"]  # 0.9-1.9: 1 sad, 6 happy, the rest no face
    assert labels(frames, 2.0) == ["happy"]  # the frames after the note were not seen yet
    assert labels(frames, 2.9) == ["neutral"]
    assert labels(frames_from([None] * 30), 1.5) == ["no face"]


def test_a_tie_goes_to_the_most_recent_label():
    tie = frames_from(["sad"] * 5 + ["happy"] * 5)  # 0.0-0.9 s
    assert labels(tie, 0.9) == ["happy"]
    assert labels(frames_from(["happy"] * 5 + ["sad"] * 5), 0.9) == ["sad"]


def test_a_note_after_the_last_frame_is_flagged_not_labelled():
    frames = frames_from(["happy"] * 30)  # 0.0-2.9 s
    assert labels(frames, 2.9, 3.0, 3.5, 60.0) == ["happy", "happy", "after last frame",
                                                   "after last frame"]
    (label,) = note_labels(frames, [60.0], CLASSES)
    assert label == NoteLabel(None, "after_end")
    assert labels([], 1.0) == ["not analysed"]


def test_uncertain_frames_vote_uncertain():
    frames = frames_from(["weak"] * 6 + ["happy"] * 4)
    assert labels(frames, 0.9) == ["happy"]  # no threshold: the weak frames read happy
    assert labels(frames, 0.9, below=0.5) == ["uncertain"]  # 6 uncertain, 4 happy
    assert labels(frames_from(["weak"] * 4 + ["sad"] * 6), 0.9, below=0.5) == ["sad"]


def test_notes_are_numbered_in_the_order_they_were_made():
    from app.core.report.data import ReportData
    from app.core.session.notes import Note, note_numbers
    from app.core.session.types import SessionMeta

    notes = [Note(9.0, "b", id=2), Note(1.0, "c", id=3), Note(5.0, "a", id=1)]
    assert note_numbers(notes) == [2, 3, 1]
    data = ReportData(SessionMeta("", CLASSES), frames_from(["happy"] * 100), notes)
    assert [n.text for n in data.sorted_notes] == ["c", "a", "b"]
    assert data.note_numbers == (3, 1, 2)  # the PDF's numbers are the app's
    assert note_numbers([Note(3.0, "x"), Note(1.0, "y")]) == [1, 2]  # from a file: its order
