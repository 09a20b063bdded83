"""Fast single-image prediction.

`model.predict` builds a data pipeline on every call (about 50 ms); a traced
tf.function over the model costs about a millisecond, which is what makes
classifying on every stroke feel instant.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from .preprocessing import Preprocessed, preprocess


class Predictor:
    """Wraps a model: probabilities that sum to 1 for any preset, sigmoid or softmax."""

    def __init__(self, model: keras.Model) -> None:
        self.model = model
        self._forward = tf.function(
            lambda x: model(x, training=False),
            input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32)],
        )
        self._sigmoid = getattr(model.layers[-1], "activation", None) is keras.activations.sigmoid

    def probabilities(self, inputs: np.ndarray) -> np.ndarray:
        """(N, 28, 28[, 1]) floats in [0, 1] -> (N, 10) probabilities."""
        batch = np.asarray(inputs, dtype=np.float32).reshape(-1, 28, 28, 1)
        out = self._forward(tf.constant(batch)).numpy().astype(np.float64)
        if self._sigmoid:  # a one-vs-rest sigmoid layer: renormalise so the bars sum to 1
            out = out / np.maximum(out.sum(axis=1, keepdims=True), 1e-12)
        return out

    def predict_batch(self, inputs: np.ndarray, batch_size: int = 1000) -> np.ndarray:
        """Probabilities for many images, in chunks to bound memory."""
        parts = [self.probabilities(inputs[i:i + batch_size]) for i in range(0, len(inputs), batch_size)]
        return np.concatenate(parts) if parts else np.zeros((0, 10))

    def classify(self, image) -> tuple[Preprocessed, np.ndarray | None]:
        """Canvas or uploaded image -> (preprocessing steps, probabilities or None if no digit)."""
        steps = preprocess(image)
        if steps.is_empty:
            return steps, None
        return steps, self.probabilities(steps.model_input)[0]
