"""The literature's options: SGD with Nesterov momentum, and a moving average of the weights."""

import json

import numpy as np
import pytest

pytest.importorskip("tensorflow", reason="training extra not installed (pip install .[train])")

from training.cli import main  # noqa: E402
from training.model import HParams  # noqa: E402

from .conftest import write_fer_csv  # noqa: E402


def test_bad_optimizer_or_ema_is_refused():
    with pytest.raises(ValueError, match="adamw or sgd"):
        HParams(optimizer="adam")
    with pytest.raises(ValueError, match="ema"):
        HParams(ema=1.0)


def test_the_best_checkpoint_holds_the_moving_average_and_training_the_raw_weights(tmp_path):
    import keras

    from training.data import load_fer_csv, select_classes
    from training.fit import fit
    from training.model import make_core
    from training.targets import Task

    keras.config.set_dtype_policy("float32")
    csv = write_fer_csv(tmp_path / "tiny.csv", n_train=80, n_test=10)
    ds = select_classes(load_fer_csv(csv)["Training"], ("happy", "sad", "surprise", "neutral"))
    task = Task(ds.classes, ds.classes)
    hp = HParams(width=4, batch_size=16, ema=0.9, optimizer="sgd", learning_rate=0.05)
    res = fit(hp, ds, ds, 1, 0, task, workdir=tmp_path / "w")
    # After the fit the model holds the best epoch's (here the only epoch's) average, and the
    # optimizer's average slots hold the raw weights it was swapped with.
    raw = [v.numpy() for v in res.model.optimizer._model_variables_moving_average]
    kept = [v.numpy() for v in res.model.trainable_variables]
    keras.utils.set_random_seed(0)  # as fit does: the weights it started from
    init = [v.numpy() for v in make_core(hp, 4).trainable_variables]

    def moved(ws):
        return sum(float(np.abs(w - i).sum()) for w, i in zip(ws, init, strict=True))

    assert 0 < moved(kept) < 0.8 * moved(raw)  # an average lags behind the raw weights
    # and that is what the best checkpoint holds (it was saved while the average was in)
    fresh = make_core(hp, 4)
    fresh.load_weights(str(tmp_path / "w" / "best.weights.h5"))
    for k, f in zip(kept, (v.numpy() for v in fresh.trainable_variables), strict=True):
        assert np.allclose(k, f)


def test_fer_train_takes_them_from_the_hparams_file(tmp_path, capsys):
    csv = write_fer_csv(tmp_path / "tiny.csv", n_train=80, n_test=20)
    hp = tmp_path / "hp.json"
    hp.write_text(json.dumps({"optimizer": "sgd", "learning_rate": 0.05, "ema": 0.9}))
    common = [str(csv), "--max-evals", "0", "--epochs", "1", "--precision", "fp32",
              "--votes", "none", "--int8", "off", "--hparams", str(hp)]
    assert main([*common, "--out", str(tmp_path / "o"), "--workdir", str(tmp_path / "w")]) == 0
    m = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert m["hparams"]["optimizer"] == "sgd" and m["hparams"]["ema"] == 0.9
    hp.write_text(json.dumps({"optimizer": "rmsprop"}))
    capsys.readouterr()
    assert main([*common, "--out", str(tmp_path / "o2"), "--workdir", str(tmp_path / "w2")]) != 0
    err = capsys.readouterr().err
    assert "adamw or sgd" in err and len(err.strip().splitlines()) == 1
