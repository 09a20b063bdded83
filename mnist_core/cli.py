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
from dataclasses import fields
from pathlib import Path
from typing import Sequence

from .errors import DigitLabError
from .settings import BOUNDS, CHOICES, SWITCHES, WHOLE_NUMBERS, TrainSettings


def _preset_options() -> dict[str, type]:
    """Each number or choice setting as a ``--flag`` and its type, in the order the settings declare them."""
    return {f.name: (int if f.name in WHOLE_NUMBERS else float) if f.name in BOUNDS else str
            for f in fields(TrainSettings) if f.name in BOUNDS or f.name in CHOICES}


PRESET_OPTIONS = _preset_options()


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
    p.add_argument("--from", dest="start_from", help="continue from this model (name, folder or .keras file)")
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

    p = sub.add_parser("train-detector", help="train the not-a-digit detector that gates every model")
    p.add_argument("--output", required=True, help="folder to write detector.keras and detector.json into")
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data", help="path to mnist.npz")
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
    p = sub.add_parser("worker", help="run the training worker (the app starts one by itself on one machine)")
    p.add_argument("--background", action="store_true", help="detach from the terminal; log to a temporary file")
    p.add_argument("--if-free", action="store_true", help="exit quietly if a worker already runs for this queue")
    p.add_argument("--idle-exit", type=float, default=0.0, metavar="SECONDS",
                   help="exit after this long without a run (the app's own workers: 30 minutes; default: never)")
    _drawings_parser(sub)
    p = sub.add_parser("finetune", help="teach a model the class's handwriting (all stored drawings + MNIST replay)")
    p.add_argument("--from", dest="base", default=None, help="model to start from (default: the shipped model)")
    p.add_argument("--name", required=True, help="name of the new model")
    p.add_argument("--epochs", type=int, help="passes over the mix (default 4)")
    p.add_argument("--data", help="path to mnist.npz")
    p.add_argument("--db", help="SQLAlchemy URL of the drawings' database (default: $DIGITLAB_DB)")
    p = sub.add_parser("average", help="average two or more runs of one network weight by weight into a new model")
    p.add_argument("sources", nargs="+", metavar="MODEL", help="model names or folders (runs from the same start)")
    p.add_argument("--name", required=True, help="name of the averaged model")
    p.add_argument("--output", help="save into this folder instead of the registry (used for the shipped model)")
    p.add_argument("--overwrite", action="store_true", help="replace a model of the same name")
    p.add_argument("--data", help="path to mnist.npz")
    return parser


def _drawings_parser(sub) -> None:
    """``drawings add|list|stats|export|import|delete``: the class's drawings in $DIGITLAB_DB."""
    top = sub.add_parser("drawings", help="the class's labelled drawings (database: $DIGITLAB_DB)")
    top.add_argument("--db", help="SQLAlchemy URL of the database (default: $DIGITLAB_DB, then ~/.digitlab/digitlab.db)")
    actions = top.add_subparsers(dest="action", required=True)
    p = actions.add_parser("add", help="add image files of one digit, preprocessed as on the Draw page")
    p.add_argument("--digit", required=True, type=int, choices=range(10), metavar="D", help="what the images show")
    p.add_argument("--model", help="also store this model's answer (default: no answer)")
    p.add_argument("images", nargs="+")

    def filters(p: argparse.ArgumentParser) -> None:
        p.add_argument("--digit", type=int, choices=range(10), metavar="D", help="only drawings of this digit")
        p.add_argument("--wrong", action="store_true", help="only the ones the network got wrong")
        p.add_argument("--model", help="only drawings answered by this model")

    p = actions.add_parser("list", help="list stored drawings, newest first")
    filters(p)
    p.add_argument("--limit", type=int, default=50, help="at most this many (default 50; 0: all)")
    actions.add_parser("stats", help="how many drawings, per digit, per model")
    p = actions.add_parser("export", help="write the drawings as npz (MNIST's layout) or CSV")
    p.add_argument("--out", required=True, help="file ending in .npz or .csv")
    p.add_argument("--format", choices=["npz", "csv"], help="overrides the extension")
    filters(p)
    p = actions.add_parser("import", help="add drawings from an npz (x, y or MNIST's layout) or CSV file")
    p.add_argument("files", nargs="+")
    p = actions.add_parser("delete", help="remove drawings by id")
    p.add_argument("ids", nargs="+", type=int)


