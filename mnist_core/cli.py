"""``python -m mnist_core``: train, evaluate, predict and list models from a terminal.

Exit codes: 0 success, 1 a Digit Lab error (message on stderr, no traceback)
or some predict inputs failed, 2 bad usage, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from typing import Sequence

from .errors import DigitLabError

PRESET_OPTIONS = {
    "epochs": int, "batch_size": int, "learning_rate": float, "optimizer": str, "dropout": float,
    "activation": str, "validation_split": float, "seed": int, "train_limit": int, "synthetic_fraction": float,
}


def _parser() -> argparse.ArgumentParser:
    from .presets import PRESETS

    parser = argparse.ArgumentParser(prog="python -m mnist_core", description="Digit Lab's engine: MNIST digits.")
    parser.add_argument("--models-dir", help="folder of trained models (default: $DIGITLAB_MODELS or ~/.digitlab/models)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train a preset and save it to the model registry")
    p.add_argument("--preset", default="cnn-quick", choices=sorted(PRESETS))
    p.add_argument("--name", help="model name (default: preset, epochs and time)")
    p.add_argument("--data", help="path to mnist.npz (default: $MNIST_NPZ, then known places)")
    _add_setting_options(p)
    p.add_argument("--output", help="save into this folder instead of the registry (used for the shipped model)")

    p = sub.add_parser("tune", help="search a preset's hyper-parameters with KerasTuner; save the best model")
    p.add_argument("--preset", default="mlp-128-64", choices=sorted(PRESETS))
    p.add_argument("--trials", type=int, default=10)
    p.add_argument("--max-minutes", type=float, help="time budget; the trial running at the end is stopped")
    p.add_argument("--algorithm", choices=("random", "hyperband", "bayesian"), default="random")
    p.add_argument("--knobs", help="comma-separated knobs to search (default: learning_rate,batch_size,units,dropout "
                                   "where the preset has them; also optimizer, activation)")
    p.add_argument("--name", help="name of the best model (default: preset, 'search' and time)")
    p.add_argument("--data", help="path to mnist.npz")
    _add_setting_options(p)

    p = sub.add_parser("evaluate", help="score a model on the MNIST test set")
    p.add_argument("model", nargs="?", default=None, help="model name (default: the shipped model)")
    p.add_argument("--data", help="path to mnist.npz")

    p = sub.add_parser("predict", help="classify image files; one JSON line per image")
    p.add_argument("images", nargs="+")
    p.add_argument("--model", default=None, help="model name (default: the shipped model)")

    p = sub.add_parser("export", help="write a model as .keras or TensorFlow Lite, checking TFLite against Keras")
    p.add_argument("model", help="model name")
    p.add_argument("--format", choices=("keras", "tflite"), default="tflite")
    p.add_argument("--int8", action="store_true", help="full-integer TFLite (calibrated on MNIST train)")
    p.add_argument("--out", required=True, help="file to write, e.g. digits.tflite")
    p.add_argument("--data", help="path to mnist.npz (for the parity check and int8 calibration)")

    sub.add_parser("models", help="list the models in the registry")
    p = sub.add_parser("rename", help="rename a trained model")
    p.add_argument("old")
    p.add_argument("new")
    p = sub.add_parser("delete", help="delete a trained model")
    p.add_argument("name")
    sub.add_parser("presets", help="list the networks that can be trained")
    return parser


def _add_setting_options(p: argparse.ArgumentParser) -> None:
    """Training settings that override a preset's defaults (train, and the base of a search)."""
    for option, kind in PRESET_OPTIONS.items():
        p.add_argument("--" + option.replace("_", "-"), type=kind)
    p.add_argument("--hidden-units", help="comma-separated sizes, e.g. 128,64")
    p.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--lr-schedule", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--overwrite", action="store_true", help="replace a model of the same name")


def _registry(args: argparse.Namespace, root: str | None = None):
    from .registry import Registry

    return Registry(root or args.models_dir)


def _settings(args: argparse.Namespace):
    from .presets import get_preset

    changes = {k: getattr(args, k) for k in PRESET_OPTIONS if getattr(args, k) is not None}
    if args.hidden_units is not None:
        changes["hidden_units"] = [u for u in args.hidden_units.split(",") if u.strip()]
    for flag in ("augment", "lr_schedule"):
        if getattr(args, flag) is not None:
            changes[flag] = getattr(args, flag)
    return get_preset(args.preset).defaults.with_changes(**changes)


