"""Draw: a canvas, a live guess on every stroke, and what the network sees.

Browser-test contract: a recognised digit shows one element with the text
"Prediction: 7" and one with "98% sure"; an empty canvas shows "Draw a digit"
and no "Prediction:" anywhere; a drawing the not-a-digit detector declines
shows "That does not look like a digit", the best guess small, and no "Prediction:".
"""

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from mnist_core.errors import ImageError
from mnist_core.preprocessing import open_image, preprocess
from ui import feedback, inside, resources, widgets
from ui.boot import ensure_app
from ui.helpers import esc

ensure_app()  # a fresh server's first request may bypass app.py: route it through

CANVAS_SIDE = 280
CLASSROOM_SIDE = 420  # reads from the back of a room; preprocessing does not care about size
UPLOAD_TYPES = ["png", "jpg", "jpeg", "bmp", "gif", "webp"]
ss = st.session_state
ss.setdefault("canvas_round", 0)
ss.setdefault("draw_source", "canvas")


def _clear() -> None:
    ss.canvas_round += 1
    ss.draw_source = "canvas"


def _drew() -> None:
    ss.draw_source = "canvas"


def _uploaded() -> None:
    ss.draw_source = "upload" if ss.get("draw_upload") is not None else "canvas"


def _upload_input():
    """(image or None, message) from the uploader; a bad file shows its ImageError."""
    uploaded = ss.get("draw_upload")
    if uploaded is None:
        return None
    try:
        return open_image(uploaded.getvalue())
    except ImageError as exc:
        st.error(f"**That file cannot be used.** {esc(exc)}", icon="🖼️")
        return None


@st.fragment
def draw_area(classroom: bool) -> None:
    feedback.show_notes()
    cards, _ = resources.scan_models()
    canvas_col, result_col, seen_col = st.columns([1.25, 1.75, 0.9] if classroom else [1.05, 1.5, 1], gap="medium")
    with result_col:
        if classroom:  # a class needs the answer, not the knobs: the model is chosen beforehand
            card = widgets.resolve_active(cards)
        else:
            card = widgets.model_picker(cards, key="pick_draw")
    side = CLASSROOM_SIDE if classroom else CANVAS_SIDE
    with canvas_col:
        with st.container(key="canvas_box"):
            canvas = st_canvas(
                stroke_width=ss.get("brush", 20) * side // CANVAS_SIDE, stroke_color="#000000",
                background_color="#FFFFFF", height=side, width=side, drawing_mode="freedraw",
                return_image_data=True, update_streamlit=True, key=f"canvas_{ss.canvas_round}_{side}",
                on_change=_drew,
            )
        if classroom:
            st.button("🧹 Clear", on_click=_clear, width="stretch", help="Start a new drawing.")
        else:
            brush_col, clear_col = st.columns([3, 2], vertical_alignment="bottom")
            brush_col.slider("Brush size", 8, 40, 20, step=2, key="brush",
                             help="Thicker or thinner pen; the network sees a normalised stroke either way.")
            clear_col.button("🧹 Clear", on_click=_clear, width="stretch", help="Start a new drawing.")
            st.caption("Draw with the mouse, a finger or a pen. The canvas toolbar has undo and redo.")
            with st.expander("🖼️ Or use a picture of a digit", expanded=ss.get("draw_upload") is not None):
                st.file_uploader("Picture of one digit", type=UPLOAD_TYPES, key="draw_upload",
                                 on_change=_uploaded,
                                 help="A photo or scan of one digit; dark ink on light paper works best.")

    use_upload = not classroom and ss.draw_source == "upload" and ss.get("draw_upload") is not None
    source = "upload" if use_upload else "canvas"
    if source == "upload":
        with result_col:
            image = _upload_input()
        if image is None:
            source, image = "canvas", None
    if source == "canvas":
        image = canvas.image_data

    steps = preprocess(image) if image is not None else None
    if steps is not None and not steps.is_empty:
        ss.last_steps = steps  # the latest drawing, for pages that look inside the network
    predictor = None
    if card is not None and steps is not None and not steps.is_empty:
        with result_col:
            predictor = widgets.load_predictor(card)

    # One replaceable slot: switching between hint and answer never leaves the other's pieces behind
    with result_col, st.empty().container():
        if source == "upload":
            st.caption("Showing the uploaded picture. Draw on the canvas to go back to drawing.")
        if steps is None or steps.is_empty:
            widgets.empty_hint(steps.reason if steps is not None else "", source)
        elif card is None:
            widgets.no_models_message()
        elif predictor is not None:
            reading = predictor.read_steps(steps)
            declined = reading.reason == "not a digit"
            if declined:
                widgets.not_a_digit_result(reading, key="draw", chart_height=260 if classroom else 200)
            else:
                widgets.prediction_result(reading.probabilities, key="draw", chart_height=440 if classroom else 320)
            feedback.feedback(feedback.answer_for(steps, reading.probabilities, card.name, image, source,
                                                  declined=declined), on_saved=_clear)

    with seen_col:
        st.markdown("**What the network sees**")
        centred = steps.centred if steps is not None else np.zeros((28, 28), np.float32)
        widgets.digit_image(centred, scale=15 if classroom else 10, width=300 if classroom else side)
        st.caption("Your drawing cropped, scaled to 20×20 and centred in 28×28 pixels, like MNIST.")
        if source == "upload" and image is not None:
            widgets.upload_preview(image)


    explain_panels(steps, image, card, predictor)


def explain_panels(steps, image, card, predictor) -> None:
    """Step-by-step preprocessing and saliency: computed only while their panel is open."""
    ready = steps is not None and not steps.is_empty
    how = st.expander("🔎 From drawing to input, step by step", key="explain_steps", on_change="rerun")
    if how.open:
        with how:
            if ready:
                inside.steps_view(steps, widgets.displayable(image))
            else:
                st.caption("Draw a digit to see each step.")
    why = st.expander("🤔 Why this answer?", key="explain_why", on_change="rerun")
    if why.open:
        with why:
            if ready and card is not None and predictor is not None:
                inside.why_view(card.name, steps.centred, key="draw_why")
            else:
                st.caption("Draw a digit to see which strokes decided the answer.")


title_col, mode_col = st.columns([3, 1], vertical_alignment="bottom")
title_col.title("✏️ Draw")
classroom = mode_col.toggle("🎓 Classroom mode", key="classroom",
                            help="A big canvas, a big answer and fewer controls: for a projector.")
with st.container(key="classroom_mode" if classroom else "normal_mode"):
    draw_area(classroom)
