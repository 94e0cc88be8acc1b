"""fer-train --join: a finished fit of another run (here another width) averaged into the graph."""

import json

import numpy as np
import pytest

pytest.importorskip("tensorflow", reason="training extra not installed (pip install .[train])")
ort = pytest.importorskip("onnxruntime")

from training.cli import main  # noqa: E402


def test_a_finished_member_of_another_width_joins_the_exported_graph(tmp_path, capsys):
    from .conftest import write_fer_csv

    csv = write_fer_csv(tmp_path / "tiny.csv")
    common = [str(csv), "--max-evals", "0", "--epochs", "1", "--precision", "fp32",
              "--votes", "none", "--int8", "off", "--train-classes", "same"]
    assert main([*common, "--width", "8", "--out", str(tmp_path / "a"),
                 "--workdir", str(tmp_path / "wa")]) == 0
    member = json.loads((tmp_path / "wa" / "final" / "member.json").read_text())
    assert member["hparams"]["width"] == 8 and member["split_seed"] == 42
    alone = json.loads((tmp_path / "a" / "metrics.json").read_text())

    assert main([*common, "--width", "12", "--join", str(tmp_path / "wa" / "final"),
                 "--out", str(tmp_path / "b"), "--workdir", str(tmp_path / "wb")]) == 0
    m = json.loads((tmp_path / "b" / "metrics.json").read_text())
    assert m["ensemble"] == 2 and m["joined"][0]["hparams"]["width"] == 8
    assert m["params_total"] > m["params"] * 1.3  # a width-12 net and a width-8 one
    # the joined member was reloaded, not trained again: the same validation score as alone
    assert m["final"]["members"][1]["val_accuracy"] == alone["final"]["best_val_accuracy"]
    sess = ort.InferenceSession(str(tmp_path / "b" / "fer_cnn.onnx"),
                                providers=["CPUExecutionProvider"])
    assert sess.get_modelmeta().custom_metadata_map["ensemble"] == "2"
    x = np.random.default_rng(0).integers(0, 256, (3, 48, 48, 1)).astype(np.float32)
    assert np.allclose(sess.run(None, {sess.get_inputs()[0].name: x})[0].sum(1), 1, atol=1e-5)
    card = (tmp_path / "b" / "MODEL_CARD.md").read_text()
    assert "Joined from other runs" in card and "width 8" in card

    capsys.readouterr()
    bad = [
        (["--join", str(tmp_path / "nowhere")], "no such directory"),
        (["--join", str(tmp_path / "wb" / "final")], "already in the ensemble"),
        (["--join", str(tmp_path / "wa" / "final"), "--seed", "7"], "another split"),
        (["--join", str(tmp_path / "wa")], "not a finished fit"),
        (["--join", str(tmp_path / "wa" / "final"), "--train-classes", "all"],
         "this run learns angry"),
    ]
    for extra, message in bad:
        rc = main([*common, "--width", "12", "--out", str(tmp_path / "c"),
                   "--workdir", str(tmp_path / "wb"), *extra])
        err = capsys.readouterr().err
        assert rc != 0 and message in err and "Traceback" not in err, (extra, err)
        assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "c").exists()  # refused before anything was trained or written
