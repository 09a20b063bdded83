"""The model a visitor meets first: real MNIST and drawn digits, end to end."""

from __future__ import annotations

import pytest

from mnist_core.data import to_model_input
from mnist_core.drawn_benchmark import samples, score
from mnist_core.evaluation import score as accuracy_and_loss
from mnist_core.predictor import Predictor
from mnist_core.registry import DEFAULT_MODEL, MODEL_FILE, SHIPPED_DIR, Registry


@pytest.fixture(scope="module")
def shipped():
    registry = Registry(root=SHIPPED_DIR / ".none", shipped=SHIPPED_DIR)
    return registry, Predictor(registry.load(DEFAULT_MODEL))


def test_shipped_model_is_small(shipped):
    assert (SHIPPED_DIR / DEFAULT_MODEL / MODEL_FILE).stat().st_size <= 5 * 1024 * 1024


def test_shipped_model_reaches_99_5_percent_on_mnist(shipped, real_data):
    registry, predictor = shipped
    probs = predictor.predict_batch(to_model_input(real_data.x_test))
    accuracy, _ = accuracy_and_loss(probs, real_data.y_test.astype(int))
    assert accuracy >= 0.995
    card = registry.card(DEFAULT_MODEL)
    assert card.test_accuracy == pytest.approx(accuracy, abs=2e-4)  # the card tells the truth
    assert card.dataset == real_data.fingerprint


def test_shipped_model_reads_drawn_digits_in_every_style(shipped, real_data):
    _, predictor = shipped

    def predict(canvas):
        _, probs = predictor.classify(canvas)
        return None if probs is None else int(probs.argmax())

    results = score(predict, samples(real_data.x_test, real_data.y_test, per_style=60))
    styles = {style for _, style in results}
    per_style = {s: sum(results[(src, s)][0] for src in ("mnist", "pen")) /
                 sum(results[(src, s)][1] for src in ("mnist", "pen")) for s in styles}
    overall = sum(c for c, _ in results.values()) / sum(t for _, t in results.values())
    assert overall >= 0.95, per_style
    assert min(per_style.values()) >= 0.92, per_style
