"""Helpers for driving the app in AppTest, shared by the tests in this folder."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
APP = str(REPO / "app.py")
TIMEOUT = 90
QUICK = "tiny cnn"
LOGISTIC = "tiny logistic"


def open_page(page: str):
    """Run app.py like a browser would, then go to one page (by file name: 'draw', 'train', ...)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if page != "home":
        at.switch_page(f"pages/{page}.py")  # a direct visit to the page's URL
    return at.run()


def texts(at) -> list[str]:
    """Every markdown, caption, heading and alert text on the page."""
    out = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "error", "warning", "info", "success"):
        out += [str(e.value) for e in getattr(at, kind)]
    return out


def page_text(at) -> str:
    return "\n".join(texts(at))


def digit_png(image28: np.ndarray, side: int = 200) -> bytes:
    """An MNIST digit as a photo-like PNG: dark ink on white paper, upscaled."""
    ink = 255 - np.asarray(image28, dtype=np.uint8)
    picture = Image.fromarray(ink, mode="L").resize((side, side), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def blank_png(side: int = 120) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (side, side), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def probability_bars(at) -> list[str]:
    """The HTML of the Draw page's probability bars (ui/bars.py), one string per chart shown."""
    return [e.proto.body for e in at.get("html") if 'class="dl-bars"' in e.proto.body]
