"""Temperature scaling and the expected calibration error."""

import numpy as np
import pytest

pytest.importorskip("scipy")

from training.calibrate import (  # noqa: E402
    apply_top_map,
    calibrated_probs,
    choose_top_map,
    fit_temperature,
    reliability,
)


def _sample(rng, n, k, true_t):
    """Logits whose labels are drawn from softmax(logits / true_t): calibrated at true_t."""
    z = rng.normal(0, 3, (1, n, k))
    p = calibrated_probs(z, true_t)
    labels = np.array([rng.choice(k, p=row) for row in p])
    return z, labels


def test_fitted_temperature_recovers_the_true_one_and_lowers_the_ece():
    rng = np.random.default_rng(0)
    z, y = _sample(rng, 6000, 4, true_t=2.5)
    t = fit_temperature(z, y)
    assert t == pytest.approx(2.5, rel=0.1)
    before = reliability(y, calibrated_probs(z, 1.0))["ece"]
    after = reliability(y, calibrated_probs(z, t))["ece"]
    assert after < 0.03 < before


def test_unlabelled_images_are_ignored_and_bins_add_up():
    rng = np.random.default_rng(1)
    z, y = _sample(rng, 500, 3, true_t=1.0)
    y[:100] = -1
    rel = reliability(y, calibrated_probs(z, 1.0))
    assert rel["n"] == 400 and sum(b["n"] for b in rel["bins"]) == 400
    assert fit_temperature(z, y) > 0


def test_views_are_averaged_after_the_softmax():
    z = np.array([[[2.0, 0.0]], [[0.0, 2.0]]])  # two views that disagree
    assert np.allclose(calibrated_probs(z, 1.0), [[0.5, 0.5]])


def _overconfident_at_the_top(rng, n):
    """Probabilities whose top class is right far less often than they say when they are
    confident: no single temperature fixes both ends."""
    z = rng.normal(0, 2.5, (1, n, 4))
    p = calibrated_probs(z, 1.0)
    c = p.max(1)
    right = rng.random(n) < np.where(c > 0.8, 0.6, c)
    top = p.argmax(1)
    other = (top + rng.integers(1, 4, n)) % 4
    return p, np.where(right, top, other)


def test_top_map_keeps_rows_and_predictions_and_lowers_the_ece():
    rng = np.random.default_rng(3)
    p, y = _overconfident_at_the_top(rng, 8000)
    chosen = choose_top_map(p[:4000], y[:4000])
    assert chosen["knots"] is not None
    assert chosen["val_ece_cross_fitted"] < chosen["val_ece_without"]
    xs, ys = np.array(chosen["knots"]).T
    assert np.all(np.diff(xs) > 0) and np.all(np.diff(ys) >= 0) and ys.min() >= 0.25
    assert ys.max() <= 0.995  # never certain
    q = apply_top_map(p[4000:], chosen["knots"])
    assert np.allclose(q.sum(1), 1) and np.array_equal(q.argmax(1), p[4000:].argmax(1))
    before = reliability(y[4000:], p[4000:])["ece"]
    assert reliability(y[4000:], q)["ece"] < 0.03 < before


def test_top_map_is_dropped_when_already_calibrated():
    rng = np.random.default_rng(4)
    z, y = _sample(rng, 4000, 4, true_t=1.0)
    chosen = choose_top_map(calibrated_probs(z, 1.0), y)
    assert chosen["knots"] is None
    assert apply_top_map(calibrated_probs(z, 1.0), None) is not None


def test_top_map_never_gives_a_negative_share():
    """float32 rows whose top rounds to 1, through a map ending at 1: no share below 0 (the app
    takes logs of them for the baseline)."""
    top = np.r_[np.linspace(0.3, 1.0, 400), 1 - 6e-8]
    p = np.stack([top, *[(1 - top) / 3] * 3], 1).astype(np.float32)
    # the knots a real fit gave (a dozen segments; the float32 sum of their pieces overshoots 1)
    knots = [[0.25, 0.25], [0.5, 0.5725], [0.5145, 0.5725], [0.5958, 0.6031], [0.6864, 0.6693],
             [0.7755, 0.6693], [0.8452, 0.7739], [0.8961, 0.9061], [0.9334, 0.9138],
             [0.9546, 0.9603], [0.9647, 0.9636], [0.9717, 1.0], [1.0, 1.0]]
    assert apply_top_map(p, knots).min() >= 0
    keras = pytest.importorskip("keras")
    from training.export import TopLabelMap

    got = keras.ops.convert_to_numpy(TopLabelMap(knots)(keras.ops.convert_to_tensor(p)))
    assert got.min() >= 0 and np.allclose(got.sum(1), 1, atol=1e-6)


def test_class_offsets_lift_the_worst_recall_over_two_truths():
    """Two truths that disagree on class 1 vs 2: the offsets move the boundary so neither truth
    leaves a class far behind."""
    from training.balance import fit_class_bias, worst_recall

    rng = np.random.default_rng(5)
    n = 3000
    a = rng.integers(0, 3, n)  # truth A
    b = np.where((a == 1) & (rng.random(n) < 0.5), 2, a)  # truth B calls half of A's 1s a 2
    z = np.eye(3)[a] * 2.0 + rng.normal(0, 1, (n, 3))
    z[:, 1] -= 1.5  # the net leans to truth B
    truths = {"a": a, "b": b}
    before = worst_recall(calibrated_probs(z[None], 1.0), truths)
    bias = fit_class_bias(z[None], 1.0, truths)
    after = worst_recall(calibrated_probs(z[None], 1.0, bias), truths)
    assert bias[0] == 0 and bias[1] > 0.5
    assert after[0] > before[0] + 0.1
