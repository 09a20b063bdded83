"""TensorBoard logs for every training run, kept beside the model they describe.

A run writes its logs (scalars every epoch, weight histograms) with Keras's
own TensorBoard callback into a fresh temporary folder; saving the model
moves that folder into the model's folder, inside the same atomic rename as
the model itself. A run that is never saved leaves nothing behind: the folder
is removed when its result is garbage-collected (or the process exits).
"""

from __future__ import annotations

import shlex
import shutil
import tempfile
import weakref
from pathlib import Path

LOGS_FOLDER = "tensorboard"  # inside a model's folder
TEMP_PREFIX = "digitlab-tensorboard-"


def new_log_dir() -> Path:
    folder = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX))
    folder.chmod(0o755)  # it becomes part of a model folder, readable like the rest
    return folder


def callback(log_dir: Path):
    """Keras's callback: epoch scalars and weight histograms; no graph, no profiler (they cost time and space)."""
    return _callback_class()(log_dir=str(log_dir), histogram_freq=1, write_graph=False, update_freq="epoch",
                             profile_batch=0)


HISTOGRAM_BUCKETS = 30  # TensorBoard's own default


def histogram_buckets(values, count: int = HISTOGRAM_BUCKETS):
    """(count, 3) float64 rows of (left edge, right edge, how many): TensorBoard's histogram layout."""
    import numpy as np

    flat = np.asarray(values, dtype=np.float64).ravel()
    counts, edges = np.histogram(flat, bins=count)
    return np.stack([edges[:-1], edges[1:], counts.astype(np.float64)], axis=1)


def _callback_class():
    import keras
    import tensorflow as tf
    from tensorboard.plugins.histogram import metadata

    class TensorBoard(keras.callbacks.TensorBoard):
        """Keras's TensorBoard callback, with the weight histograms counted by NumPy.

        Keras builds each histogram from a dozen TensorFlow ops; on a short run that cost more than the
        training it logged (0.9 s per 2-epoch MLP run, traced or not). NumPy counts the same 30 buckets
        in about a millisecond and one op writes them: same tags, same steps, same plugin data.
        """

        def _log_weights(self, epoch: int) -> None:
            with self._train_writer.as_default():
                for layer in self.model.layers:
                    for weight in layer.weights:
                        name = f"{weight.path.replace(':', '_')}/histogram"
                        tf.summary.write(name, histogram_buckets(keras.ops.convert_to_numpy(weight.value)),
                                         step=epoch, metadata=metadata.create_summary_metadata(name, ""))
            self._train_writer.flush()

    return TensorBoard


def remove_when_dropped(owner: object, log_dir: Path) -> None:
    """Delete ``log_dir`` when ``owner`` goes away, unless it was moved into a model folder first."""
    weakref.finalize(owner, shutil.rmtree, str(log_dir), True)


def command(model_folder: Path) -> str:
    """The exact shell command that shows a model's training logs."""
    return f"tensorboard --logdir {shlex.quote(str(Path(model_folder) / LOGS_FOLDER))}"


def has_logs(model_folder: Path) -> bool:
    folder = Path(model_folder) / LOGS_FOLDER
    return folder.is_dir() and any(folder.rglob("*.tfevents.*"))
