"""A face turned away is not an emotion (issue 29): through the analyzer, the store, the frames
CSV, the note labels, the looking-away episodes and the PDF report."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from app.core.analysis.detection import Detection
from app.core.analysis.results import Face, FrameResult
from app.core.report.looking_away import episodes, episodes_from_rows, looking_away
from app.core.report.note_labels import note_labels
from app.core.session.notes import Note
from tests.core.conftest import MEDIA
from tests.core.test_face_mesh import DEMO
from tests.core.test_head_pose import keypoints

CLASSES = ("happy", "sad", "surprise", "neutral")
FPS = 25.0


class ScriptedDetector:
    """One face at a fixed box whose BlazeFace keypoints show the yaw scripted per frame."""

    provider = "test"

    def __init__(self, yaws):
        self.yaws = list(yaws)
        self.frame = -1

    def _det(self) -> Detection:
        yaw = self.yaws[min(self.frame, len(self.yaws) - 1)]
        kps = None if yaw is None else keypoints(yaw, scale=40.0)
        return Detection(np.array([260.0, 120.0, 120.0, 120.0]), 0.9, kps, strong=True)

    def scan(self, frame, gray, min_face_px, still=False):
        self.frame += 1
        return [self._det()]

    def search(self, frame, gray, box):
        self.frame += 1
        return self._det()


def run(analyzer, yaws) -> list[FrameResult]:
    analyzer.reset()
    analyzer._detector = ScriptedDetector(yaws)
    frame = np.full((360, 640, 3), 120, np.uint8)
    return [analyzer.process(frame, i, i / FPS) for i in range(len(yaws))]


@pytest.fixture(scope="module")
def session(analyzer_factory):
    """2 s frontal, 2 s in profile (yaw 80), 0.2 s back at 20, 0.6 s at 85 again, 2 s frontal,
    a 0.4 s glance at 70, 1 s frontal; Haar-like frames (no keypoints) at the end."""
    yaws = ([5.0] * 50 + [80.0] * 50 + [20.0] * 5 + [85.0] * 15 + [0.0] * 50 + [70.0] * 10
            + [3.0] * 25 + [None] * 5)
    from app.core.analysis.analyzer import AnalyzerConfig
    from app.core.analysis.head_pose import TurnConfig

    # no yaw averaging: each frame's state follows its own yaw (the averaging: test_head_pose);
    # a drawn grey frame has no face for the mesh to read: the scripted yaw alone decides
    config = AnalyzerConfig(turn=TurnConfig(smooth_s=0.0), face_mesh=False)
    return yaws, run(analyzer_factory(config=config), yaws)


def test_a_profile_is_tracked_as_the_patient_but_not_classified(session):
    yaws, results = session
    frontal, profile = results[10], results[70]
    assert frontal.state == "classified" and frontal.label in CLASSES and frontal.probs
    assert frontal.yaw_deg == pytest.approx(5.0, abs=0.1) and not frontal.turned_away
    assert profile.state == "turned_away" and profile.turned_away
    assert profile.label is None and profile.probs is None
    face = profile.patient
    assert face.is_patient and face.detected and face.turned_away
    assert face.probs == () and face.label == "" and face.yaw_deg == pytest.approx(80.0, abs=0.1)
    assert profile.n_detected == 1 and profile.has_face  # still there, still counted
    assert {f.track_id for r in results for f in r.faces} == {frontal.patient.track_id}
    haar_like = results[-1]
    assert haar_like.yaw_deg is None and haar_like.state == "classified"  # unknown: classified


def test_states_follow_the_yaw_with_hysteresis(session):
    yaws, results = session
    states = [r.state for r in results]
    assert states[:50] == ["classified"] * 50
    assert states[50:100] == ["turned_away"] * 50
    assert states[100:105] == ["classified"] * 5  # 20 degrees: back below the release
    assert states[105:120] == ["turned_away"] * 15


def test_looking_away_episodes_bridge_short_breaks_and_drop_glances(session):
    _, results = session
    away = looking_away(results)
    # 2.0-4.0 s and 4.2-4.8 s are one episode (a 0.2 s break); the 0.4 s glance is none
    assert away.episodes == (pytest.approx((2.0, 4.8)),)
    assert away.count == 1 and away.total_s == pytest.approx(2.8)
    assert away.longest_s == pytest.approx(2.8) and away.turned_frames == 75


def test_episode_rules():
    t = np.arange(100) / 10.0  # 10 frames/s
    flags = np.zeros(100, bool)
    flags[10:20] = True  # 1.0 s: an episode
    flags[30:35] = True  # 0.5 s: a glance
    flags[40:48] = flags[52:60] = True  # 0.8 + 0.8 s with a 0.4 s break: one of 2.0 s
    flags[95:] = True  # 0.5 s at the end (to one step after the last frame): a glance
    got = episodes(t, flags)
    assert got.episodes == (pytest.approx((1.0, 2.0)), pytest.approx((4.0, 6.0)))
    assert got.total_s == pytest.approx(3.0) and got.longest_s == pytest.approx(2.0)
    assert episodes(t, np.zeros(100, bool)).count == 0 and episodes([], []).count == 0


def test_the_store_keeps_yaw_and_state_and_reads_old_sessions(session, tmp_path):
    from app.core.session.store import SessionMeta, SessionStore
    from app.core.session.types import pack_faces, unpack_frame

    _, results = session
    with SessionStore(tmp_path / "s.sqlite3") as store:
        sid = store.create_session(SessionMeta("P-1", CLASSES))
        store.add_frames(sid, results)
        assert store.load_session(sid).frames == results
    old = FrameResult(0, 0.0, (Face((1, 2, 3, 4), 1, (0.7, 0.1, 0.1, 0.1), "happy", True),),
                      "happy", (0.7, 0.1, 0.1, 0.1))
    blob = pack_faces(old.faces, CLASSES)
    assert b"POSE" not in blob  # a frame without pose is stored as before
    back = unpack_frame((0, 0.0, "happy", None, blob), CLASSES, 4)
    assert back.faces[0].yaw_deg is None and not back.faces[0].turned_away


def test_frames_csv_has_yaw_and_state_last_and_episodes_recompute(session, tmp_path):
    from app.core.report.frames_csv import FramesCsvWriter, read_frames_csv

    _, results = session
    path = tmp_path / "f.csv"
    with FramesCsvWriter(path, CLASSES) as writer:
        writer.write_all(results)
    lines = path.read_text().splitlines()
    assert lines[0].endswith(",uncertain,yaw_deg,state")
    assert lines[1 + 70].endswith(",,,,,,80.0,turned_away")  # no label, p_ or uncertain
    assert lines[1 + 10].endswith(",0,5.0,classified")
    table = read_frames_csv(path)
    assert [r.state for r in table.rows] == [r.state for r in results]
    assert table.rows[70].yaw_deg == pytest.approx(80.0) and table.rows[-1].yaw_deg is None
    assert episodes_from_rows(table.rows) == looking_away(results)


def test_note_labels_say_turned_away_and_leave_kappa_alone(session):
    from app.core.report.agreement import agreement
    from app.core.report.data import emotion_summary

    _, results = session
    notes = [Note(1.5, "calm", "neutral"), Note(3.0, "looks at the window", "sad"),
             Note(4.1, "", "sad")]
    got = note_labels(results, [n.time_s for n in notes], CLASSES)
    assert got[0].status == "ok"
    assert got[1].status == "turned_away" and got[1].text == "turned away"
    assert got[2].status == "turned_away"  # 3.1-4.1 s: 25 turned-away frames, 5 classified
    a = agreement(notes, got, CLASSES)
    assert a.n == 1 and a.no_face == 2 and a.turned_away == 2
    shares = emotion_summary(results, CLASSES)
    assert sum(e.frames for e in shares) == len(results) - 75  # turned-away frames left out


def test_turned_majority_against_emotions():
    sure = (0.9, 0.04, 0.03, 0.03)
    patient = Face((0, 0, 10, 10), 1, (), "", True, yaw_deg=80.0, turned_away=True)
    turned = FrameResult(0, 0.0, (patient,))
    frames = []
    for i in range(10):  # 6 happy, then 4 turned away: happy wins; 4 happy, 6 turned: turned
        frames.append(FrameResult(i, i / 10, (), "happy", sure) if i < 6 else
                      FrameResult(i, i / 10, turned.faces))
    assert note_labels(frames, [0.9], CLASSES)[0].text == "happy"
    frames = [FrameResult(i, i / 10, (), "happy", sure) if i < 4 else
              FrameResult(i, i / 10, turned.faces) for i in range(10)]
    assert note_labels(frames, [0.9], CLASSES)[0].text == "turned away"


def test_pdf_report_counts_looking_away(session, tmp_path):
    from app.core.report.exports import export_report
    from app.core.report.notes_csv import read_notes_csv  # noqa: F401  (the module imports)

    _, results = session
    notes = [Note(3.0, "looks at the window", "sad")]
    export_report(results, CLASSES, notes, pdf_path=tmp_path / "r.pdf",
                  notes_csv_path=tmp_path / "n.csv")
    notes_csv = (tmp_path / "n.csv").read_text().splitlines()
    assert notes_csv[1].split(",")[3:5] == ["", "turned_away"]
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) not installed")
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    assert "Looking away" in flat
    assert "1 looking-away episode, 2.8 s in all, the longest 2.8 s: 00:02–00:04" in flat
    assert "turned away in 36%" in flat  # 75 of 210 frames
    assert "turned away" in flat.split("Notes")[-1]  # the note's model label


# FER-2013 rows judged by eye (benchmarks/head_pose_labels.json): sharp profiles the keypoints
# alone call nearly frontal or barely turned, whose face mesh is not present (presence 0.00-0.02),
# and frontal faces.
PROFILES = (22459, 30573, 20806, 7658, 15016)
FRONTAL = (10346, 31536, 28700, 15822)


@pytest.fixture(scope="module")
def fer_faces():
    import csv
    import gzip

    path = MEDIA.parent / "data" / "fer2013" / "fer2013.csv.gz"
    if not path.is_file():
        pytest.skip(f"FER-2013 not present: {path} (real-face tests need ../shared)")
    want = set(PROFILES) | set(FRONTAL)
    out = {}
    with gzip.open(path, "rt", newline="") as f:
        for i, row in enumerate(csv.DictReader(f)):
            if i in want:
                out[i] = np.array(row["pixels"].split(), np.uint8).reshape(48, 48)
    return out


@pytest.mark.shared
def test_real_profiles_are_turned_away_and_frontal_faces_classified(analyzer_factory, fer_faces):
    """Through the whole chain as a still (detector, keypoints, face mesh, gate), as the app
    reads a photograph: the face enlarged to 200 px in a 640x360 frame."""
    from benchmarks.head_pose import pasted

    analyzer = analyzer_factory()
    for row in (*PROFILES, *FRONTAL):
        analyzer.reset(still=True)
        result = analyzer.process(pasted(fer_faces[row]), 0, 0.0)
        assert result.has_face, row
        assert result.turned_away == (row in PROFILES), (row, result.yaw_deg)
        assert (result.state == "classified") == (row in FRONTAL)


def test_the_demo_clip_is_never_turned_away(analyzer_factory):
    """A real face within ~20 degrees of frontal (the clip shipped in the repo) through the
    chain: every frame read, none turned away, the yaw small."""
    from app.core.analysis.pipeline import analyze_source

    results = list(analyze_source(str(DEMO), analyzer_factory()))
    patient = [r for r in results if r.has_face]
    assert len(patient) > 0.95 * len(results)
    assert not any(r.turned_away for r in results)
    assert max(abs(r.yaw_deg) for r in patient if r.yaw_deg is not None) < 30


@pytest.mark.shared
def test_a_profile_in_video_is_one_steady_looking_away_episode(analyzer_factory, fer_faces):
    """10 frames/s: 3 s frontal, 4 s a profile, 3 s frontal (light sensor noise). In video the
    face is searched near where it was and the mesh's presence jumps with the crop; the
    averaged gate still gives one episode, late and early by at most 0.5 s."""
    from benchmarks.head_pose import pasted

    rng = np.random.default_rng(0)
    analyzer = analyzer_factory()
    analyzer.reset()
    states = []
    for i in range(100):
        face = fer_faces[PROFILES[0] if 30 <= i < 70 else FRONTAL[1]]
        frame = np.clip(pasted(face) + rng.integers(-3, 4, (360, 640, 3)), 0, 255)
        states.append(analyzer.process(frame.astype(np.uint8), i, i / 10).state)
    away = [i for i, s in enumerate(states) if s == "turned_away"]
    assert away == list(range(away[0], away[-1] + 1))  # one run
    assert 30 <= away[0] <= 35 and 69 <= away[-1] <= 74
    assert all(s == "classified" for s in states[1:30] + states[75:])


@pytest.mark.shared
def test_fer_analyze_says_a_profile_photo_was_turned_away(fer_faces, tiny_model, tmp_path,
                                                          capsys):
    import cv2

    from app.core.cli import main
    from app.core.report.frames_csv import read_frames_csv
    from benchmarks.head_pose import pasted

    photo = tmp_path / "profile.png"
    cv2.imwrite(str(photo), pasted(fer_faces[PROFILES[0]]))
    assert main([str(photo), "--model", str(tiny_model), "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "emotions    none read (no frame with the patient's face read)" in out
    assert "turned away 100.0 % of frames" in out
    [row] = read_frames_csv(tmp_path / "profile.png.frames.csv").rows
    assert row.faces == 1 and row.label is None and row.state == "turned_away"
