"""Calibration: making "98% sure" right about 98% of the time.

A network trained with cross-entropy is usually over-confident on writing
it has not seen. Temperature scaling divides the logits by one number T
fitted (by likelihood) on data the model was not trained on; it never changes
which digit wins, only how sure the answer claims to be. Because the models
end in a softmax, log-probabilities are logits up to a constant, so T can be
applied to the stored probabilities directly.

The fitting data: digits from generated calibration writers (their seeds are
used by nothing else) and the USPS training rows kept out of training. MNIST
test and USPS test are only ever reported on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np

TEMPERATURE_RANGE = (0.25, 8.0)
CALIBRATION_PEN_DIGITS = 600
ECE_BINS = 15


def apply_temperature(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """Softmax(log p / T): the same ranking, softer (T > 1) or sharper (T < 1) confidence."""
    if temperature == 1.0:
        return probabilities
    logits = np.log(np.clip(probabilities, 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


def negative_log_likelihood(probabilities: np.ndarray, labels: np.ndarray) -> float:
    picked = probabilities[np.arange(len(labels)), labels.astype(np.int64)]
    return float(-np.mean(np.log(np.clip(picked, 1e-12, 1.0))))


def fit_temperature(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """The T that maximises the likelihood of `labels`: a coarse log grid, then golden-section refinement."""
    if not len(labels):
        return 1.0
    loss = lambda t: negative_log_likelihood(apply_temperature(probabilities, t), labels)
    grid = np.exp(np.linspace(np.log(TEMPERATURE_RANGE[0]), np.log(TEMPERATURE_RANGE[1]), 41))
    best = int(np.argmin([loss(t) for t in grid]))
    low, high = np.log(grid[max(best - 1, 0)]), np.log(grid[min(best + 1, len(grid) - 1)])
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(30):
        a, b = high - ratio * (high - low), low + ratio * (high - low)
        if loss(np.exp(a)) < loss(np.exp(b)):
            high = b
        else:
            low = a
    return float(np.exp((low + high) / 2))


@dataclass(frozen=True)
class Reliability:
    """A reliability diagram's data: per confidence bin, how sure the model was and how often it was right."""

    edges: list[float]  # bins + 1 edges over [0, 1]
    confidence: list[float | None]  # mean confidence of the answers in each bin (None: empty bin)
    accuracy: list[float | None]  # share of those answers that were right
    count: list[int]
    ece: float  # expected calibration error: the count-weighted mean gap

    def to_dict(self) -> dict:
        return asdict(self)


def reliability(probabilities: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> Reliability:
    """Bin answers by confidence; compare each bin's confidence with its accuracy."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, bins - 1)
    conf, acc, count = [], [], []
    ece = 0.0
    for b in range(bins):
        members = which == b
        n = int(members.sum())
        count.append(n)
        if n == 0:
            conf.append(None)
            acc.append(None)
            continue
        c, a = float(confidence[members].mean()), float(correct[members].mean())
        conf.append(c)
        acc.append(a)
        ece += n / max(len(labels), 1) * abs(c - a)
    return Reliability(edges.tolist(), conf, acc, count, float(ece))


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> float:
    return reliability(probabilities, labels, bins).ece


def calibration_parts(pen_digits: int = CALIBRATION_PEN_DIGITS) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Held-out fitting data in MNIST layout, by source: calibration writers' digits, and USPS's kept-out rows."""
    from .errors import DatasetError

    parts = {"digits by generated calibration writers": calibration_writers_digits(pen_digits)}
    try:
        from .usps import load_usps_part

        parts["USPS training rows kept out of training"] = load_usps_part("calibration")
    except DatasetError:
        pass
    return parts


@lru_cache(maxsize=2)
def calibration_writers_digits(count: int = CALIBRATION_PEN_DIGITS) -> tuple[np.ndarray, np.ndarray]:
    """The calibration writers' digits in MNIST layout, read-only.

    Their seeds are fixed, so every training run would draw the same digits again, which takes seconds: a
    process draws them once, and a new one reads them from the disk cache (:mod:`mnist_core.diskcache`).
    """
    from .diskcache import cached_arrays
    from .handwriting import CALIBRATION_SEED, handwriting_mnist

    images, labels = cached_arrays("calibration-writers", f"{CALIBRATION_SEED} {count}",
                                   lambda: handwriting_mnist(count, first_seed=CALIBRATION_SEED))
    return images, labels


def calibration_set(pen_digits: int = CALIBRATION_PEN_DIGITS) -> tuple[np.ndarray, np.ndarray, str]:
    """All of :func:`calibration_parts` in one array, and a sentence saying what it is."""
    parts = calibration_parts(pen_digits)
    x = np.concatenate([x for x, _ in parts.values()])
    y = np.concatenate([y for _, y in parts.values()])
    described = " and ".join(f"{len(y)} {name}" for name, (_, y) in parts.items())
    return x, y, described


def calibrate(predictor) -> dict:
    """Fit the predictor's temperature on the calibration set; return what goes on the model card."""
    from .data import to_model_input

    x, y, described = calibration_set()
    raw = predictor.predict_batch(to_model_input(x), calibrated=False)
    labels = y.astype(np.int64)
    temperature = fit_temperature(raw, labels)
    return {
        "temperature": round(temperature, 4),
        "fitted_on": described,
        "calibration_ece_before": round(expected_calibration_error(raw, labels), 5),
        "calibration_ece_after": round(expected_calibration_error(apply_temperature(raw, temperature), labels), 5),
    }
