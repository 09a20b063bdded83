"""The drawing canvas, sized for the screen, that keeps its drawing when its size changes.

The canvas component (streamlit-drawable-canvas) takes a fixed pixel size and
does not rescale a drawing handed to a canvas of another size. Classroom mode,
a phone turned sideways or a resized window change the size, so the last
drawing the canvas sent is kept (with the size it was drawn at) and handed to
the resized canvas, scaled, as its initial drawing. The canvas keeps its key
while its size changes, so its last image stays available for the answer.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from .helpers import scale_drawing, stroke_count

REFERENCE_SIDE = 280  # the brush slider's sizes are for a canvas this big; bigger canvases get a thicker pen
ss = st.session_state


def _state(name: str) -> dict:
    ss.setdefault(f"{name}_round", 0)  # "canvas_round": the page tests read it
    return ss.setdefault(f"{name}_keep", {"drawn": None, "drawn_side": None, "initial": None,
                                          "side": None, "layout": None})


def clear(name: str = "canvas") -> None:
    """Start a new, empty canvas (a button's on_click)."""
    _state(name).update(drawn=None, drawn_side=None, initial=None)
    ss[f"{name}_round"] += 1


def _mark_fresh(name: str, on_change) -> None:
    ss[f"{name}_fresh"] = True
    if on_change is not None:
        on_change()


def drawing_canvas(side: int, layout: str, brush: int = 20, name: str = "canvas",
                   on_change=None) -> tuple[np.ndarray | None, int]:
    """Show the canvas at ``side`` pixels; returns (its latest image or None, how many strokes it holds)."""
    state = _state(name)
    if state["side"] is not None and (side != state["side"] or layout != state["layout"]) and state["drawn"]:
        state["initial"] = scale_drawing(state["drawn"], side / state["drawn_side"])
    previous_side = state["side"] or side
    state["side"], state["layout"] = side, layout
    key = f"{name}_{ss[f'{name}_round']}"
    result = st_canvas(
        stroke_width=max(2, brush * side // REFERENCE_SIDE), stroke_color="#000000", background_color="#FFFFFF",
        height=side, width=side, drawing_mode="freedraw", initial_drawing=state["initial"],
        return_image_data=True, update_streamlit=True, key=key,
        on_change=lambda: _mark_fresh(name, on_change),
    )
    if ss.pop(f"{name}_fresh", False):
        state["drawn"], state["drawn_side"] = result.json_data, previous_side
    drawing = state["drawn"] if state["drawn"] is not None else state["initial"]
    return result.image_data, stroke_count(drawing)
