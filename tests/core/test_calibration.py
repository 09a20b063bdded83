"""Temperature scaling and the reliability diagram's numbers."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_core.calibration import (apply_temperature, calibration_writers_digits, expected_calibration_error,
                                    fit_temperature, negative_log_likelihood, reliability)


def _softmax(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _calibrated_sample(n=6000, seed=0):
    """Labels drawn from the probabilities themselves: perfectly calibrated by construction."""
    rng = np.random.default_rng(seed)
    probs = _softmax(rng.normal(0, 2.5, (n, 10)))
    labels = np.array([rng.choice(10, p=p) for p in probs])
    return probs, labels


def test_temperature_keeps_the_answer_and_softens_or_sharpens():
    probs = _softmax(np.random.default_rng(1).normal(0, 3, (50, 10)))
    for t in (0.5, 2.0):
        out = apply_temperature(probs, t)
        assert np.allclose(out.sum(axis=1), 1) and (out.argmax(axis=1) == probs.argmax(axis=1)).all()
    assert (apply_temperature(probs, 2.0).max(axis=1) <= probs.max(axis=1) + 1e-12).all()
    assert apply_temperature(probs, 1.0) is probs


def test_fit_recovers_the_temperature_that_made_a_model_overconfident():
    probs, labels = _calibrated_sample()
    overconfident = apply_temperature(probs, 1 / 2.0)  # as if the logits had been doubled
    t = fit_temperature(overconfident, labels)
    assert t == pytest.approx(2.0, rel=0.1)
    fixed = apply_temperature(overconfident, t)
    assert negative_log_likelihood(fixed, labels) < negative_log_likelihood(overconfident, labels)
    assert expected_calibration_error(fixed, labels) < expected_calibration_error(overconfident, labels) / 2


def test_reliability_bins_add_up_and_a_calibrated_model_has_small_ece():
    probs, labels = _calibrated_sample(seed=2)
    rel = reliability(probs, labels, bins=10)
    assert sum(rel.count) == len(labels) and len(rel.edges) == 11
    assert all((c is None) == (n == 0) for c, n in zip(rel.confidence, rel.count))
    assert rel.ece < 0.03
    always_wrong = reliability(np.eye(10)[(labels + 1) % 10] * 0.9 + 0.01, labels)
    assert always_wrong.ece > 0.85


def test_empty_input_does_not_crash():
    assert fit_temperature(np.zeros((0, 10)), np.zeros(0, int)) == 1.0


def test_the_calibration_writers_digits_are_drawn_once_and_cannot_be_changed():
    """Every training run fits its temperature on them; the seeds are fixed, so one process draws them once."""
    images, labels = calibration_writers_digits(40)
    again, same_labels = calibration_writers_digits(40)
    assert again is images and same_labels is labels
    assert images.shape == (len(labels), 28, 28) and len(labels) >= 38 and set(labels) == set(range(10))
    with pytest.raises(ValueError):
        images[0, 0, 0] = 255
