"""Temperature scaling and the expected calibration error."""

import numpy as np
import pytest

pytest.importorskip("scipy")

from training.calibrate import calibrated_probs, fit_temperature, reliability  # noqa: E402


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
