"""Draw: a canvas, a live guess on every stroke, and what the network sees.

Browser-test contract: a recognised digit shows one element with the text
"Prediction: 7" and one with "98% sure"; an empty canvas shows "Draw a digit"
and no "Prediction:" anywhere; a drawing that is not a digit shows "That does
not look like a digit" and no "Prediction:" either.

The layout follows the screen (ui/layout.py): three columns on a desktop, one
column on a phone with the answer right under the canvas and the secondary
controls below it, and in classroom mode (`/draw?classroom=1`) the biggest
canvas the projector allows beside a big answer, with nothing to scroll.
"""

from dataclasses import dataclass

import numpy as np
import streamlit as st

from mnist_core.errors import ImageError
from mnist_core.preprocessing import open_image, preprocess
from ui import bars, browser, drawing, feedback, inside, pacing, resources, widgets
from ui.boot import ensure_app
from ui.helpers import esc
from ui.layout import DrawLayout, draw_layout

ensure_app()  # a fresh server's first request may bypass app.py: route it through

UPLOAD_TYPES = ["png", "jpg", "jpeg", "bmp", "gif", "webp"]
ss = st.session_state
ss.setdefault("draw_source", "canvas")


def _clear() -> None:
    drawing.clear("canvas")
    ss.draw_source = "canvas"


def _drew() -> None:
    ss.draw_source = "canvas"
    pacing.mark_stroke("canvas")  # this run answers a stroke: its answer goes out ahead of the rest


def _uploaded() -> None:
    ss.draw_source = "upload" if ss.get("draw_upload") is not None else "canvas"
    ss.pop("draw_upload_error", None)  # a new choice (or a refused file) replaces the previous message


def _classroom_changed() -> None:
    """Keep the address in step with the toggle, so a reload or a shared link opens the same mode."""
    if ss.classroom:
        st.query_params["classroom"] = "1"
    else:
        st.query_params.pop("classroom", None)


def _upload_input():
    """The uploaded picture, or None (a file that cannot be used leaves its message for the answer area)."""
    uploaded = ss.get("draw_upload")
    if uploaded is None:
        return None
    try:
        return open_image(uploaded.getvalue())
    except ImageError as exc:
        ss.draw_upload_error = str(exc)
        return None


@dataclass(frozen=True)
class Slots:
    """Where each piece of the Draw page goes: one container each, made in screen order when the layout
    is drawn. The answer's part of the page fills its slots on every stroke, and only those are sent
    again (every element is a message the browser must apply before it shows the answer)."""
    canvas: object
    clear: object
    answer: object
    feedback: object  # the feedback buttons: under the answer (under the bars in classroom mode)
    chart: object
    seen: object
    controls: object | None  # pen size, model, picture upload (None in classroom mode)
    explain: object


def _slots(layout: DrawLayout) -> Slots:
    if layout.is_phone:  # one column: canvas, Clear, the answer, then the rest in order
        canvas = st.container(key="canvas_box")
        clear, answer, feedback, chart, seen, controls, explain = (st.container() for _ in range(7))
        return Slots(canvas, clear, answer, feedback, chart, seen, controls, explain)
    cols = st.columns(layout.columns, gap="small")
    canvas, clear = cols[0].container(key="canvas_box"), cols[0].container()
    if layout.kind == "classroom":
        top = cols[1].columns([3, 1], gap="small")
        chart, feedback = cols[1].container(), cols[1].container()  # the bars stay on the projector's screen
        return Slots(canvas, clear, top[0].container(), feedback, chart, top[1].container(), None, st.container())
    answer, feedback, chart, controls = (cols[1].container() for _ in range(4))
    return Slots(canvas, clear, answer, feedback, chart, cols[2].container(), controls, st.container())


def controls(slot, cards, layout: DrawLayout) -> None:
    """The secondary controls: pen size, model and an uploaded picture."""
    with slot:
        if layout.is_phone:
            st.slider("Brush size", 8, 40, 20, step=2, key="brush",
                      help="Thicker or thinner pen; the network sees a normalised stroke either way.")
        st.caption("Draw with the mouse, a finger or a pen. Undo and Redo are above the canvas.")
        widgets.model_picker(cards, key="pick_draw")
        with st.expander("🖼️ Or use a picture of a digit", expanded=ss.get("draw_upload") is not None):
            st.file_uploader("Picture of one digit", type=UPLOAD_TYPES, key="draw_upload", on_change=_uploaded,
                             help="A photo or scan of one digit; dark ink on light paper works best.")


def clear_row(slot, layout: DrawLayout) -> None:
    with slot:
        if layout.is_phone or layout.kind == "classroom":
            st.button("🧹 Clear", on_click=_clear, width="stretch", help="Start a new drawing.")
            return
        brush_col, clear_col = st.columns([3, 2], vertical_alignment="bottom")
        brush_col.slider("Brush size", 8, 40, 20, step=2, key="brush",
                         help="Thicker or thinner pen; the network sees a normalised stroke either way.")
        clear_col.button("🧹 Clear", on_click=_clear, width="stretch", help="Start a new drawing.")


