"""Scoring a model once, after training, so pages can open instantly.

Everything the Evaluate and Mistakes pages show (accuracy, loss, confusion
matrix, per-class report, most confident errors) is computed here in one pass
over the data and stored beside the model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .data import MnistData, to_model_input

@dataclass
class Evaluation:
    test_accuracy: float
    test_loss: float
    train_accuracy: float
    train_loss: float
    confusion: list[list[int]]  # rows: true digit, columns: predicted digit
    report: dict[str, dict[str, float]]  # "0".."9", "macro avg", "weighted avg"
    test_count: int
    train_count: int

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Evaluation":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


def cross_entropy(probabilities: np.ndarray, labels: np.ndarray) -> float:
    picked = probabilities[np.arange(len(labels)), labels.astype(np.int64)]
    return float(-np.mean(np.log(np.clip(picked, 1e-7, 1.0)))) if len(labels) else 0.0


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, classes: int = 10) -> np.ndarray:
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (labels.astype(np.int64), predicted.astype(np.int64)), 1)
    return matrix


def classification_report(matrix: np.ndarray) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support per class, plus macro and weighted averages."""
    true_pos = np.diag(matrix).astype(np.float64)
    predicted = matrix.sum(axis=0).astype(np.float64)
    support = matrix.sum(axis=1).astype(np.float64)
    precision = np.divide(true_pos, predicted, out=np.zeros_like(true_pos), where=predicted > 0)
    recall = np.divide(true_pos, support, out=np.zeros_like(true_pos), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(true_pos), where=denom > 0)
    report = {
        str(d): {"precision": float(precision[d]), "recall": float(recall[d]), "f1": float(f1[d]),
                 "support": int(support[d])}
        for d in range(len(matrix))
    }
    total = support.sum()
    report["macro avg"] = {"precision": float(precision.mean()), "recall": float(recall.mean()),
                           "f1": float(f1.mean()), "support": int(total)}
    weights = support / total if total else support
    report["weighted avg"] = {"precision": float((precision * weights).sum()), "recall": float((recall * weights).sum()),
                              "f1": float((f1 * weights).sum()), "support": int(total)}
    return report


def confident_errors(probabilities: np.ndarray, labels: np.ndarray, limit: int | None = None) -> list[dict]:
    """Wrong answers sorted by how sure the model was: the most instructive mistakes."""
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    confidence = probabilities[wrong, predicted[wrong]]
    order = wrong[np.argsort(-confidence, kind="stable")][:limit]
    return [
        {"index": int(i), "true": int(labels[i]), "predicted": int(predicted[i]),
         "confidence": float(probabilities[i, predicted[i]]),
         "probabilities": [round(float(p), 6) for p in probabilities[i]]}
        for i in order
    ]


def score(probabilities: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(accuracy, cross-entropy loss)."""
    if not len(labels):
        return 0.0, 0.0
    return float((probabilities.argmax(axis=1) == labels).mean()), cross_entropy(probabilities, labels)


def evaluate(predictor, data: MnistData) -> tuple[Evaluation, dict[str, np.ndarray]]:
    """Score a Predictor on MNIST; also return per-image arrays for the pages to filter."""
    # float32 throughout: what is stored beside the model is exactly what the card was computed from
    test_probs = predictor.predict_batch(to_model_input(data.x_test)).astype(np.float32)
    train_probs = predictor.predict_batch(to_model_input(data.x_train)).astype(np.float32)
    labels = data.y_test.astype(np.int64)
    test_acc, test_loss = score(test_probs, labels)
    train_acc, train_loss = score(train_probs, data.y_train.astype(np.int64))
    matrix = confusion_matrix(labels, test_probs.argmax(axis=1))
    evaluation = Evaluation(
        test_acc, test_loss, train_acc, train_loss, matrix.tolist(), classification_report(matrix),
        len(labels), len(data.y_train),
    )
    arrays = {"test_probabilities": test_probs}
    return evaluation, arrays


def format_report(report: dict[str, dict[str, float]]) -> str:
    """The classification report as a text table (sklearn's layout)."""
    lines = [f"{'':>12} {'precision':>9} {'recall':>9} {'f1':>9} {'support':>9}"]
    for key, row in report.items():
        if key == "macro avg":
            lines.append("")
        lines.append(f"{key:>12} {row['precision']:9.4f} {row['recall']:9.4f} {row['f1']:9.4f} {row['support']:9d}")
    return "\n".join(lines)


def format_confusion(matrix: list[list[int]]) -> str:
    """Rows are the true digit, columns the predicted one."""
    header = "true\\pred " + " ".join(f"{d:>5}" for d in range(len(matrix)))
    rows = [f"{t:>9} " + " ".join(f"{v:>5}" for v in row) for t, row in enumerate(matrix)]
    return "\n".join([header, *rows])
