"""Checking a model card's fields before anything shows them.

A card is JSON that a person (or a bug, or a half-finished copy) may have
changed. Every page and the CLI format its fields (``f"{acc:.1%}"``, sums of
a confusion matrix, history curves), so one ``"test_accuracy": "ninety"``
would otherwise be a traceback on five pages for every visitor. Each field is
checked here once, when the card is read; a bad card becomes one sentence
naming the field, and the registry reports the folder as a problem and skips it.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

REQUIRED = ("name", "preset", "settings", "history", "metrics", "dataset", "created", "train_seconds",
            "epochs_done")
FRACTIONS = ("test_accuracy", "train_accuracy")
LOSSES = ("test_loss", "train_loss")
COUNTS = ("test_count", "train_count")
CLASSES = 10


class CardFieldError(ValueError):
    """One field of a card has the wrong type or an impossible value; the message names it."""


def _fail(field: str, wanted: str, value: Any) -> None:
    shown = repr(value)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    raise CardFieldError(f"{field} must be {wanted}, not {shown}")


def is_number(value: Any) -> bool:
    """int or float, but not bool (JSON true is not a number here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(field: str, value: Any, low: float | None = None, high: float | None = None,
            finite: bool = True) -> None:
    ok = is_number(value) and (not finite or math.isfinite(value))
    ok = ok and (low is None or value >= low) and (high is None or value <= high)
    if not ok:
        span = "a number" if low is None else f"a number from {low:g}" + (f" to {high:g}" if high is not None else " up")
        _fail(field, span, value)


def _count(field: str, value: Any) -> None:
    if not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        _fail(field, "a whole number of at least 0", value)


def _text(field: str, value: Any, empty: bool = False) -> None:
    if not isinstance(value, str) or (not empty and not value.strip()):
        _fail(field, "text", value)


def _history(value: Any) -> None:
    if not isinstance(value, dict):
        _fail("history", "a table of named lists", value)
    for key, series in value.items():
        if not isinstance(series, list):
            _fail(f"history.{key}", "a list of numbers", series)
        for item in series:
            if not is_number(item):  # NaN allowed: a diverged run records it honestly
                _fail(f"history.{key}", "a list of numbers", item)


def _confusion(value: Any) -> None:
    if not (isinstance(value, list) and len(value) == CLASSES
            and all(isinstance(row, list) and len(row) == CLASSES for row in value)):
        _fail("metrics.confusion", f"a {CLASSES}x{CLASSES} table", value)
    for row in value:
        for cell in row:
            _count("metrics.confusion", cell)


def _report(value: Any) -> None:
    if not isinstance(value, dict):
        _fail("metrics.report", "a table per digit", value)
    for key, row in value.items():
        if not isinstance(row, dict):
            _fail(f"metrics.report.{key}", "a table of numbers", row)
        for name, number in row.items():
            _number(f"metrics.report.{key}.{name}", number, 0)


def _metrics(value: Any) -> None:
    """Every metric is optional (an unscored model has none), but a present one must be sound."""
    if not isinstance(value, dict):
        _fail("metrics", "a table", value)
    for key in FRACTIONS:
        if key in value:
            _number(f"metrics.{key}", value[key], 0, 1)
    for key in LOSSES:
        if key in value:
            _number(f"metrics.{key}", value[key], 0)
    for key in COUNTS:
        if key in value:
            _count(f"metrics.{key}", value[key])
    for key, check in (("confusion", _confusion), ("report", _report)):
        if key in value:
            check(value[key])


def _created(value: Any) -> None:
    _text("created", value)
    try:
        datetime.fromisoformat(value)
    except ValueError:
        _fail("created", "a date and time (ISO 8601)", value)


def check_card_fields(data: dict[str, Any]) -> None:
    """Raise CardFieldError naming the first field that is missing, of the wrong type or out of range."""
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        raise CardFieldError(f"it lacks {', '.join(missing)}")
    _text("name", data["name"])
    _text("preset", data["preset"])
    _text("dataset", data["dataset"], empty=True)
    if not isinstance(data["settings"], dict) or not all(isinstance(k, str) for k in data["settings"]):
        _fail("settings", "a table", data["settings"])
    _history(data["history"])
    _metrics(data["metrics"])
    _created(data["created"])
    _number("train_seconds", data["train_seconds"], 0)
    _count("epochs_done", data["epochs_done"])
    _count("parameters", data.get("parameters", 0))
    if not isinstance(data.get("stopped_early", False), bool):
        _fail("stopped_early", "true or false", data["stopped_early"])
