"""Digit Lab's engine: MNIST data, drawing preprocessing, presets, training, evaluation and the model registry.

Nothing here imports Streamlit: the app's pages are thin views over this package,
and everything can be used from a terminal via ``python -m mnist_core``.
"""

import os as _os

# Before anything imports TensorFlow: pick the backend and silence its C++ info logs.
_os.environ.setdefault("KERAS_BACKEND", "tensorflow")
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "1.0.0"
