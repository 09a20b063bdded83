import numpy as np

from mnist_core.evaluation import (
    classification_report, confident_errors, confusion_matrix, cross_entropy, evaluate, format_confusion,
    format_report, score,
)
from mnist_core.predictor import Predictor
from mnist_core.presets import build_model


def test_confusion_matrix_rows_are_true_digits():
    matrix = confusion_matrix(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 2]))
    assert matrix[0].tolist()[:3] == [1, 1, 0]
    assert matrix.sum() == 4 and matrix.shape == (10, 10)


def test_report_matches_hand_computation():
    labels = np.array([0, 0, 0, 1, 1, 2])
    predicted = np.array([0, 0, 1, 1, 1, 0])
    report = classification_report(confusion_matrix(labels, predicted, 3))
    assert report["0"]["precision"] == 2 / 3 and report["0"]["recall"] == 2 / 3
    assert report["1"]["precision"] == 2 / 3 and report["1"]["recall"] == 1.0
    assert report["1"]["f1"] == 0.8
    assert report["2"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert report["macro avg"]["recall"] == (2 / 3 + 1 + 0) / 3
    assert report["weighted avg"]["support"] == 6


def test_confident_errors_are_sorted_by_confidence():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.05, 0.95]])
    errors = confident_errors(np.pad(probs, ((0, 0), (0, 8))), np.array([1, 1, 0, 0]))
    assert [e["index"] for e in errors] == [3, 0, 2]
    assert errors[0] == {"index": 3, "true": 0, "predicted": 1, "confidence": 0.95,
                         "probabilities": [0.05, 0.95] + [0.0] * 8}


def test_score_and_cross_entropy():
    probs = np.array([[1.0, 0.0], [0.5, 0.5]])
    accuracy, loss = score(probs, np.array([0, 1]))
    assert accuracy == 0.5 or accuracy == 1.0  # a tie picks the first class
    assert np.isclose(cross_entropy(probs, np.array([0, 1])), -np.log(0.5) / 2, atol=1e-6)


def test_evaluate_on_small_data(tiny_data):
    evaluation, arrays = evaluate(Predictor(build_model("mlp-128-64")), tiny_data)
    assert evaluation.test_count == 300 and evaluation.train_count == 800
    assert sum(map(sum, evaluation.confusion)) == 300
    assert 0 <= evaluation.test_accuracy <= 1
    assert "top_errors" not in evaluation.to_dict()  # the Mistakes page computes them from the stored probabilities
    assert arrays["test_probabilities"].shape == (300, 10)
    assert np.allclose(arrays["test_probabilities"].sum(axis=1), 1, atol=1e-4)
    predicted = arrays["test_probabilities"].argmax(axis=1)
    assert np.trace(np.array(evaluation.confusion)) == (predicted == tiny_data.y_test).sum()
    text = format_report(evaluation.report)
    assert "macro avg" in text and "precision" in text
    assert format_confusion(evaluation.confusion).count("\n") == 10


def test_sigmoid_outputs_are_renormalised():
    probs = Predictor(build_model("logistic")).probabilities(np.random.default_rng(0).random((3, 28, 28)))
    assert np.allclose(probs.sum(axis=1), 1)
