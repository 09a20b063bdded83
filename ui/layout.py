"""How big the Draw page's pieces are on a given screen: pure arithmetic, no Streamlit.

The canvas component needs a fixed pixel size, so the page measures the
browser's viewport once (ui/browser.py) and picks a layout here. Sizes come
in buckets, so a window nudged by a few pixels does not resize the canvas.
The vertical budgets below are the heights of what Streamlit draws above and
below the canvas (header bar, title row, the canvas toolbar, the Clear
button), measured in Chromium with this app's CSS (ui/style.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PHONE_MAX_WIDTH = 640  # Streamlit stacks columns below this width, so we lay out one column ourselves
DEFAULT_VIEWPORT = (1280, 800)  # until the browser has told us: a common laptop
SIDE_PAD = {"phone": 16, "desktop": 32, "classroom": 24}  # main area's left/right padding (ui/style.py)
COLUMN_GAP = 16  # st.columns(gap="small")
SCROLLBAR = 18  # room for a classic scrollbar, which counts in window.innerWidth


@dataclass(frozen=True)
class Viewport:
    width: int
    height: int
    touch: bool = False
    measured: bool = True


@dataclass(frozen=True)
class DrawLayout:
    """Pixel sizes for one screen: the canvas side, the probability chart, the 28x28 preview."""
    kind: str  # "phone", "desktop" or "classroom"
    side: int
    chart_height: int
    seen_width: int
    columns: tuple[float, ...]  # st.columns weights (pixels, so they mean what they say)
    chart_font: int  # probability chart: axis and label size in px

    @property
    def is_phone(self) -> bool:
        return self.kind == "phone"


_COOKIE = re.compile(r"^(\d{2,5})x(\d{2,5})(t?)$")


def parse_viewport(value: object) -> Viewport | None:
    """A probe report ({"width", "height", "touch"}) or its cookie form ("1280x800", "390x844t")."""
    if isinstance(value, dict):
        try:
            width, height = int(value["width"]), int(value["height"])
        except (KeyError, TypeError, ValueError):
            return None
        touch = bool(value.get("touch"))
    elif isinstance(value, str) and (match := _COOKIE.match(value.strip())):
        width, height, touch = int(match[1]), int(match[2]), bool(match[3])
    else:
        return None
    if not (200 <= width <= 10000 and 200 <= height <= 10000):
        return None
    return Viewport(width, height, touch)


def _bucket(value: float, step: int, low: int, high: int) -> int:
    return int(max(low, min(high, (value // step) * step)))


def answer_height(width: int, classroom: bool) -> int:
    """Height of "Prediction: N" plus "NN% sure" (their font sizes follow the viewport width, ui/style.py)."""
    if classroom:
        big, small = min(max(48, 0.052 * width), 96), min(max(32, 0.045 * width), 51)
    else:
        big, small = min(max(41.6, 0.07 * width), 76.8), min(max(22.4, 0.03 * width), 32)
    return int(1.1 * big + 1.5 * small + 16)


FEEDBACK_ROOM = 56  # a row of buttons under the answer ("Right / Wrong, it is…")


def draw_layout(viewport: Viewport | None, classroom: bool) -> DrawLayout:
    """The Draw page's sizes for this screen, so the canvas and the answer fit without scrolling."""
    width, height = (viewport.width, viewport.height) if viewport else DEFAULT_VIEWPORT
    if width < PHONE_MAX_WIDTH:
        return _phone(width, height, classroom)
    if classroom:
        return _classroom(width, height)
    return _desktop(width, height)


def _phone(width: int, height: int, classroom: bool) -> DrawLayout:
    # One column: title row, toolbar, canvas, Clear, then the answer; keep the answer on the first screen.
    usable = width - 2 * SIDE_PAD["phone"] - 8
    # top, page icons, title, toolbar, Clear, answer
    below = 62 + 50 + 56 + 42 + 58 + answer_height(width, classroom=False)
    side = _bucket(min(usable, height - below), 20, 200, 480)
    return DrawLayout("phone", side, chart_height=260, seen_width=min(usable, 224), columns=(1.0,),
                      chart_font=15)


def _desktop(width: int, height: int) -> DrawLayout:
    content = width - 2 * SIDE_PAD["desktop"] - SCROLLBAR
    # the canvas gets about a third of the width, and leaves room above it for the title row and toolbar;
    # at most 280 px: a bigger canvas costs every stroke time (a bigger picture to send and read)
    side = _bucket(min(0.34 * content, height - 330), 20, 240, 280)
    rest = content - side - 2 * COLUMN_GAP
    seen = min(max(170, int(0.32 * rest)), 300)
    return DrawLayout("desktop", side, chart_height=300, seen_width=seen,
                      columns=(side + 8, rest - seen, seen), chart_font=16)


def _classroom(width: int, height: int) -> DrawLayout:
    content = width - 2 * SIDE_PAD["classroom"] - SCROLLBAR
    # above the canvas: header bar and padding (64), a slim title row (52), toolbar room (44);
    # below it: the Clear button (58), the bottom padding (24) and a margin for the browser's rounding (12)
    by_height = height - 64 - 52 - 44 - 58 - 24 - 12
    by_width = content - COLUMN_GAP - 380  # the answer column needs ~380 px for "Prediction: 7"
    side = _bucket(min(by_height, by_width), 20, 240, 900)
    rest = content - side - COLUMN_GAP
    seen = int(min(200, max(112, 0.25 * rest)))  # beside the answer: what the network sees, small
    top_row = max(answer_height(width, classroom=True), seen + 30)
    chart = side + 44 + 58 - top_row - FEEDBACK_ROOM - 3 * 16
    chart_font = 18 if width < 1500 else 22
    return DrawLayout("classroom", side, chart_height=int(max(200, chart)), seen_width=seen,
                      columns=(side + 8, rest), chart_font=chart_font)
