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
    return Path(tempfile.mkdtemp(prefix=TEMP_PREFIX))


def callback(log_dir: Path):
    """Keras's callback: epoch scalars and weight histograms; no graph, no profiler (they cost time and space)."""
    import keras

    return keras.callbacks.TensorBoard(log_dir=str(log_dir), histogram_freq=1, write_graph=False,
                                       update_freq="epoch", profile_batch=0)


def remove_when_dropped(owner: object, log_dir: Path) -> None:
    """Delete ``log_dir`` when ``owner`` goes away, unless it was moved into a model folder first."""
    weakref.finalize(owner, shutil.rmtree, str(log_dir), True)


def command(model_folder: Path) -> str:
    """The exact shell command that shows a model's training logs."""
    return f"tensorboard --logdir {shlex.quote(str(Path(model_folder) / LOGS_FOLDER))}"


def has_logs(model_folder: Path) -> bool:
    folder = Path(model_folder) / LOGS_FOLDER
    return folder.is_dir() and any(folder.rglob("*.tfevents.*"))
