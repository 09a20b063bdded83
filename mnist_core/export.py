"""Models for other places: the ``.keras`` file and TensorFlow Lite (float and int8).

A converted model is only worth shipping if it answers like the original, so
every TFLite export runs a parity check on the MNIST test set: how often the
TFLite answer equals Keras's, both accuracies, the file size and the
per-image latency through the LiteRT interpreter (the runtime phones use).

LiteRT: ``ai-edge-litert`` installs and runs beside tensorflow-cpu 2.21 here;
where it is missing, TensorFlow's own ``tf.lite.Interpreter`` (the same
runtime, deprecated in favour of LiteRT) is used and the report says which.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .data import MnistData, to_model_input
from .errors import ModelError

FORMATS = ("keras", "tflite")
REPRESENTATIVE_IMAGES = 500  # drawn from MNIST train to calibrate int8 ranges
# (minimum agreement with Keras, maximum accuracy difference in points) per TFLite variant
GOALS = {"float": (0.999, 0.1), "int8": (0.995, 0.3)}

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class ParityReport:
    """How a TFLite model compares with the Keras model it came from, on the same test images."""

    variant: str  # "float" or "int8"
    images: int
    agreement: float  # share of images where both give the same digit
    keras_accuracy: float
    tflite_accuracy: float
    size_bytes: int
    keras_size_bytes: int
    latency_ms: float  # median per image, batch of one, through `runtime`
    runtime: str

    @property
    def accuracy_gap_points(self) -> float:
        return abs(self.tflite_accuracy - self.keras_accuracy) * 100

    @property
    def meets_goal(self) -> bool:
        agreement, gap = GOALS[self.variant]
        return self.agreement >= agreement and self.accuracy_gap_points <= gap

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class TfliteExport:
    content: bytes
    report: ParityReport


def _quiet(_: float, __: str) -> None:
    """A progress callback that ignores everything."""


def interpreter_class() -> tuple[type, str]:
    """LiteRT's interpreter when installed, else TensorFlow's bundled one."""
    try:
        from ai_edge_litert.interpreter import Interpreter

        return Interpreter, "LiteRT"
    except ImportError:
        import tensorflow as tf

        return tf.lite.Interpreter, "tf.lite"


def convert(model, int8: bool = False, representative: np.ndarray | None = None) -> bytes:
    """Keras model -> TFLite flatbuffer; int8 means full-integer (inputs and outputs too)."""
    import tensorflow as tf

    with tempfile.TemporaryDirectory(prefix="digitlab-export-") as folder:
        # Through a SavedModel (Keras's own export, quietly): the variables come out as constants,
        # which int8 calibration needs.
        model.export(folder, format="tf_saved_model", verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(folder)
        return _run_converter(converter, int8, representative)


def _run_converter(converter, int8: bool, representative: np.ndarray | None) -> bytes:
    import tensorflow as tf

    if int8:
        if representative is None or not len(representative):
            raise ModelError("An int8 export needs representative images to calibrate on.")
        samples = to_model_input(representative)

        def calibration():
            for index in range(len(samples)):
                yield [samples[index: index + 1]]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = calibration
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    try:
        return bytes(converter.convert())
    except Exception as exc:  # the converter raises many types, all with long messages
        raise ModelError(f"The model could not be converted to TensorFlow Lite ({type(exc).__name__}).") from exc


class TfliteRunner:
    """One image at a time through the interpreter, quantising in and out when the model is int8."""

    def __init__(self, content: bytes) -> None:
        interpreter, self.runtime = interpreter_class()
        self.interpreter = interpreter(model_content=content, num_threads=1)
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]

    def _to_input(self, image: np.ndarray) -> np.ndarray:
        dtype = self.input["dtype"]
        if dtype == np.float32:
            return image
        scale, zero = self.input["quantization"]
        info = np.iinfo(dtype)
        return np.clip(np.round(image / scale + zero), info.min, info.max).astype(dtype)

    def _from_output(self, raw: np.ndarray) -> np.ndarray:
        if self.output["dtype"] == np.float32:
            return raw.astype(np.float32)
        scale, zero = self.output["quantization"]
        return ((raw.astype(np.float32) - zero) * scale).astype(np.float32)

    def probabilities(self, image: np.ndarray) -> np.ndarray:
        """(28, 28, 1) float image in [0, 1] -> ten scores."""
        self.interpreter.set_tensor(self.input["index"], self._to_input(image[np.newaxis]))
        self.interpreter.invoke()
        return self._from_output(self.interpreter.get_tensor(self.output["index"]))[0]


def parity(content: bytes, variant: str, data: MnistData, keras_probs: np.ndarray, keras_size: int,
           progress: Progress = _quiet) -> ParityReport:
    """Run every test image through TFLite and compare with Keras's answers (progress from 10% to 100%)."""
    runner = TfliteRunner(content)
    images = to_model_input(data.x_test)
    count = len(images)
    answers = np.empty(count, dtype=np.int64)
    times = np.empty(count, dtype=np.float64)
    every = max(count // 50, 1)
    for index in range(count):
        started = time.perf_counter()
        scores = runner.probabilities(images[index])
        times[index] = time.perf_counter() - started
        answers[index] = int(np.argmax(scores))
        if index % every == 0:
            progress(0.1 + 0.9 * index / count, f"Checking {variant} TFLite on test image {index + 1:,} of {count:,}")
    keras_answers = np.asarray(keras_probs).argmax(axis=1)[:count]
    labels = data.y_test[:count]
    return ParityReport(
        variant=variant, images=count, agreement=float(np.mean(answers == keras_answers)),
        keras_accuracy=float(np.mean(keras_answers == labels)), tflite_accuracy=float(np.mean(answers == labels)),
        size_bytes=len(content), keras_size_bytes=keras_size, latency_ms=float(np.median(times) * 1000),
        runtime=runner.runtime,
    )


def representative_images(data: MnistData, count: int = REPRESENTATIVE_IMAGES, seed: int = 0) -> np.ndarray:
    """A fixed random sample of MNIST train (never test) to calibrate int8 ranges."""
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(data.x_train), size=min(count, len(data.x_train)), replace=False)
    return data.x_train[np.sort(picks)]


