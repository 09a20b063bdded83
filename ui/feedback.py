"""After every answer on Draw: "✓ Right" or "✗ Wrong, it is …" and the ten digits, one tap each.

A tap stores the drawing for the class (the 28x28 input, a small PNG of the
canvas, the label, the answer and its probabilities, the model and its
version, this browser's anonymous id) and starts a fresh canvas. The save runs
in a background thread: the next answer never waits for the database. A save
that failed is reported on the next run, in one sentence.
"""

from __future__ import annotations

import hashlib
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import streamlit as st

from mnist_core import drawings
from mnist_core.database import database_url

from . import classroom, resources

log = logging.getLogger("digitlab.feedback")
ss = st.session_state
PENDING = "feedback_pending"
NOTE = "feedback_note"



@dataclass(frozen=True)
class Answer:
    """One answer on screen: what the network saw and said, and the picture it came from."""

    pixels: np.ndarray  # float 28x28 in [0, 1]
    probabilities: np.ndarray
    model_name: str
    model_version: str
    image: Any  # the canvas or the uploaded picture (a PIL image)
    browser: str
    source: str = "draw"
    declined: bool = False  # the page said "that does not look like a digit"

    @property
    def predicted(self) -> int | None:
        """The digit the page showed; None when it declined to name one."""
        return None if self.declined else int(np.argmax(self.probabilities))

    def client_key(self) -> str:
        """The same drawing from the same browser is stored once, however often it is tapped."""
        digest = hashlib.sha256(self.browser.encode() + drawings.to_uint8(self.pixels).tobytes()).hexdigest()
        return f"draw-{digest[:48]}"


@st.cache_resource(show_spinner=False)
def _saver() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="digitlab-save")


def _save(answer: Answer, label: int, url: str) -> int:
    """Runs in the saver thread: no Streamlit calls here."""
    image = answer.image
    if image is not None and not isinstance(image, np.ndarray):
        image = image.convert("RGBA")
    return drawings.add(drawings.NewDrawing(
        label=label, pixels=answer.pixels, predicted=answer.predicted, probabilities=answer.probabilities,
        model_name=answer.model_name, model_version=answer.model_version, browser=answer.browser,
        source=answer.source, client_key=answer.client_key(), image_png=drawings.cap_png(image),
    ), url)


def submit(answer: Answer, label: int, on_saved: Callable[[], None] | None = None) -> Future:
    """Queue the save and return at once."""
    future = _saver().submit(_save, answer, int(label), database_url())
    ss.setdefault(PENDING, []).append(future)
    verdict = f"Right: {label}" if label == answer.predicted else f"Wrong: it is a {label}"
    ss[NOTE] = f"Saved ({verdict}). Thank you! Draw the next one."
    if on_saved is not None:
        on_saved()
    return future


def show_notes() -> None:
    """A short note after a tap, and one sentence for any save that failed meanwhile.

    Called on every run of the Draw page's answer area (with or without an answer), so finished
    saves leave the session and a failure is said once."""
    note = ss.pop(NOTE, None)
    if note:
        st.toast(note, icon="✅")
    pending = ss.get(PENDING, [])
    still = []
    for future in pending:
        if not future.done():
            still.append(future)
            continue
        error = future.exception()
        if error is not None:
            log.warning("a drawing was not saved: %s", error)
            st.toast(f"A drawing could not be saved for the class: {error}", icon="⚠️")
    ss[PENDING] = still


def feedback(answer: Answer, on_saved: Callable[[], None] | None = None) -> None:
    """The two choices under the answer; big buttons that wrap on a phone."""
    with st.container(key="feedback"):  # big buttons: ui/style.py
        if answer.predicted is None:  # nothing to confirm: only "it is a digit, this one"
            st.caption("Was it a digit after all? Your answer teaches the class's network.")
            st.caption("✗ Wrong, it is …")
        else:
            st.caption("Was it right? Your answer teaches the class's network.")
            with st.container(horizontal=True, gap="small"):
                st.button("✓ Right", key="feedback_right", type="primary", on_click=submit,
                          args=(answer, answer.predicted, on_saved), help="Save this drawing as the digit it showed.")
            st.caption("✗ Wrong, it is …")
        with st.container(horizontal=True, gap="small", key="feedback_digits"):
            for digit in range(10):
                st.button(str(digit), key=f"feedback_wrong_{digit}", on_click=submit,
                          args=(answer, digit, on_saved), disabled=digit == answer.predicted,
                          help=f"It is a {digit}: save it with that label.")


def answer_for(steps, probs, model: resources.ModelHandle, image, source: str, declined: bool = False) -> Answer:
    """Bundle what the Draw page has on screen, with the model it looked up for this answer."""
    return Answer(pixels=steps.centred, probabilities=np.asarray(probs, np.float64), model_name=model.name,
                  model_version=str(model.version), image=image, browser=classroom.browser_id(),
                  source="upload" if source == "upload" else "draw", declined=declined)
