"""Tracks: stable ids, no flicker, confirmation, re-acquisition, patient choice."""

import numpy as np

from app.core.analysis.tracker import Tracker, TrackerConfig

DT = 0.04  # 25 frames/s


def box(x, y, s=100):
    return np.array([x, y, s, s], float)


def run(tracker, frames):
    """frames: list of detection lists; returns visible (id, box) per frame."""
    out = []
    for i, dets in enumerate(frames):
        out.append([(t.id, t.box.copy()) for t in tracker.update(dets, time_s=i * DT)])
    return out


def test_ids_stable_and_one_frame_false_positive_hidden():
    t = Tracker()
    frames = [[box(100 + 2 * i, 50)] for i in range(10)]
    frames[5] = frames[5] + [box(400, 200, 60)]  # a one-frame false positive
    shown = run(t, frames)
    assert shown[0] == []  # needs a second detection before it is shown
    assert all([i for i, _ in s] == [1] for s in shown[1:])


def test_held_through_short_misses_then_dropped():
    t = Tracker(TrackerConfig(hold_s=0.2))
    frames = [[box(100, 50)]] * 5 + [[]] * 4 + [[box(102, 50)]] + [[]] * 10
    shown = run(t, frames)
    assert all(len(s) == 1 for s in shown[1:10])  # 4 missed frames (0.16 s) are bridged
    assert shown[9][0][0] == 1  # same id after the gap
    assert shown[-1] == []  # gone after hold_s


def test_reacquired_under_old_id_within_forget_time():
    t = Tracker(TrackerConfig(hold_s=0.1, forget_s=2.0))
    frames = [[box(100, 50)]] * 5 + [[]] * 20 + [[box(110, 55)]] * 3
    shown = run(t, frames)
    assert shown[15] == []
    assert [i for i, _ in shown[-1]] == [1]


def test_box_is_smoothed_but_follows_big_moves():
    t = Tracker()
    jitter = [[box(100 + (4 if i % 2 else -4), 50)] for i in range(20)]
    xs = [b[0] for s in run(t, jitter)[2:] for _, b in s]
    assert max(xs) - min(xs) < 8  # raw detections jump by 8 px
    t2 = Tracker()
    shown = run(t2, [[box(100, 50)]] * 3 + [[box(160, 50)]])
    assert shown[-1][0][1][0] == 160  # a move of 0.6 x side is followed at once


def test_patient_is_largest_and_can_be_picked():
    t = Tracker()
    frames = [[box(50, 50, 150), box(400, 60, 80)]] * 3
    run(t, frames)
    assert t.patient_id == 1
    assert t.track_at(440, 100) == 2 and t.track_at(5, 5) is None
    assert t.set_patient(2) and t.patient_id == 2 and t.patient_locked
    assert not t.set_patient(99)
    run(t, frames)
    assert t.patient_id == 2  # kept across frames


def test_only_face_in_view_stands_in_for_a_lost_patient_and_hands_back():
    t = Tracker(TrackerConfig(hold_s=0.1, forget_s=1.0))
    big, small = box(50, 50, 150), box(400, 60, 80)
    run(t, [[big, small]] * 3)
    assert t.patient_id == 1
    t.update([small], time_s=3 * DT)
    assert t.patient_id == 1  # held for hold_s: a blink of the detector changes nothing
    for i in range(4, 12):  # the patient stays away: the only face in view is labelled
        t.update([small], time_s=i * DT)
    assert t.patient_id == 2
    t.update([big, small], time_s=12 * DT)  # back within forget_s: the patient again
    assert t.patient_id == 1


def test_locked_patient_is_waited_for():
    t = Tracker(TrackerConfig(hold_s=0.1, forget_s=1.0))
    big, small = box(50, 50, 150), box(400, 60, 80)
    run(t, [[big, small]] * 3)
    assert t.set_patient(1)
    for i in range(3, 20):
        t.update([small], time_s=i * DT)
    assert t.patient_id == 1  # the user's choice is not replaced by another face
    for i in range(20, 40):
        t.update([small], time_s=i * DT)
    assert t.patient_id == 2  # forgotten after forget_s: the remaining face


def test_patient_who_moves_seat_is_reacquired_at_once():
    t = Tracker(TrackerConfig(hold_s=0.4, forget_s=2.0))
    run(t, [[box(50, 50, 120)]] * 5)
    t.update([], time_s=5 * DT)  # lost while moving
    t.update([box(450, 80, 120)], time_s=6 * DT)  # far away: a new track, not yet confirmed
    shown = t.update([box(452, 80, 120)], time_s=7 * DT)
    new = next(tr for tr in shown if tr.detected)
    assert t.patient_id == new.id != 1  # handed over as soon as it is shown



def test_strong_detection_is_shown_at_once():
    t = Tracker()
    assert [x.id for x in t.update([box(100, 50)], [True], time_s=0.0)] == [1]


def test_broken_patient_track_is_handed_over_in_place():
    t = Tracker(TrackerConfig(hold_s=0.1, forget_s=2.0))
    run(t, [[box(100, 50, 150)]] * 3)
    assert t.patient_id == 1
    # The same person comes back a little off and much smaller: no match, a new track...
    for i in range(3, 12):
        t.update([box(150, 90, 70)], time_s=i * DT)
    assert t.patient_id == 2  # ...which takes over once the old one is no longer shown
