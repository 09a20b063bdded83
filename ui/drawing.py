"""The drawing canvas, sized for the screen, that keeps its drawing when its size changes.

The canvas component (streamlit-drawable-canvas) takes a fixed pixel size and
does not rescale a drawing handed to a canvas of another size. Classroom mode,
a phone turned sideways or a resized window change the size, so the last
drawing the canvas sent is kept (with the size it was drawn at) and handed to
the resized canvas, scaled, as its initial drawing. The canvas keeps its key
while its size changes, so its last image stays available for the answer.

The canvas's latest drawing is readable from the session without drawing the
canvas (``latest_image``): the Draw page reads it first and sends the answer
before the canvas element, which it sends last (and ui/pacing.py holds the
rest of a stroke's run back until the answer is painted).
"""

from __future__ import annotations

import base64
import logging
from typing import Any, Callable

import streamlit as st
from PIL import Image
from streamlit_drawable_canvas import st_canvas

from mnist_core.errors import ImageError
from mnist_core.preprocessing import open_image

from .helpers import scale_drawing

log = logging.getLogger("digitlab.drawing")
REFERENCE_SIDE = 280  # the brush slider's sizes are for a canvas this big; bigger canvases get a thicker pen
ss = st.session_state


def _state(name: str) -> dict:
    ss.setdefault(f"{name}_round", 0)  # "canvas_round": the page tests read it
    return ss.setdefault(f"{name}_keep", {"drawn": None, "drawn_side": None, "initial": None,
                                          "side": None, "layout": None})


def canvas_key(name: str = "canvas") -> str:
    """The canvas widget's key this round (a new round is a new, empty canvas)."""
    _state(name)
    return f"{name}_{ss[f'{name}_round']}"


def clear(name: str = "canvas") -> None:
    """Start a new, empty canvas (a button's on_click)."""
    _state(name).update(drawn=None, drawn_side=None, initial=None)
    ss[f"{name}_round"] += 1


def _sent(name: str) -> dict[str, Any] | None:
    """What the canvas last sent ({"raw": fabric JSON, "data": PNG data URL}), or None before its first stroke."""
    value = ss.get(canvas_key(name))
    drawing = value.get("drawing") if hasattr(value, "get") else None
    return drawing if isinstance(drawing, dict) and drawing.get("data") else None


def latest_image(name: str = "canvas") -> Image.Image | None:
    """The canvas's latest image, or None while it is empty (or when what it sent is not a picture)."""
    sent = _sent(name)
    return None if sent is None else decode_canvas(sent["data"])


def decode_canvas(data_url: object) -> Image.Image | None:
    """The canvas's PNG data URL -> the picture, read as an uploaded file is (``open_image``: size limits,
    no bombs), so the page reads a drawing exactly as ``predict`` reads it saved to a file. Anything else
    (only a client that is not the canvas sends it) is no drawing: None, and a line in the log."""
    _, marker, encoded = str(data_url).partition(";base64,")
    try:
        if not marker:
            raise ImageError("it is not a base64 data URL")
        return open_image(base64.b64decode(encoded, validate=True))
    except (ImageError, ValueError) as exc:  # binascii.Error is a ValueError
        log.warning("ignored a canvas update that is not a picture: %s", exc)
        return None


def _on_stroke(name: str, on_change: Callable[[], None] | None) -> None:
    """The canvas sent a drawing: keep it (with the size it was drawn at) for a resized canvas."""
    state = _state(name)
    sent = _sent(name)
    if sent is not None:
        state["drawn"], state["drawn_side"] = sent.get("raw"), state["side"]
    if on_change is not None:
        on_change()


def drawing_canvas(side: int, layout: str, brush: int = 20, name: str = "canvas",
                   on_change: Callable[[], None] | None = None) -> None:
    """Show the canvas at ``side`` pixels; ``latest_image(name)`` reads what it holds."""
    state = _state(name)
    if state["side"] is not None and (side != state["side"] or layout != state["layout"]) and state["drawn"]:
        state["initial"] = scale_drawing(state["drawn"], side / state["drawn_side"])
    state["side"], state["layout"] = side, layout
    st_canvas(
        stroke_width=max(2, brush * side // REFERENCE_SIDE), stroke_color="#000000", background_color="#FFFFFF",
        height=side, width=side, drawing_mode="freedraw", initial_drawing=state["initial"],
        return_image_data=True, update_streamlit=True, key=canvas_key(name),
        on_change=lambda: _on_stroke(name, on_change),
    )
