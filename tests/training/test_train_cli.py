"""fer-train end to end on a tiny CSV: 2 trials, 1 epoch -> a contract-valid ONNX model."""

import json

import numpy as np
import pytest

pytest.importorskip("tensorflow", reason="training extra not installed (pip install .[train])")
ort = pytest.importorskip("onnxruntime")

from app.core.analysis.uncertainty import from_table, threshold_for  # noqa: E402
from training.cli import main  # noqa: E402


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from .conftest import write_fer_csv, write_votes_csv

    tmp = tmp_path_factory.mktemp("train")
    csv = write_fer_csv(tmp / "tiny.csv")
    votes = write_votes_csv(tmp / "votes.csv", 200)
    out, work = tmp / "out", tmp / "work"
    rc = main([str(csv), "--max-evals", "2", "--search-epochs", "1", "--epochs", "1",
               "--out", str(out), "--workdir", str(work), "--precision", "fp32",
               "--votes", str(votes), "--train-classes", "all"])
    assert rc == 0
    return csv, out, work


def test_artefacts_and_contract(trained):
    _, out, work = trained
    for name in ("fer_cnn.onnx", "MODEL_CARD.md", "metrics.json", "confusion_matrix.png"):
        assert (out / name).stat().st_size > 0, name
    sess = ort.InferenceSession(str(out / "fer_cnn.onnx"), providers=["CPUExecutionProvider"])
    meta = sess.get_modelmeta().custom_metadata_map
    assert meta["classes"] == "happy,sad,surprise,neutral"
    (inp,) = sess.get_inputs()
    assert inp.shape[1:] == [48, 48, 1] and inp.type == "tensor(float)"
    x = np.random.default_rng(0).integers(0, 256, (5, 48, 48, 1)).astype(np.float32)
    p = sess.run(None, {inp.name: x})[0]
    assert p.shape == (5, 4) and np.allclose(p.sum(1), 1, atol=1e-5)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["export"]["parity_max_abs_diff"] <= 1e-4
    assert metrics["final"]["cpu_seconds"] > 0  # the cost that sharing the CPU does not distort
    assert len(metrics["search"]["trials"]) == 2
    assert metrics["flip_tta"] is False and meta["flip_tta"] == "false"  # off by default: 2x cost
    assert metrics["test"]["n"] == 32  # 40 PublicTest rows minus the 8 angry ones
    assert metrics["train_classes"] == ["angry", "happy", "sad", "surprise", "neutral"]
    assert metrics["test_consensus"]["n"] > 0  # the raters' majority is the second truth
    assert 0 <= metrics["calibration"]["ece_original"] <= 1
    # the app's uncertainty threshold: from the validation split, which the app then reads
    cal = metrics["calibration"]
    assert cal["uncertain_below"] == from_table(cal["reliability_validation"])
    assert "validation" in cal["uncertain_below_from"]
    assert threshold_for(out / "fer_cnn.onnx", metrics).value == cal["uncertain_below"]
    assert float(meta["temperature"]) == pytest.approx(metrics["calibration"]["temperature"],
                                                       rel=1e-3)
    assert (out / "reliability_diagram.png").stat().st_size > 0
    int8 = ort.InferenceSession(str(out / "fer_cnn_int8.onnx"), providers=["CPUExecutionProvider"])
    assert int8.get_modelmeta().custom_metadata_map["classes"] == "happy,sad,surprise,neutral"
    assert (out / "confusion_matrix_consensus.png").stat().st_size > 0
    assert (work / "search" / "best_params.json").exists()
    assert "trial 2/2" in (work / "train.log").read_text()
    card = (out / "MODEL_CARD.md").read_text()
    assert f"{100 * metrics['test']['accuracy']:.1f} %" in card and "not a diagnosis" in card
    assert 0 <= metrics["int8"]["agreement"] <= 1 and "int8 version" in card