def keras_probabilities(model, data: MnistData) -> np.ndarray:
    from .predictor import Predictor

    return Predictor(model).probabilities(to_model_input(data.x_test))


def export_tflite(model, data: MnistData, int8: bool = False, keras_probs: np.ndarray | None = None,
                  keras_size: int = 0, progress: Progress = _quiet) -> TfliteExport:
    """Convert and check parity; ``keras_probs`` (test-set probabilities) saves a Keras pass when known."""
    variant = "int8" if int8 else "float"
    progress(0.0, f"Converting to {variant} TensorFlow Lite (takes a while)")
    content = convert(model, int8=int8, representative=representative_images(data) if int8 else None)
    if keras_probs is None or len(keras_probs) != len(data.y_test):
        progress(0.05, "Running Keras on the test images")
        keras_probs = keras_probabilities(model, data)
    report = parity(content, variant, data, keras_probs, keras_size, progress)
    progress(1.0, "Done")
    return TfliteExport(content, report)


def check_writable(path: str | os.PathLike) -> Path:
    """Refuse an output path that cannot work before any slow conversion starts."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise ModelError(f"{target} is a folder; give a file name such as {target / 'model.tflite'}.")
    if not target.parent.is_dir():
        raise ModelError(f"Cannot write {target}: the folder {target.parent} does not exist.")
    if not os.access(target.parent, os.W_OK):
        raise ModelError(f"Cannot write {target}: the folder {target.parent} is not writable.")
    return target


def write_file(path: str | os.PathLike, content: bytes) -> Path:
    """Write atomically (temp file beside it, then rename); an unwritable place is one sentence."""
    target = check_writable(path)
    try:
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".part")
    except OSError as exc:
        raise ModelError(f"Cannot write {target}: {exc.strerror or exc}.") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise ModelError(f"Cannot write {target}: {exc.strerror or exc}.") from exc
    return target


def format_parity(reports: list[ParityReport]) -> str:
    """The parity table for a terminal."""
    lines = [f"{'variant':<8} {'images':>7} {'agree':>8} {'Keras acc':>10} {'TFLite acc':>11} {'diff':>7} "
             f"{'size':>10} {'latency':>12}  goal"]
    for r in reports:
        agreement, gap = GOALS[r.variant]
        verdict = "met" if r.meets_goal else f"NOT met (>= {agreement:.1%} agree, <= {gap} points)"
        lines.append(
            f"{r.variant:<8} {r.images:>7,} {r.agreement:>8.2%} {r.keras_accuracy:>10.2%} {r.tflite_accuracy:>11.2%} "
            f"{r.accuracy_gap_points:>6.2f}p {r.size_bytes / 1024:>8.1f}KB {r.latency_ms:>9.3f} ms  {verdict}"
        )
    if reports:
        lines.append(f"(Keras file {reports[0].keras_size_bytes / 1024:.1f} KB; latency: median per image, "
                     f"one thread, {reports[0].runtime} interpreter)")
    return "\n".join(lines)
