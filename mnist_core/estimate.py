"""How long a training run will take, roughly, before pressing Start.

A simple calibrated model: per epoch, a cost per batch (Keras's loop and the
progress callback) plus a cost per training image (the network's work),
then scoring the finished model on all 70,000 images, plus a fixed start-up
and save cost. The constants were measured with ``mnist_core.training.train``
on this project's 2-core CPU machine (2 epochs on 1,000 and 3,000 images, the
difference giving the per-image cost) while another training used one core,
so they are on the cautious side. Nothing here imports TensorFlow.

The quick CNN's constant was 2.7x too cautious: it put the default run at
about 2 minutes while ``benchmarks/quick_cnn.py`` trains it in 39-40 s and the
whole run (start, train, score 70,000 images, save) takes about a minute when
the one training slot has the machine to itself. Preset descriptions name no
times: the Train page shows this estimate beside each one, so the two agree.
Other jobs on the machine slow every run (README).
"""

from __future__ import annotations

from mnist_core.presets import get_preset
from mnist_core.settings import EXTRA_IMAGES, TrainSettings

TRAIN_IMAGES = 60_000
SCORED_IMAGES = 70_000  # evaluation scores the test and the training split once
STARTUP_SECONDS = 4.0  # build, compile, first trace, save
STEP_SECONDS = {"dense": 2.5e-3, "conv": 4e-3}
AUGMENT_FACTOR = 1.3  # the tf.data warping pipeline
# seconds per training image per epoch, measured at each preset's default width
SAMPLE_SECONDS = {
    "logistic": 3e-6,
    "mlp-128-128-dropout": 1e-5,
    "dnn-3x128": 1.2e-5,
    "mlp-128-64": 8e-6,
    "cnn-quick": 1.5e-4,  # re-measured: 4 epochs in 40 s when the slot has the machine (README)
    "cnn-accurate": 1.5e-3,
    "cnn-handwriting": 1.5e-3,
}
# seconds per image to predict (evaluation after training, validation each epoch)
PREDICT_SECONDS = {
    "logistic": 2e-6,
    "mlp-128-128-dropout": 4.5e-6,
    "dnn-3x128": 4.5e-6,
    "mlp-128-64": 4.5e-6,
    "cnn-quick": 1.1e-4,
    "cnn-accurate": 6e-4,
    "cnn-handwriting": 6e-4,
}
GENERATE_SECONDS = 6e-3  # drawing and preprocessing one generated writer's digit
USPS_TRAIN_ROWS = 6291
DEFAULT_SAMPLE = {"dense": 1e-5, "conv": 1e-3}
DEFAULT_PREDICT = {"dense": 5e-6, "conv": 4e-4}


def _width_factor(preset_name: str, settings: TrainSettings) -> float:
    """Wider or deeper hidden layers cost more; the constants are for the preset's own layers."""
    default = get_preset(preset_name).defaults.hidden_units
    if not default or not settings.hidden_units:
        return 1.0
    base = 784 * default[0] + sum(a * b for a, b in zip(default, default[1:]))
    mine = 784 * settings.hidden_units[0] + sum(a * b for a, b in zip(settings.hidden_units, settings.hidden_units[1:]))
    kind = get_preset(preset_name).kind
    ratio = mine / max(base, 1)
    # in a CNN the dense head is a small part of the work
    return ratio if kind == "dense" else 0.85 + 0.15 * ratio


def estimate_seconds(preset_name: str, settings: TrainSettings, available: int = TRAIN_IMAGES) -> float:
    """Rough wall-clock seconds for train + evaluate + save."""
    preset = get_preset(preset_name)
    kind = preset.kind
    images = min(settings.train_limit or available, available)
    generated = int(images * sum(getattr(settings, name) for name in EXTRA_IMAGES))
    images = images + generated + (USPS_TRAIN_ROWS * settings.usps_copies if settings.usps_train else 0)
    val = int(images * settings.validation_split)
    fit = images - val
    steps = -(-fit // settings.batch_size)
    per_image = SAMPLE_SECONDS.get(preset_name, DEFAULT_SAMPLE[kind]) * _width_factor(preset_name, settings)
    if settings.augment:
        per_image *= AUGMENT_FACTOR
    predict = PREDICT_SECONDS.get(preset_name, DEFAULT_PREDICT[kind])
    epoch = steps * STEP_SECONDS[kind] + fit * per_image + val * predict
    return STARTUP_SECONDS + generated * GENERATE_SECONDS + settings.epochs * epoch + SCORED_IMAGES * predict
