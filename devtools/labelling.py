"""Pupils who draw and label their drawings, over Streamlit's websocket (dev-only).

The engine of ``benchmarks/class_labelling.py`` and of ``tests/load/test_class_kill.py``:
each pupil opens /draw, draws a synthetic digit, waits for the answer and taps
"✓ Right" or the true digit under "✗ Wrong, it is …"; ``Tally`` records what
the database must hold afterwards (``stored`` reads it back).
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import numpy as np

from devtools.classroom import OPEN_ERRORS, Server, connect_draw, judge, make_drawings
from devtools.streamlit_client import DEFAULT_TIMEOUT, ProtocolError, StreamlitSession


class Tally:
    def __init__(self) -> None:
        self.answers: list[float] = []
        self.taps = 0
        self.double_taps = 0
        self.expected: dict[tuple[int, int, int, int], int] = {}  # (pupil, tab, digit, drawing) -> label
        self.errors: list[str] = []


async def open_tab(port: int, tally: Tally) -> StreamlitSession | None:
    try:
        return await connect_draw(port)
    except OPEN_ERRORS as exc:
        tally.errors.append(f"page open: {exc}")
        return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far, from /proc (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _keep_only(session: StreamlitSession, ids: list[str], keep_stale: bool = False) -> None:
    """After the canvas is replaced, forget the old widgets (the fragment's rerun lists the live ones).

    Their values too, as the browser's WidgetStateManager.removeInactive does after every finished run:
    a client that kept sending every earlier canvas's state made each rerun decode all of them (the
    server keeps a removed widget's metadata), so the latency grew with the number of drawings.
    ``keep_stale`` keeps sending them, as the first version of this client did.
    """
    live = set(ids)
    session.widgets = {wid: w for wid, w in session.widgets.items() if wid in live or not w.fragment_id}
    if not keep_stale:
        session.values = {wid: state for wid, state in session.values.items() if wid in session.widgets}


async def pupil(index: int, port: int, deadline: float, drawings, tally: Tally, rng: np.random.Generator,
                keep_stale: bool = False, leave: threading.Event | None = None) -> None:
    """One pupil: open the Draw page, draw, label the answer, again until ``deadline`` or ``leave`` is set."""
    session, tab = None, 0
    await asyncio.sleep(float(rng.uniform(0, 5)))
    try:
        while time.monotonic() < deadline and not (leave and leave.is_set()):
            if session is None:
                tab += 1
                session = await open_tab(port, tally)
                if session is None:
                    await asyncio.sleep(1)
                    continue
            await asyncio.sleep(float(rng.uniform(1, 2)))
            if time.monotonic() >= deadline:
                break
            digit = int(rng.integers(10))
            which = int(rng.integers(len(drawings[digit])))
            try:
                result = await session.draw(drawings[digit][which], timeout=DEFAULT_TIMEOUT)
                problem = judge(digit, result)
                if problem:
                    tally.errors.append(problem)
                if result.prediction is None:
                    continue
                tally.answers.append(result.answer_seconds)
                key = "feedback_right" if result.prediction == digit else f"feedback_wrong_{digit}"
                button = session.find(key=key)
                if button is None:
                    tally.errors.append(f"no {key} button after the answer")
                    continue
                taps = 2 if rng.random() < 0.1 else 1
                for _ in range(taps):
                    clicked = await session.click(button, timeout=DEFAULT_TIMEOUT)
                    if clicked.exceptions or clicked.error_alerts:
                        tally.errors.append(f"after a tap: {(clicked.exceptions + clicked.error_alerts)[0][:200]}")
                tally.taps += 1
                tally.double_taps += taps - 1
                tally.expected[(index, tab, digit, which)] = digit
                _keep_only(session, clicked.widget_ids, keep_stale)
            except ProtocolError as exc:
                tally.errors.append(f"connection: {exc}")
                await session.close()
                session = None
    finally:
        if session is not None:
            await session.close()


async def run_class(server: Server, clients: int, seconds: float, keep_stale: bool = False,
                    leave: threading.Event | None = None) -> Tally:
    """``clients`` pupils labelling for ``seconds``; setting ``leave`` (from another thread) ends it sooner."""
    drawings = make_drawings(per_digit=40, seed=3)
    tally = Tally()
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(pupil(i, server.port, deadline, drawings, tally, np.random.default_rng(100 + i), keep_stale,
                                 leave) for i in range(clients)))
    return tally


def stored(db_url: str, expected: int, wait: float = 30.0) -> list:
    from mnist_core import drawings

    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and drawings.count(url=db_url) < expected:
        time.sleep(0.5)  # the last taps' background saves
    time.sleep(1.0)
    return drawings.query(url=db_url)
