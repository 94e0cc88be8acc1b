"""with_patient: another face becomes the patient in a computed result."""

from app.core.analysis.patient import with_patient
from app.core.analysis.results import Face, FrameResult


def test_with_patient_moves_the_flag_and_the_label():
    a = Face((0, 0, 10, 10), 1, (0.9, 0.1), "happy", is_patient=True)
    b = Face((50, 0, 10, 10), 2, (0.2, 0.8), "sad")
    held = Face((90, 0, 10, 10), 3, (), "", detected=False)
    r = FrameResult(0, 0.0, (a, b, held), "happy", a.probs)
    moved = with_patient(r, 2)
    assert moved.patient.track_id == 2 and (moved.label, moved.probs) == ("sad", b.probs)
    assert with_patient(r, 9) is r
    assert (with_patient(r, 3).label, with_patient(r, 3).probs) == (None, None)