def test_resume_skips_finished_trials_and_can_turn_on_the_flip(trained):
    csv, out, work = trained
    # A final fit finished before CPU time was kept is still reloaded, not trained again.
    done = json.loads((work / "final" / "done.json").read_text())
    del done["cpu_seconds"]
    (work / "final" / "done.json").write_text(json.dumps(done))
    rc = main([str(csv), "--max-evals", "2", "--search-epochs", "1", "--epochs", "1",
               "--out", str(out), "--workdir", str(work), "--precision", "fp32", "--resume",
               "--flip-tta", "on", "--votes", "none", "--train-classes", "all"])
    assert rc == 0
    log = (work / "train.log").read_text()
    assert "resuming with 2 finished trial(s)" in log
    assert log.count("trial 1/2 epoch") == 1  # no trial trained twice
    assert log.count("final epoch 1/1") == 1  # nor the finished final fit
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["flip_tta"] is True
    assert metrics["final"]["cpu_seconds"] is None  # unknown, not a wrong figure
    # resuming with other classes is one clear line, not a traceback
    rc = main([str(csv), "--max-evals", "2", "--search-epochs", "1", "--epochs", "1",
               "--out", str(out), "--workdir", str(work), "--precision", "fp32", "--resume",
               "--votes", "none", "--train-classes", "same"])
    assert rc != 0
    sess = ort.InferenceSession(str(out / "fer_cnn.onnx"), providers=["CPUExecutionProvider"])
    assert sess.get_modelmeta().custom_metadata_map["flip_tta"] == "true"


def test_export_collapses_calibrates_and_matches_keras(tmp_path):
    import keras

    from training.calibrate import apply_top_map
    from training.export import export_onnx, inference_model
    from training.model import HParams, logits_of, make_core
    from training.targets import Task

    keras.config.set_dtype_policy("float32")
    task = Task(("angry", "happy", "sad", "neutral"), ("happy", "sad", "neutral"))
    hp = HParams(width=4)
    cores = [make_core(hp, 4), make_core(hp, 4)]
    x = np.random.default_rng(1).integers(0, 256, (16, 48, 48, 1)).astype(np.uint8)
    xf = x.astype(np.float32)
    for flip, members in ((False, cores[:1]), (True, cores)):
        model = inference_model([(c, hp) for c in members], task, flip, temperature=2.0)
        path = tmp_path / f"m{flip}.onnx"
        diff = export_onnx(model, path, task.classes, x)
        assert diff <= 1e-4
        sess = ort.InferenceSession(str(path))
        got = sess.run(None, {sess.get_inputs()[0].name: xf})[0]
        assert got.shape == (16, 3) and np.allclose(got.sum(1), 1, atol=1e-5)
    # the graph is softmax(logits of the output classes / T), averaged over views and members
    views = [xf, xf[:, :, ::-1]]
    expect = []
    for c in cores:
        for v in views:
            z = logits_of(c).predict(v, verbose=0)[:, task.out_idx] / 2.0
            e = np.exp(z - z.max(1, keepdims=True))
            expect.append(e / e.sum(1, keepdims=True))
    assert np.abs(np.mean(expect, 0) - got).max() <= 1e-4
    # the flip model is symmetric: mirrored input gives the same output
    mirrored = sess.run(None, {sess.get_inputs()[0].name: x[:, :, ::-1].astype(np.float32)})[0]
    assert np.abs(mirrored - got).max() <= 1e-5
    # a top-probability map in the graph gives what calibrate.apply_top_map gives
    knots = [[1 / 3, 1 / 3], [0.5, 0.42], [0.8, 0.6], [1.0, 0.75]]
    mapped = inference_model([(c, hp) for c in cores], task, True, 2.0, top_map=knots)
    diff = export_onnx(mapped, tmp_path / "mapped.onnx", task.classes, x)
    sess = ort.InferenceSession(str(tmp_path / "mapped.onnx"))
    got_mapped = sess.run(None, {sess.get_inputs()[0].name: xf})[0]
    assert diff <= 1e-4 and np.abs(apply_top_map(got, knots) - got_mapped).max() <= 1e-5


@pytest.mark.parametrize("arch", ["resnet", "vgg16"])
def test_baseline_architectures_build_for_48x48(arch):
    import keras

    from training.model import HParams, make_core

    keras.config.set_dtype_policy("float32")
    model = make_core(HParams(width=4, arch=arch), 7)
    p = model.predict(np.zeros((2, 48, 48, 1), np.float32), verbose=0)
    assert p.shape == (2, 7) and np.allclose(p.sum(1), 1, atol=1e-5)
    assert model.get_layer("fc2") is not None


