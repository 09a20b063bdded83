"""Small pure helpers for the pages (no Streamlit here, so tests can call them directly)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Sequence

import numpy as np

SURE_THRESHOLD = 0.5
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:])")


def esc(text: object) -> str:
    """Escape user-typed text (model names) for st.markdown, so it is shown literally."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


@dataclass(frozen=True)
class Guess:
    digit: int
    confidence: float
    runner_up: int
    runner_up_confidence: float

    @property
    def sure(self) -> bool:
        return self.confidence >= SURE_THRESHOLD

    @property
    def headline(self) -> str:
        """The exact text the Draw page shows (the browser tests look for it)."""
        return f"Prediction: {self.digit}"

    @property
    def confidence_text(self) -> str:
        return f"{percent(self.confidence)} sure"


def percent_number(value: float, decimals: int = 0) -> float:
    """The one rounding rule for every percentage Digit Lab shows, as a number: 0.9974 -> 99.7 (decimals=1).

    Round half up to ``decimals`` places, except that a value below 1 never shows as 100:
    it is cut down instead (0.9996 -> 99.9, not 100.0), so "100%" always means certain.
    """
    pct = float(value) * 100
    step = 10.0 ** -decimals
    shown = np.floor(pct / step + 0.5) * step
    if shown >= 100 and value < 1:
        shown = np.floor(pct / step) * step
    return round(float(shown), decimals)


def percent(value: float, decimals: int = 0) -> str:
    """0.984 -> '98%', 0.9974 -> '99.7%' (decimals=1); never rounds a not-quite-certain value up to 100%."""
    return f"{percent_number(value, decimals):.{decimals}f}%"


def guess(probs: Sequence[float]) -> Guess:
    probs = np.asarray(probs, dtype=float)
    order = np.argsort(-probs, kind="stable")
    return Guess(int(order[0]), float(probs[order[0]]), int(order[1]), float(probs[order[1]]))


def scale_drawing(drawing: dict | None, factor: float) -> dict | None:
    """A canvas drawing (Fabric.js JSON from the canvas) scaled by ``factor`` about the top-left corner.

    The canvas does not rescale a drawing handed to a canvas of another size; this keeps a drawing
    when the canvas grows or shrinks (classroom mode, a resized window). Stroke widths scale along.
    """
    if not drawing:
        return None
    scaled = dict(drawing)
    objects = []
    for obj in drawing.get("objects") or []:
        obj = dict(obj)
        for field in ("left", "top", "scaleX", "scaleY"):
            default = 1.0 if field.startswith("scale") else 0.0
            obj[field] = float(obj.get(field, default)) * factor
        objects.append(obj)
    scaled["objects"] = objects
    return scaled


def pixelate(image: np.ndarray, scale: int = 10) -> np.ndarray:
    """A small image (floats 0..1 or uint8) -> uint8 upscaled with nearest neighbour, crisp pixels."""
    array = np.asarray(image)
    if array.dtype != np.uint8:
        array = (np.clip(array.astype(np.float32), 0.0, 1.0) * 255).round().astype(np.uint8)
    return np.repeat(np.repeat(array, scale, axis=0), scale, axis=1)


def mosaic(images: np.ndarray, columns: int, scale: int = 3, gap: int = 1, gap_value: int = 96) -> np.ndarray:
    """Tile (N, 28, 28) uint8 images into one uint8 picture, with thin grey gaps between them."""
    images = np.asarray(images)
    count = len(images)
    rows = max(1, -(-count // columns))
    height, width = images.shape[1] * scale, images.shape[2] * scale
    canvas = np.full((rows * height + (rows - 1) * gap, columns * width + (columns - 1) * gap), gap_value, np.uint8)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        top, left = r * (height + gap), c * (width + gap)
        canvas[top:top + height, left:left + width] = pixelate(image, scale)
    return canvas


def format_when(created: str, now: datetime | None = None) -> str:
    """'2026-11-21T19:30:00+00:00' -> '21 Nov 2026, 19:30 (2 hours ago)', in local time."""
    try:
        when = datetime.fromisoformat(created)
    except (TypeError, ValueError):
        return "unknown"
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    seconds = (now - when).total_seconds()
    local = when.astimezone()
    stamp = f"{local.day} {local.strftime('%b %Y, %H:%M')}"
    return f"{stamp} ({ago(seconds)})"


def ago(seconds: float) -> str:
    if seconds < 0:
        return "just now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


def _half_minutes(minutes: float) -> tuple[str, float]:
    """Minutes rounded to the nearest half: (text such as '2½', the rounded number)."""
    halves = round(minutes * 2) / 2
    whole = int(halves)
    return (f"{whole}½" if halves != whole else f"{whole}"), halves


def duration(seconds: float) -> str:
    """42 -> 'about 40 seconds', 150 -> 'about 2½ minutes', 4000 -> 'about 1 hour 7 minutes'."""
    if seconds < 10:
        return "a few seconds"
    if seconds < 60:
        return f"about {int(round(seconds / 10.0) * 10)} seconds"
    minutes = seconds / 60
    if minutes < 10:
        text, halves = _half_minutes(minutes)
        return f"about {text} minute{'s' if halves > 1 else ''}"
    if minutes < 60:
        return f"about {int(round(minutes))} minutes"
    hours, rest = divmod(int(round(minutes)), 60)
    return f"about {hours} hour{'s' if hours != 1 else ''}" + (f" {rest} minutes" if rest else "")


def short_duration(seconds: float) -> str:
    """A compact form for a metric tile: '≈ 40 s', '≈ 1½ min', '≈ 37 min', '≈ 1 h 7 min'."""
    if seconds < 55:
        return f"≈ {max(5, int(round(seconds / 5.0) * 5))} s"
    minutes = seconds / 60
    if minutes < 10:
        return f"≈ {_half_minutes(minutes)[0]} min"
    if minutes < 60:
        return f"≈ {int(round(minutes))} min"
    hours, rest = divmod(int(round(minutes)), 60)
    return f"≈ {hours} h" + (f" {rest} min" if rest else "")


def per_digit_accuracy(confusion: Sequence[Sequence[float]]) -> list[float]:
    """Recall per true digit from a confusion matrix (rows = true)."""
    matrix = np.asarray(confusion, dtype=float)
    totals = matrix.sum(axis=1)
    return [float(matrix[d, d] / totals[d]) if totals[d] else 0.0 for d in range(len(matrix))]


def cell_indices(probs: np.ndarray, labels: np.ndarray, true: int, predicted: int) -> np.ndarray:
    """Test images with this true digit that the model called ``predicted``, most confident first."""
    choice = probs.argmax(axis=1)
    hits = np.flatnonzero((labels == true) & (choice == predicted))
    confidence = probs[hits, predicted]
    return hits[np.argsort(-confidence, kind="stable")]


def filter_errors(errors: list[dict], true: int | None, predicted: int | None, limit: int) -> list[dict]:
    """Keep the confident mistakes matching the filters (None = any digit), at most ``limit``."""
    kept = [e for e in errors if (true is None or e["true"] == true) and (predicted is None or e["predicted"] == predicted)]
    return kept[:limit]
