"""Look Inside: how the active network turns the current drawing (or a test image) into an answer."""

import numpy as np
import streamlit as st

from mnist_core.preprocessing import preprocess
from ui import browser, charts, drawing, inside, resources, widgets
from ui.boot import ensure_app

ensure_app()
ss = st.session_state
DRAWING_KEY = "last_steps"  # set by the Draw page: the latest non-empty Preprocessed


DRAW_HERE = "Draw one here"
SOURCES = ["Your drawing", DRAW_HERE, "A test image"]


def choose_input():
    """(28x28 image, caption, true digit or None) from the drawing, a drawing made here, or a test image."""
    steps = ss.get(DRAWING_KEY)
    if ss.get("inside_source") not in SOURCES:  # fixed choices, so drawing here does not switch them away
        ss.inside_source = SOURCES[0] if steps is not None else SOURCES[2]
    source = st.radio("Look at", SOURCES, horizontal=True, key="inside_source")
    if source == SOURCES[0] and steps is not None:
        return steps.centred, "your latest drawing", None
    if source == DRAW_HERE:
        return draw_here()
    data = widgets.require_data()
    ss.setdefault("inside_index", 0)
    cols = st.columns([2, 1], vertical_alignment="bottom")
    if cols[1].button("🎲 Random test image", width="stretch"):
        ss.inside_index = int(np.random.default_rng().integers(len(data.x_test)))
    index = cols[0].number_input("Test image number", 0, len(data.x_test) - 1, key="inside_index")
    if steps is None:
        st.info("**No drawing in this tab yet.** Each browser tab is a session of its own, so a digit drawn in "
                "another tab (or before a reload) stays there. Choose *Draw one here*, or draw on the Draw page "
                "in this tab.", icon="✏️")
    return data.x_test[index] / 255.0, f"test image #{index}", int(data.y_test[index])


def draw_here():
    """A small canvas on this page; what is drawn also becomes this tab's latest drawing."""
    browser.viewport()  # shows the canvas's Undo and Redo
    with st.container(key="canvas_box_inside"):
        drawing.drawing_canvas(220, "inside", name="inside_canvas")
    image = drawing.latest_image("inside_canvas")
    st.button("🧹 Clear", key="inside_clear", on_click=drawing.clear, args=("inside_canvas",))
    steps = preprocess(image) if image is not None else None
    if steps is None or steps.is_empty:
        st.caption("Draw a digit in the box: everything below follows it.")
        return np.zeros((28, 28), np.float32), "a blank canvas", None
    ss[DRAWING_KEY] = steps
    return steps.centred, "the digit drawn here", None


st.title("🔬 Look inside")
cards, problems = resources.scan_models()
widgets.show_problems(problems)
pick_col, input_col = st.columns([1, 2], gap="large")
with pick_col:
    card = widgets.model_picker(cards, key="pick_inside")
if card is None:
    widgets.no_models_message()
    st.stop()
model = widgets.load_model(card)  # looked up once; every view below gets this handle
if model is None:
    st.stop()
with input_col:
    image, caption, true_digit = choose_input()

left, right = st.columns([1, 3], gap="large")
with left:
    widgets.digit_image(image, caption=f"Input: {caption}", scale=8, width=200)
with right:
    reading = model.predictor.read_input(image)  # the one forward pass: every view below reuses it
    probs = reading.probabilities
    widgets.probability_chart(probs, key="inside_bars", height=230, true_digit=true_digit)
    if image.any():
        inside.digit_check_view(reading)

why, arch, weights, acts, history = st.tabs(
    ["Why this answer", "Architecture", "First-layer weights", "Activations", "Training history"])
with why:
    if not image.any():
        st.info("A blank input has nothing to explain: draw a digit first.")
    else:
        inside.why_view(model, image, key="inside_why", probs=probs)
with arch:
    inside.architecture_view(model.model)
with weights:
    units = st.slider("How many units or filters", 8, 64, 32, step=8, key="inside_units")
    inside.weights_view(model, units)
with acts:
    inside.activations_view(model, image, probs)
with history:
    if card.history.get("loss"):
        cols = st.columns(2)
        cols[0].plotly_chart(charts.history_figure({"": card.history}, "loss"), key="inside_loss")
        cols[1].plotly_chart(charts.history_figure({"": card.history}, "accuracy"), key="inside_acc")
        st.caption(f"{card.epochs_done} epochs; the dashed lines, when present, are the held-out validation data.")
    else:
        st.info(widgets.no_history_note(card))
