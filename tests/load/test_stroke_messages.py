"""What one stroke on the Draw page sends to the browser, over Streamlit's websocket.

The browser applies every element of a run in order before it can show the
answer, so a stroke's run must send the answer first and must not send the
parts of the page the drawing does not change (pen size, model picker,
picture upload, the screen-size probe). The canvas itself comes after the
answer. Counted in elements (benchmarks/browser_latency.py has the timings);
the one time checked is a floor the page itself sets: the rest of the run
follows the answer only after a pause (``ANSWER_FRAME_S``), so the browser
can paint the answer on its own instead of together with everything else.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from devtools import appserver
from devtools.classroom import connect_draw
from devtools.streamlit_client import CANVAS_COMPONENT, canvas_state
from ui.pacing import ANSWER_FRAME_S

pytestmark = pytest.mark.slow


def _elements(messages) -> list[tuple[str, str, float]]:
    """(kind, text or component name, arrival time in s) of every element a run sent, in order."""
    out = []
    for arrived, msg in messages:
        if msg.WhichOneof("type") != "delta" or msg.delta.WhichOneof("type") != "new_element":
            continue
        element = msg.delta.new_element
        kind = element.WhichOneof("type")
        el = getattr(element, kind)
        out.append((kind, getattr(el, "body", "") or getattr(el, "component_name", "") or getattr(el, "label", ""),
                    arrived))
    return out


async def _stroke_run(port: int) -> list[tuple[str, str, float]]:
    from mnist_core.synthetic import STYLES, sample_canvas

    first, second = (sample_canvas(7, STYLES["large-centred"], np.random.default_rng(seed)) for seed in (0, 1))
    session = await connect_draw(port)
    try:
        await session.draw(canvas_state(first))  # the first answer loads the model
        seen: list = []
        session.on_message = lambda msg: seen.append((time.monotonic(), msg))
        result = await session.draw(canvas_state(second))  # a stroke: the drawing changed
        assert result.prediction is not None and not result.exceptions, result
        return _elements(seen)
    finally:
        await session.close()


def test_a_stroke_sends_the_answer_first_and_only_what_the_drawing_changes():
    shipped = appserver.find_shipped()
    if shipped is None:
        pytest.skip("no shipped model")
    with tempfile.TemporaryDirectory() as tmp:
        server = appserver.AppServer(Path(tmp) / "models", shipped_dir=shipped, mnist=appserver.mnist_path(),
                                     log_path=Path(tmp) / "streamlit.log").start()
        try:
            server.wait_healthy(timeout=120)
            # its own thread: Playwright's sync API (the browser tests) may hold an event loop on this one
            with ThreadPoolExecutor(max_workers=1) as pool:
                elements = pool.submit(asyncio.run, _stroke_run(server.port)).result()
        finally:
            server.stop()
    kinds = [kind for kind, _, _ in elements]
    assert elements and elements[0][0] == "markdown" and elements[0][1].startswith("Prediction:"), elements[:3]
    canvas = [i for i, (kind, name, _) in enumerate(elements) if name == CANVAS_COMPONENT]
    assert canvas == [len(elements) - 1], "the canvas is sent once, after everything else"
    for unchanged in ("slider", "selectbox", "file_uploader"):
        assert unchanged not in kinds, f"a stroke re-sent the {unchanged}"
    assert not any(name == "digitlab_probe" for _, name, _ in elements), "a stroke re-sent the screen probe"
    assert ("html" in kinds) and ("imgs" in kinds), "the bars and what the network sees follow the stroke"
    answer_at = max(at for kind, text, at in elements if kind == "markdown" and "sure" in text)
    bars_at = next(at for kind, _, at in elements if kind == "html")
    # a floor the page sets with a pause (not a speed): the answer went out on its own
    assert bars_at - answer_at >= 0.4 * ANSWER_FRAME_S, (bars_at - answer_at, ANSWER_FRAME_S)
