"""Paint a stroke's answer first: the rest of the Draw page's run follows a moment later.

Streamlit hands a run's messages to the browser every few milliseconds, and the
browser renders whatever has arrived together: an answer sent along with thirty
other elements (the bars, the feedback buttons, the picture, the canvas) is
painted only when all of them are. Sent alone, and followed by the rest once
the browser has had time to paint it, it is on screen first. ``python -m benchmarks.browser_latency``
measures both moments (the answer, and the bars).
"""

from __future__ import annotations

import time

import streamlit as st

# How long the rest of a stroke's run waits after the answer: long enough for the browser to apply and paint
# the answer before the rest arrives in nearly every stroke (answer on the websocket -> painted: 20 ms median,
# 45 ms p95, measured by benchmarks/browser_latency.py), short enough that the bars still follow at once.
ANSWER_FRAME_S = 0.045


def mark_stroke(name: str = "canvas") -> None:
    """The canvas ``name`` sent a stroke: the run it causes answers it (the Draw page's canvas on_change)."""
    st.session_state[f"{name}_stroke"] = True


def after_answer(answered: bool, name: str = "canvas") -> bool:
    """Call right after the answer is written: after a stroke's answer, hold the rest of the run back.

    Only a run that a stroke caused and that shows an answer (``answered``) waits, once; any other run
    (a click, the page opening, a stroke too small to read) goes straight on. True if it waited."""
    if not st.session_state.pop(f"{name}_stroke", False) or not answered:
        return False
    time.sleep(ANSWER_FRAME_S)
    return True
