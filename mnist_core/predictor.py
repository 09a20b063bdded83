"""Fast single-image prediction.

`model.predict` builds a data pipeline on every call (about 50 ms); a traced
tf.function over the model costs about a millisecond, which is what makes
classifying on every stroke feel instant.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from .calibration import apply_temperature
from .detector import Detector, Reading, judge, read
from .preprocessing import Preprocessed, preprocess
from .zooms import averaged, views


class Predictor:
    """Wraps a model: probabilities that sum to 1 for any preset, sigmoid or softmax."""

    def __init__(self, model: keras.Model, temperature: float = 1.0, detector: Detector | None = None,
                 zooms: bool = False) -> None:
        self.model = model
        self.detector = detector  # the not-a-digit gate; None: every drawing is read as a digit
        self.temperature = float(temperature)  # fitted after training (calibration.py); 1.0 = as trained
        self.zooms = zooms  # read each digit also zoomed out and in (zooms.py): for models trained with augmentation
        self._forward = tf.function(
            lambda x: model(x, training=False),
            input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32)],
        )
        self._sigmoid = getattr(model.layers[-1], "activation", None) is keras.activations.sigmoid

    @classmethod
    def for_card(cls, model: keras.Model, card, detector: Detector | None = None) -> "Predictor":
        """A predictor as the card says: its temperature, zoomed readings if trained with augmentation, the gate."""
        return cls(model, temperature=card.temperature, detector=detector,
                   zooms=bool(card.settings.get("augment", False)))

    def probabilities(self, inputs: np.ndarray, calibrated: bool = True) -> np.ndarray:
        """(N, 28, 28[, 1]) floats in [0, 1] -> (N, 10) probabilities (temperature-scaled unless told not to)."""
        batch = np.asarray(inputs, dtype=np.float32).reshape(-1, 28, 28, 1)
        out = self._forward(tf.constant(batch)).numpy().astype(np.float64)
        if self._sigmoid:  # a one-vs-rest sigmoid layer: renormalise so the bars sum to 1
            return out / np.maximum(out.sum(axis=1, keepdims=True), 1e-12)
        if calibrated and self.temperature != 1.0:
            out = apply_temperature(out, self.temperature)
        return out

    def reading(self, inputs: np.ndarray, calibrated: bool = True) -> np.ndarray:
        """What a reading answers: :meth:`probabilities`, averaged over each input's zooms when this model zooms."""
        batch = np.asarray(inputs, dtype=np.float32).reshape(-1, 28, 28, 1)
        if not self.zooms:
            return self.probabilities(batch, calibrated)
        return averaged(self.probabilities(views(batch), calibrated), len(batch))

    def predict_batch(self, inputs: np.ndarray, batch_size: int = 1000, calibrated: bool = True,
                      reading: bool = False) -> np.ndarray:
        """Probabilities for many images in chunks (bounded memory): the network's, or as a `reading` answers."""
        answer = self.reading if reading else self.probabilities
        parts = [answer(inputs[i:i + batch_size], calibrated) for i in range(0, len(inputs), batch_size)]
        return np.concatenate(parts) if parts else np.zeros((0, 10))

    def classify(self, image) -> tuple[Preprocessed, np.ndarray | None]:
        """Canvas or uploaded image -> (preprocessing steps, probabilities or None if no digit)."""
        steps = preprocess(image)
        if steps.is_empty:
            return steps, None
        return steps, self.reading(steps.model_input)[0]

    def read_steps(self, steps: Preprocessed) -> Reading:
        """A preprocessed drawing -> the answer: a digit, "empty" or "not a digit" (with the best guess)."""
        probs = None if steps.is_empty else self.reading(steps.model_input)[0]
        return read(steps, probs, self.detector)

    def read(self, image) -> Reading:
        """Canvas or uploaded image -> the answer, as :meth:`read_steps`."""
        return self.read_steps(preprocess(image))

    def read_input(self, image28: np.ndarray) -> Reading:
        """An input already in MNIST layout (a test image) -> the answer, as :meth:`read_steps`."""
        inputs = np.asarray(image28, dtype=np.float32).reshape(1, 28, 28, 1)
        return judge(inputs, self.reading(inputs)[0], self.detector)
