"""The Draw page's ten probability bars, as plain HTML drawn by the page's CSS (ui/style.py, ``.dl-bars``).

They change on every stroke. A Plotly chart rebuilt its whole SVG in the browser each
time (Plotly.react), in the same frame as the new answer; ten ``div`` heights cost the
browser next to nothing, and the server only formats a short string. Same look as
``charts.probability_bars``: the winner in blue, the others grey, each bar's percentage
above it by the one rounding rule, faint lines at 25/50/75/100%, the digit below in a
bigger font; hovering a bar shows its value to one decimal.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import streamlit as st

from .charts import OTHER, WINNER
from .helpers import percent

CLASS = "dl-bars"  # ui/style.py styles it; the browser tests and the benchmark look for it


def bars_html(probs: Sequence[float], height: int, font_size: int) -> str:
    """Ten bars ``height`` px tall in all, labels ``font_size`` px (digits 1.3 times bigger)."""
    # numbers only reach the HTML: ten floats (made finite, in [0, 1]), the digits 0-9 and our own colours
    probs = np.clip(np.nan_to_num(np.asarray(probs, dtype=float).reshape(10), nan=0.0), 0.0, 1.0)
    winner = int(np.argmax(probs))
    bars = []
    for digit, p in enumerate(probs):
        label = percent(p) if p >= 0.005 else ""  # same rounding as the "NN% sure" text
        colour = WINNER if digit == winner else OTHER
        bars.append(
            f'<div class="dl-bar" title="digit {digit}: {percent(p, 1)}">'
            f'<div class="dl-track"><div class="dl-fill" style="height:{p * 100:.2f}%;background:{colour}">'
            f'<span class="dl-pct">{label}</span></div></div>'
            f'<span class="dl-digit">{digit}</span></div>'
        )
    summary = ", ".join(f"{d}: {percent(p)}" for d, p in enumerate(probs))
    return (f'<div class="{CLASS}" role="img" aria-label="Probability of each digit. {summary}" '
            f'style="height:{int(height)}px;font-size:{int(font_size)}px">{"".join(bars)}</div>')



def probability_bars(probs: Sequence[float], key: str, height: int = 300, font_size: int = 17) -> None:
    """Show the bars in a container keyed ``key`` (so pages and tests can find them)."""
    with st.container(key=key):
        st.html(bars_html(probs, height, font_size))