def test_distillation_from_a_teacher_model(trained, tmp_path, capsys):
    csv, out, _ = trained
    teacher = out / "fer_cnn.onnx"  # outputs happy,sad,surprise,neutral
    common = [str(csv), "--max-evals", "0", "--epochs", "1", "--precision", "fp32",
              "--votes", "none", "--int8", "off", "--teacher", str(teacher)]
    rc = main([*common, "--train-classes", "same", "--teacher-weight", "0.7",
               "--out", str(tmp_path / "out"), "--workdir", str(tmp_path / "w")])
    assert rc == 0
    m = json.loads((tmp_path / "out" / "metrics.json").read_text())
    import hashlib

    assert m["targets"]["teacher_sha256"] == hashlib.sha256(teacher.read_bytes()).hexdigest()
    assert m["targets"]["teacher_weight"] == 0.7
    assert "distilled" in (tmp_path / "out" / "MODEL_CARD.md").read_text()
    assert "teacher" in (tmp_path / "w" / "train.log").read_text()
    capsys.readouterr()
    # a teacher that does not output the classes the student learns: one line, non-zero
    rc = main([*common, "--train-classes", "all", "--out", str(tmp_path / "o2"),
               "--workdir", str(tmp_path / "w2")])
    err = capsys.readouterr().err
    assert rc != 0 and "the student learns angry" in err and len(err.strip().splitlines()) == 1
    rc = main([*common[:-1], str(tmp_path / "missing.onnx"), "--workdir", str(tmp_path / "w3")])
    err = capsys.readouterr().err
    assert rc != 0 and "does not exist" in err and len(err.strip().splitlines()) == 1


def test_teacher_probabilities_are_mixed_into_the_targets():
    from training.data import Dataset
    from training.targets import Task

    classes = ("happy", "sad")
    ds = Dataset(np.zeros((2, 48, 48, 1), np.uint8), np.array([0, 1]), classes,
                 teacher=np.array([[0.2, 0.8], [0.5, 0.5]], np.float32))
    y = Task(classes, classes, 0.0, 0.25).targets(ds)
    assert np.allclose(y, [[0.8, 0.2], [0.125, 0.875]])
    assert np.allclose(Task(classes, classes).targets(ds), [[1, 0], [0, 1]])


@pytest.mark.parametrize(
    "args, message",
    [
        (["/nonexistent/fer.csv"], "dataset not found"),
        (["{csv}", "--classes", "happy,joy"], "unknown class joy"),
        (["{csv}", "--classes", "disgust,fear"], "no Training rows"),
        (["{csv}", "--turned-votes", "-1"], "--turned-votes must be ≥ 0"),
        (["{csv}", "--turned-votes", "0.3", "--votes", "none"], "needs the FER+ votes"),
    ],
)
def test_bad_input_is_one_line_and_nonzero(tmp_path, capsys, args, message):
    from .conftest import write_fer_csv

    csv = write_fer_csv(tmp_path / "t.csv")
    rc = main([a.replace("{csv}", str(csv)) for a in args] + ["--workdir", str(tmp_path / "w")])
    err = capsys.readouterr().err
    assert rc != 0 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_other_classes_can_join_four_class_training_with_the_raters_majority(tmp_path, capsys):
    from .conftest import write_fer_csv, write_votes_csv

    csv = write_fer_csv(tmp_path / "tiny.csv")
    votes = write_votes_csv(tmp_path / "votes.csv", 200)
    common = [str(csv), "--max-evals", "0", "--epochs", "1", "--precision", "fp32",
              "--int8", "off", "--train-classes", "same", "--other-classes", "majority"]
    rc = main([*common, "--votes", str(votes), "--out", str(tmp_path / "out"),
               "--workdir", str(tmp_path / "w")])
    assert rc == 0
    m = json.loads((tmp_path / "out" / "metrics.json").read_text())
    # 160 Training rows, 32 of them angry; the validation split takes ~10 % of them
    assert 0 < m["targets"]["adopted"] < 32 and m["targets"]["other_classes"] == "majority"
    # each class has 32 rows, 3 of them validation: 4 x 29 four-class images, plus the adopted
    assert m["data"]["train"] == 4 * 29 + m["targets"]["adopted"]
    assert "--other-classes majority" in (tmp_path / "out" / "MODEL_CARD.md").read_text()
    # turned faces: measured with the app's BlazeFace (noise images: no face found, none turned)
    rc = main([*common, "--votes", str(votes), "--turned-votes", "0.3", "--out",
               str(tmp_path / "o3"), "--workdir", str(tmp_path / "w3")])
    assert rc == 0
    turned = json.loads((tmp_path / "o3" / "metrics.json").read_text())["targets"]["turned_votes"]
    assert turned["threshold"] == 0.3 and 0 <= turned["turned"] <= turned["measured"] <= 160
    assert "--turned-votes" in (tmp_path / "o3" / "MODEL_CARD.md").read_text()
    capsys.readouterr()
    rc = main([*common, "--votes", "none", "--out", str(tmp_path / "o2"),
               "--workdir", str(tmp_path / "w2")])
    err = capsys.readouterr().err
    assert rc != 0 and "needs the FER+ votes" in err and len(err.strip().splitlines()) == 1
