"""Looking inside a network: the pictures a teacher would draw on the board.

All computed live from the real model and the visitor's own drawing:
integrated-gradients saliency ("which pixels made it say 7?"), first-layer
weights as images, every layer's activations, and the ten output scores
before and after softmax.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

IG_STEPS = 24


@dataclass(frozen=True)
class LayerActivation:
    name: str
    kind: str  # Keras class name
    values: np.ndarray  # activations for one input, batch axis removed

    @property
    def is_spatial(self) -> bool:
        return self.values.ndim == 3  # (height, width, channels): feature maps


class Inspector:
    """Built once per model; every method then costs a few milliseconds."""

    def __init__(self, model: keras.Model) -> None:
        self.model = model
        self.output_layer = model.layers[-1]
        self._features = keras.Model(model.inputs[0], self.output_layer.input)
        self._all = keras.Model(model.inputs[0], [layer.output for layer in model.layers])

    # ---- scores ---------------------------------------------------------
    def _scores(self, inputs) -> tf.Tensor:
        """The output layer's pre-activation: its kernel and bias applied to the features it receives."""
        features = self._features(inputs, training=False)
        return tf.matmul(features, self.output_layer.kernel) + self.output_layer.bias

    def logits(self, inputs: np.ndarray) -> np.ndarray:
        """Output scores before the final activation, shape (N, 10)."""
        return self._scores(_batch(inputs)).numpy()

    # ---- why this answer --------------------------------------------------
    def saliency(self, image: np.ndarray, digit: int) -> np.ndarray:
        """Integrated gradients of `digit`'s score w.r.t. each input pixel, shape (28, 28).

        Positive: this ink pushed towards `digit`; negative: against it. A blank
        input gets exactly zero, because every path step multiplies by the input.
        """
        x = tf.constant(_batch(image)[:1])
        alphas = tf.reshape(tf.linspace(1.0 / IG_STEPS, 1.0, IG_STEPS), [-1, 1, 1, 1])
        path = alphas * x
        with tf.GradientTape() as tape:
            tape.watch(path)
            target = tf.reduce_sum(self._scores(path)[:, digit])
        grads = tape.gradient(target, path)
        return (tf.reduce_mean(grads, axis=0) * x[0]).numpy()[..., 0]

    # ---- weights and activations -------------------------------------------
    def first_layer_weights(self) -> tuple[str, np.ndarray]:
        """('dense', (units, 28, 28)) or ('conv', (filters, k, k)), or ('none', empty)."""
        for layer in self.model.layers:
            if isinstance(layer, keras.layers.Dense):
                kernel = np.asarray(layer.kernel)
                if kernel.shape[0] == 784:
                    return "dense", kernel.T.reshape(-1, 28, 28)
                break
            if isinstance(layer, keras.layers.Conv2D):
                kernel = np.asarray(layer.kernel)  # (k, k, in, filters)
                return "conv", np.transpose(kernel.mean(axis=2), (2, 0, 1))
        return "none", np.zeros((0, 28, 28))

    def activations(self, image: np.ndarray) -> list[LayerActivation]:
        """Every layer's output for one input."""
        outputs = self._all(_batch(image)[:1], training=False)
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        return [LayerActivation(layer.name, type(layer).__name__, np.asarray(out)[0])
                for layer, out in zip(self.model.layers, outputs)]


def _batch(inputs: np.ndarray) -> np.ndarray:
    return np.asarray(inputs, dtype=np.float32).reshape(-1, 28, 28, 1)


def tile(images: np.ndarray, columns: int, pad: int = 1, symmetric: bool = True) -> np.ndarray:
    """Lay (N, h, w) maps out in a grid, each scaled to [0, 1] (0.5 = zero when symmetric)."""
    count, height, width = images.shape
    rows = max(1, int(np.ceil(count / columns)))
    grid = np.full((rows * (height + pad) - pad, columns * (width + pad) - pad), 0.5 if symmetric else 0.0)
    for i, image in enumerate(images):
        if symmetric:
            scale = max(float(np.abs(image).max()), 1e-8)
            norm = 0.5 + 0.5 * image / scale
        else:
            low, high = float(image.min()), float(image.max())
            norm = (image - low) / (high - low) if high > low else np.zeros_like(image)
        r, c = divmod(i, columns)
        grid[r * (height + pad): r * (height + pad) + height, c * (width + pad): c * (width + pad) + width] = norm
    return grid