@st.fragment
def draw_area(classroom: bool) -> None:
    """The layout and the controls: runs when the screen, the pen, the model or the picture changes.
    A stroke reruns only ``live_area`` inside it."""
    layout = draw_layout(browser.viewport("draw", classroom), classroom)
    slots = _slots(layout)
    live_area(slots, layout, classroom)
    clear_row(slots.clear, layout)
    if slots.controls is not None:
        controls(slots.controls, resources.scan_models()[0], layout)


def _input(classroom: bool):
    """(source, image): the canvas's latest drawing, or the uploaded picture while it is the one shown."""
    if not classroom and ss.draw_source == "upload" and ss.get("draw_upload") is not None:
        upload = _upload_input()
        if upload is not None:
            return "upload", upload
    return "canvas", drawing.latest_image("canvas")


@st.fragment
def live_area(slots: Slots, layout: DrawLayout, classroom: bool) -> None:
    """The canvas and all that its drawing changes; a stroke reruns this alone.

    The answer is sent first, from the drawing the canvas sent (kept in the session); then, once the
    browser has had time to paint it (ui/pacing.py), the bars, the feedback buttons, what the network
    sees, the panels that explain it, and last the canvas itself: the browser applies every element
    before the answer, so nothing else goes before it, and renders what arrives together.
    Light on purpose: HTML bars (ui/bars.py) instead of a Plotly chart, cards and model from caches."""
    card = widgets.resolve_active(resources.scan_models()[0])  # the model picker shows and changes it
    source, image = _input(classroom)
    steps = preprocess(image) if image is not None else None
    ready = steps is not None and not steps.is_empty
    if ready:
        ss.last_steps = steps  # the latest drawing, for pages that look inside the network

    model = reading = None
    with slots.answer:  # always written to: the hint, a message or the answer
        if ss.get("draw_upload_error") and ss.get("draw_upload") is not None and not classroom:
            with st.container(key="draw_upload_error"):  # ui/style.py hides it once a newer file is refused
                st.error(f"**That file cannot be used.** {esc(ss.draw_upload_error)}", icon="🖼️")
        if source == "upload":
            st.caption("Showing the uploaded picture. Draw on the canvas to go back to drawing.")
        if not ready:
            widgets.empty_hint(steps.reason if steps is not None else "", source)
        elif card is None:
            widgets.no_models_message()
        elif (model := widgets.load_model(card)) is not None:  # looked up once; passed down from here
            reading = model.predictor.read_steps(steps)
            if reading.reason == "not a digit":  # said plainly, the best guess small: never "Prediction: N"
                widgets.not_a_digit_text(reading)
            else:
                widgets.answer_text(reading.probabilities)
    pacing.after_answer(reading is not None)  # a stroke's answer is painted alone, the rest follows
    declined = reading is not None and reading.reason == "not a digit"
    # each slot gets a container on every run, so a rerun of this part alone finds its place in them
    with slots.chart, st.container():
        if reading is not None:
            bars.probability_bars(reading.probabilities, key="draw_bars", font_size=layout.chart_font,
                                  height=layout.chart_height * 2 // 3 if declined else layout.chart_height)
    with slots.feedback, st.container():
        feedback.show_notes()  # "Saved", or a save that failed in the background
        if reading is not None:
            feedback.feedback(feedback.answer_for(steps, reading.probabilities, model, image, source,
                                                  declined=declined), on_saved=_clear)
    # a container made in this fragment: st.image gives each picture written straight into an outer slot
    # from here the same media address, so the upload's preview would replace (and delete) the 28x28 input
    with slots.seen, st.container():
        seen_view(steps, source, image, layout)
    with slots.explain:
        explain_panels(steps, image, model, reading)
    with slots.canvas:
        drawing.drawing_canvas(layout.side, layout.kind, ss.get("brush", 20), on_change=_drew)


def seen_view(steps, source: str, image, layout: DrawLayout) -> None:
    """What the network sees: the 28x28 input, shown big with square pixels."""
    st.markdown("**What the network sees**")
    centred = steps.centred if steps is not None else np.zeros((28, 28), np.float32)
    widgets.digit_image(centred, scale=max(2, layout.seen_width // 28 + 1), width=layout.seen_width)
    if layout.kind != "classroom":
        what = "Your upload" if source == "upload" else "Your drawing"
        st.caption(f"{what} cropped, scaled to 20×20 and centred in 28×28 pixels, like MNIST.")
        if source == "upload" and image is not None:
            widgets.upload_preview(image)


def explain_panels(steps, image, model, reading) -> None:
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
            if ready and reading is not None:  # the model and the probabilities this page already has
                inside.why_view(model, steps.centred, key="draw_why", probs=reading.probabilities)
            else:
                st.caption("Draw a digit to see which strokes decided the answer.")


if "classroom" not in ss:  # `/draw?classroom=1` opens classroom mode
    ss.classroom = st.query_params.get("classroom", "") in ("1", "true", "yes", "on")
with st.container(horizontal=True, vertical_alignment="bottom", key="draw_title"):
    st.title("✏️ Draw", width="content")
    classroom = st.toggle("🎓 Classroom mode", key="classroom", on_change=_classroom_changed,
                          help="A big canvas, a big answer and fewer controls: for a projector.")
draw_area(classroom)