def _add_setting_options(p: argparse.ArgumentParser) -> None:
    """Training settings that override a preset's defaults (train, and the base of a search)."""
    for option, kind in PRESET_OPTIONS.items():
        p.add_argument("--" + option.replace("_", "-"), type=kind)
    p.add_argument("--hidden-units", help="comma-separated sizes, e.g. 128,64")
    for switch in SWITCHES:
        p.add_argument("--" + switch.replace("_", "-"), action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--overwrite", action="store_true", help="replace a model of the same name")


def _registry(args: argparse.Namespace, root: str | None = None):
    from .registry import Registry

    return Registry(root or args.models_dir)


def _output_registry(args: argparse.Namespace):
    """Where a new model goes: ``--output`` (a bare folder, used for the shipped model) or the registry."""
    registry = _registry(args, args.output)
    if args.output:
        registry.shipped = None
        registry.check_writable()  # before the data is loaded and a model trained for nothing
    return registry


def _settings(args: argparse.Namespace):
    """The flags as settings, checked against the preset's own knob bounds (the Train page's)."""
    from .presets import get_preset

    changes = {k: getattr(args, k) for k in PRESET_OPTIONS if getattr(args, k) is not None}
    if args.hidden_units is not None:
        changes["hidden_units"] = [u for u in args.hidden_units.split(",") if u.strip()]
    if getattr(args, "start_from", None) is not None:  # train only: a search starts each trial afresh
        changes["start_from"] = args.start_from
    for flag in SWITCHES:
        if getattr(args, flag) is not None:
            changes[flag] = getattr(args, flag)
    return get_preset(args.preset).settings(changes)


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
    from .registry import check_name, suggest_name, taken_note
    from .training import TrainingListener
    from .workflow import train_and_save

    settings = _settings(args)
    name = check_name(args.name or suggest_name(args.preset, settings.epochs))
    registry = _output_registry(args)
    if not args.overwrite:
        registry.check_free(name)  # before training: a taken name should not cost a run
    data = load_mnist(args.data)
    listener = _bar_listener(TrainingListener)
    stop = threading.Event()
    try:
        card = train_and_save(args.preset, settings, data, registry, name, listener, stop,
                              overwrite=args.overwrite, rename_if_taken=not args.overwrite)
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted: nothing was saved\n")
        return 130
    if card.name != name:  # another save took the name while this one trained
        print(taken_note(name, card.name))
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


def _load_predictor(args: argparse.Namespace, name: str | None, detector=None):
    """The model with its card's temperature (and the not-a-digit gate, if given)."""
    from .predictor import Predictor
    from .registry import DEFAULT_MODEL

    registry = _registry(args)
    name = name or DEFAULT_MODEL
    return Predictor.for_card(registry.load(name), registry.card(name), detector)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .data import load_mnist
    from .evaluation import evaluate, format_confusion, format_report

    predictor = _load_predictor(args, args.model)
    data = load_mnist(args.data)
    result, _ = evaluate(predictor, data)
    print(f"test accuracy  {result.test_accuracy:.4f}   test loss  {result.test_loss:.4f}")
    print(f"train accuracy {result.train_accuracy:.4f}   train loss {result.train_loss:.4f}\n")
    print(format_report(result.report) + "\n")
    print(format_confusion(result.confusion))
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from .detector import load_detector
    from .preprocessing import open_image

    predictor = _load_predictor(args, args.model, load_detector())
    failures = 0
    for path in args.images:
        try:
            data = Path(path).read_bytes()
            reading = predictor.read(open_image(data))
        except (DigitLabError, OSError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            sys.stderr.write(f"{path}: {reason}\n")
            failures += 1
            continue
        print(json.dumps(prediction_line(path, reading)), flush=True)
    return 1 if failures else 0


def prediction_line(path: str, reading) -> dict:
    """One image's JSON line: "reason" (and the detector's score) appear only when no digit is named."""
    probs = reading.probabilities
    line = {"path": path, "digit": reading.digit,
            "probabilities": [0.0] * 10 if probs is None else [round(float(p), 6) for p in probs]}
    if reading.digit is None:
        line["reason"] = reading.reason
        if reading.digit_score is not None:
            line["digit_score"] = round(reading.digit_score, 4)
    return line


def cmd_train_detector(args: argparse.Namespace) -> int:
    from .data import load_mnist
    from .detector import train_detector
    from .registry import check_folder_writable
    from .usps import ENV_VAR, find_usps

    if not 1 <= args.epochs <= 50:
        raise DigitLabError(f"epochs must be between 1 and 50, got {args.epochs}.")
    check_folder_writable(Path(args.output), "Cannot save the detector in")  # before twenty minutes of training
    data = load_mnist(args.data)
    if find_usps() is None:  # said, because the detector it makes is then not the shipped one's recipe
        print(f"note: USPS is not available (set {ENV_VAR}=/path/to/usps.npz), so the detector trains without its "
              "training rows and chooses its threshold without its calibration rows.", file=sys.stderr)
    detector = train_detector(data.x_train, data.y_train, epochs=args.epochs, seed=args.seed)
    folder = detector.save(args.output)
    print(f"saved the detector to {folder} (threshold {detector.threshold:.4f}, {detector.card['trained_on']})")
    return 0


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
    for problem in problems:  # listed, never loaded or offered: one line each, and the listing still works
        sys.stderr.write(f"broken, skipped: {problem.reason} ({problem.folder})\n")
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


def cmd_worker(args: argparse.Namespace) -> int:
    from .worker import run_worker

    return run_worker(background=args.background, if_free=args.if_free, idle_exit=args.idle_exit)


def _drawing_filter(args: argparse.Namespace):
    from .drawings import Filter

    return Filter(digit=args.digit, wrong_only=args.wrong, model_name=args.model)


def _add_images(args: argparse.Namespace) -> int:
    from . import drawings
    from .preprocessing import open_image, preprocess

    predictor = None
    if args.model:
        from .predictor import Predictor

        predictor = _load_predictor(args, args.model)
    rows, failures = [], 0
    for path in args.images:
        try:
            image = open_image(Path(path).read_bytes())
            steps = preprocess(image)
            if steps.is_empty:
                raise DigitLabError(f"no digit found ({steps.reason})")
        except (DigitLabError, OSError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            sys.stderr.write(f"{path}: {reason}\n")
            failures += 1
            continue
        probs = predictor.reading(steps.model_input)[0] if predictor else None
        rows.append(drawings.NewDrawing(
            label=args.digit, pixels=steps.centred, source="cli",
            predicted=None if probs is None else int(probs.argmax()), probabilities=probs,
            model_name=args.model or "", client_key=drawings.content_key(args.digit, steps.centred, "cli"),
            image_png=drawings.cap_png(image.convert("RGBA")),
        ))
    added, known = drawings.add_many(rows, args.db)
    print(f"added {added} drawing{'s' * (added != 1)} of {args.digit}" + (f", {known} already stored" if known else ""))
    return 1 if failures else 0


def cmd_drawings(args: argparse.Namespace) -> int:
    from . import drawings

    if args.action == "add":
        return _add_images(args)
    if args.action == "list":
        rows = drawings.query(_drawing_filter(args), limit=args.limit or None, url=args.db)
        print(f"{'id':>6}  {'created':<19}  label  {'answer':<20}  {'model':<24} source")
        for d in rows:
            when = d.created.strftime("%Y-%m-%d %H:%M:%S") if d.created else ""
            print(f"{d.id:>6}  {when:<19}  {d.label:>5}  {drawings.verdict(d):<20}  {d.model_name[:24]:<24} "
                  f"{d.source}")
        return 0
    if args.action == "stats":
        stats = drawings.stats(args.db)
        print(f"{stats.total} drawings from {stats.browsers} browsers; the network got {stats.wrong} wrong "
              f"of {stats.answered} it answered")
        print("per digit: " + "  ".join(f"{d}:{n}" for d, n in enumerate(stats.per_digit)))
        for name, (n, right) in sorted(stats.per_model.items()):
            print(f"{name:<40} {right}/{n} right ({right / n:.1%})")
        return 0
    if args.action == "export":
        written = drawings.export(args.out, _drawing_filter(args), args.db, kind=args.format)
        print(f"wrote {written} drawing{'s' * (written != 1)} to {args.out}")
        return 0
    if args.action == "import":
        failures = 0
        for path in args.files:
            try:
                added, known = drawings.import_file(path, args.db)
            except DigitLabError as exc:
                sys.stderr.write(f"{path}: {exc}\n")
                failures += 1
                continue
            print(f"{path}: added {added}" + (f", {known} already stored" if known else ""))
        return 1 if failures else 0
    removed = drawings.delete(args.ids, args.db)
    missing = len(set(args.ids)) - removed
    print(f"deleted {removed} drawing{'s' * (removed != 1)}" + (f"; {missing} id(s) were not there" if missing else ""))
    return 1 if missing else 0


def cmd_finetune(args: argparse.Namespace) -> int:
    from .data import load_mnist
    from .finetune import FinetuneSettings, describe, finetune_and_save
    from .registry import DEFAULT_MODEL
    from .training import TrainingListener

    settings = FinetuneSettings() if args.epochs is None else FinetuneSettings(epochs=args.epochs)
    data = load_mnist(args.data)
    listener = _bar_listener(TrainingListener)
    try:
        card = finetune_and_save(_registry(args), args.base or DEFAULT_MODEL, args.name, data, settings.check(),
                                 listener, threading.Event(), url=args.db)
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted: nothing was saved\n")
        return 130
    scores = card.metrics["finetune"]
    print(f"saved {card.name!r} (from {scores['base']!r}, {scores['trained_on']} drawings trained on, "
          f"{card.train_seconds:.0f}s of training)")
    print(describe(scores))
    return 0


def cmd_average(args: argparse.Namespace) -> int:
    from .averaging import average_and_save
    from .data import load_mnist

    registry, target = _registry(args), _output_registry(args)
    data = load_mnist(args.data)
    card = average_and_save(args.sources, registry, args.name, data, overwrite=args.overwrite, target=target)
    print(f"saved {card.name!r} to {target.root / card.name}: the average of {len(args.sources)} models")
    print(f"test accuracy {card.metrics['test_accuracy']:.4f}, temperature {card.temperature:.3f}")
    return 0


COMMANDS = {"train": cmd_train, "train-detector": cmd_train_detector, "evaluate": cmd_evaluate,
            "predict": cmd_predict, "export": cmd_export, "tune": cmd_tune, "models": cmd_models,
            "rename": cmd_rename, "delete": cmd_delete, "presets": cmd_presets, "worker": cmd_worker,
            "drawings": cmd_drawings, "finetune": cmd_finetune,
            "average": cmd_average}


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
    except Exception as exc:
        if not type(exc).__module__.startswith("sqlalchemy"):
            raise
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        sys.stderr.write(f"error: the database could not be used ({reason}).\n")
        return 1