class _TerminalBar:
    """A one-line progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self) -> None:
        self.epochs = 0
        self.started = time.perf_counter()

    def on_start(self, epochs: int, steps_per_epoch: int) -> None:
        self.epochs = epochs

    def on_batch(self, epoch: int, step: int, steps: int, logs: dict[str, float]) -> None:
        done = int(30 * step / max(steps, 1))
        bar = "#" * done + "-" * (30 - done)
        metrics = " ".join(f"{k}={v:.4f}" for k, v in logs.items())
        sys.stderr.write(f"\repoch {epoch + 1}/{self.epochs} [{bar}] {step}/{steps} {metrics}   ")
        sys.stderr.flush()

    def on_epoch(self, epoch: int, logs: dict[str, float]) -> None:
        metrics = " ".join(f"{k}={v:.4f}" for k, v in logs.items())
        elapsed = time.perf_counter() - self.started
        sys.stderr.write(f"\repoch {epoch + 1}/{self.epochs} done in {elapsed:.0f}s total: {metrics}\n")
        sys.stderr.flush()


def cmd_train(args: argparse.Namespace) -> int:
    from .data import load_mnist
    from .registry import suggest_name
    from .training import TrainingListener
    from .workflow import train_and_save

    settings = _settings(args)
    data = load_mnist(args.data)
    name = args.name or suggest_name(args.preset, settings.epochs)
    registry = _registry(args, args.output)
    if args.output:
        registry.shipped = None
    listener = _bar_listener(TrainingListener)
    stop = threading.Event()
    try:
        card = train_and_save(args.preset, settings, data, registry, name, listener, stop, overwrite=args.overwrite)
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted: nothing was saved\n")
        return 130
    print(f"saved {card.name!r} to {registry.root / card.name}")
    print(f"test accuracy {card.metrics['test_accuracy']:.4f}, train accuracy {card.metrics['train_accuracy']:.4f}, "
          f"{card.train_seconds:.0f}s of training")
    return 0


def _bar_listener(listener_class):
    """A listener of ``listener_class`` that draws the terminal bar for every training run."""
    bar = _TerminalBar()
    listener = listener_class()
    listener.on_start, listener.on_batch, listener.on_epoch = bar.on_start, bar.on_batch, bar.on_epoch
    return listener


def _knobs(args: argparse.Namespace):
    """The --knobs names as Knobs with their widest ranges (the defaults when not given)."""
    from .tuning import available_knobs, default_knobs

    if not args.knobs:
        return None
    names = [n.strip() for n in args.knobs.split(",") if n.strip()]
    wide, default = available_knobs(args.preset), default_knobs(args.preset)
    unknown = [n for n in names if n not in wide]
    if unknown:
        raise DigitLabError(f"{args.preset} has no knob {', '.join(unknown)}; it has {', '.join(wide)}.")
    return {n: default.get(n, wide[n]) for n in names}


def cmd_tune(args: argparse.Namespace) -> int:
    import signal

    from .data import load_mnist
    from .tuning import SearchListener, format_trials
    from .workflow import search_and_save

    settings = _settings(args)
    data = load_mnist(args.data)
    name = args.name or f"{args.preset} search {time.strftime('%Y-%m-%d %H%M%S')}"
    listener = _bar_listener(SearchListener)
    listener.on_trial_start = lambda number, total, values: sys.stderr.write(
        f"trial {number}/{total}: " + ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                                                for k, v in values.items()) + "\n")
    stop = threading.Event()

    def first_interrupt(signum, frame) -> None:  # Ctrl-C: stop and keep the best so far; again: quit
        sys.stderr.write("\nstopping: the best finished trial will be saved (Ctrl-C again to quit)\n")
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    in_main = threading.current_thread() is threading.main_thread()  # only there can signals be handled
    previous = signal.signal(signal.SIGINT, first_interrupt) if in_main else None
    try:
        card, found = search_and_save(args.preset, settings, data, _registry(args), name, listener, stop,
                                      overwrite=args.overwrite, trials=args.trials, max_minutes=args.max_minutes,
                                      algorithm=args.algorithm, knobs=_knobs(args))
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted: nothing was saved\n")
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    print(format_trials(found))
    best = found.trials[found.best_trial - 1]
    ended = " (stopped early)" if found.stopped else ""
    print(f"\n{len(found.trials)} trials in {found.seconds:.0f}s{ended}; best: trial {best.number}, "
          f"validation accuracy {best.val_accuracy:.2%}")
    print(f"saved {card.name!r}: test accuracy {card.test_accuracy:.2%}")
    return 0


def _load_named(args: argparse.Namespace, name: str | None):
    from .registry import DEFAULT_MODEL

    registry = _registry(args)
    return registry.load(name or DEFAULT_MODEL)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .data import load_mnist
    from .evaluation import evaluate, format_confusion, format_report
    from .predictor import Predictor

    model = _load_named(args, args.model)
    data = load_mnist(args.data)
    result, _ = evaluate(Predictor(model), data)
    print(f"test accuracy  {result.test_accuracy:.4f}   test loss  {result.test_loss:.4f}")
    print(f"train accuracy {result.train_accuracy:.4f}   train loss {result.train_loss:.4f}\n")
    print(format_report(result.report) + "\n")
    print(format_confusion(result.confusion))
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from .predictor import Predictor
    from .preprocessing import open_image

    predictor = Predictor(_load_named(args, args.model))
    failures = 0
    for path in args.images:
        try:
            data = Path(path).read_bytes()
            _, probs = predictor.classify(open_image(data))
        except (DigitLabError, OSError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            sys.stderr.write(f"{path}: {reason}\n")
            failures += 1
            continue
        digit = None if probs is None else int(probs.argmax())
        probabilities = [0.0] * 10 if probs is None else [round(float(p), 6) for p in probs]
        print(json.dumps({"path": path, "digit": digit, "probabilities": probabilities}), flush=True)
    return 1 if failures else 0


def cmd_export(args: argparse.Namespace) -> int:
    from .data import load_mnist
    from .export import check_writable, export_tflite, format_parity, write_file
    from .registry import MODEL_FILE

    if args.int8 and args.format != "tflite":
        raise DigitLabError("--int8 applies to --format tflite only.")
    registry = _registry(args)
    model_path = registry.folder(args.model) / MODEL_FILE
    check_writable(args.out)
    if args.format == "keras":
        target = write_file(args.out, model_path.read_bytes())
        print(f"wrote {target} ({target.stat().st_size / 1024:.1f} KB)")
        return 0
    model = registry.load(args.model)
    data = load_mnist(args.data)
    keras_probs = registry.arrays(args.model).get("test_probabilities")
    if registry.card(args.model).dataset != data.fingerprint:
        keras_probs = None  # the stored answers are for another dataset: recompute them
    exported = export_tflite(model, data, int8=args.int8, keras_probs=keras_probs,
                             keras_size=model_path.stat().st_size, progress=_progress_line)
    sys.stderr.write("\n")
    target = write_file(args.out, exported.content)
    print(format_parity([exported.report]))
    print(f"wrote {target} ({len(exported.content) / 1024:.1f} KB)")
    return 0


def _progress_line(fraction: float, message: str) -> None:
    sys.stderr.write(f"\r{message} ({fraction:.0%})   ")
    sys.stderr.flush()


def cmd_models(args: argparse.Namespace) -> int:
    cards, problems = _registry(args).scan()
    if not cards:
        print("no models yet: train one with `python -m mnist_core train`")
    for card in cards:
        acc = card.test_accuracy
        where = "shipped" if card.shipped else "trained"
        print(f"{card.name:<40} {card.preset:<20} {'' if acc is None else f'{acc:.2%}':>8}  {where}  {card.created}")
    for problem in problems:
        sys.stderr.write(f"skipped {problem.folder}: {problem.reason}\n")
    return 0


def cmd_rename(args: argparse.Namespace) -> int:
    _registry(args).rename(args.old, args.new)
    print(f"renamed {args.old!r} to {args.new.strip()!r}")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    _registry(args).delete(args.name)
    print(f"deleted {args.name!r}")
    return 0


def cmd_presets(args: argparse.Namespace) -> int:
    from .presets import PRESETS

    for preset in PRESETS.values():
        print(f"{preset.name:<22} {preset.title}: {preset.description}")
    return 0


COMMANDS = {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict, "export": cmd_export, "tune": cmd_tune,
            "models": cmd_models, "rename": cmd_rename, "delete": cmd_delete, "presets": cmd_presets}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except DigitLabError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted\n")
        return 130
    except BrokenPipeError:
        return 0
