"""Mistakes: the test digits the model got wrong while being most sure of itself."""

import streamlit as st

from mnist_core.evaluation import confident_errors
from ui import resources, widgets
from ui.boot import ensure_app
from ui.helpers import filter_errors, percent, pixelate

ensure_app()  # a fresh server's first request may bypass app.py: route it through

ss = st.session_state
ANY = "any"


@st.cache_data(show_spinner=False, max_entries=8)
def _all_errors(name: str, _probs, _labels, key: tuple) -> list[dict]:
    """Every wrong answer, most confident first (computed once per model version)."""
    return confident_errors(_probs, _labels, None)


st.title("🔍 Mistakes")
st.caption("Test images the model got wrong, the most confident first. Some are honest mistakes; "
           "some are digits a person would misread too.")
cards, _ = resources.scan_models()
if not cards:
    widgets.no_models_message()
    st.stop()
card = widgets.model_picker(cards, key="pick_mistakes")
data = widgets.require_data()
probs = resources.get_test_probabilities(card.name)
if probs is None or len(probs) != len(data.y_test):
    st.info("This model was saved without its per-image results, so its mistakes cannot be listed. "
            "Retrain it on the Train page to get them.")
    widgets.link("train", "Train a model", icon="🏋️")
    st.stop()

errors = _all_errors(card.name, probs, data.y_test, (resources.models_root(), card.created, len(probs)))
f1, f2, f3 = st.columns([1, 1, 2])
true = f1.selectbox("True digit", [ANY, *range(10)], key="mis_true")
pred = f2.selectbox("Predicted digit", [ANY, *range(10)], key="mis_pred")
limit = f3.slider("How many", 5, 100, 20, step=5, key="mis_limit")
shown = filter_errors(errors, None if true == ANY else true, None if pred == ANY else pred, limit)

total_wrong = len(errors)
st.markdown(f"The model got **{total_wrong:,}** of {len(data.y_test):,} test images wrong; "
            f"showing **{len(shown)}** matching the filters.")
if not shown:
    st.info("No mistakes match these filters. Try another digit, or *any*.")
    st.stop()

with st.container(key="mistake_grid"):
    st.image([pixelate(data.x_test[e["index"]], 4) for e in shown],
             caption=[f"{e['true']} → {e['predicted']} · {percent(e['confidence'])}" for e in shown], width=112)
st.caption("Under each image: true digit → the model's answer · its confidence.")

st.subheader("Look closer")
options = list(range(len(shown)))
pick = st.selectbox(
    "Mistake", options, key="mis_pick",
    format_func=lambda i: f"#{i + 1}: a {shown[i]['true']} taken for a {shown[i]['predicted']} "
                          f"({percent(shown[i]['confidence'])} sure) · test image {shown[i]['index']}",
)
chosen = shown[pick if pick is not None and pick < len(shown) else 0]
left, right = st.columns([1, 2.2], gap="large")
with left:
    widgets.digit_image(data.x_test[chosen["index"]], scale=8,
                        caption=f"Test image {chosen['index']}: labelled {chosen['true']}")
with right:
    st.markdown(f"The model said **{chosen['predicted']}** ({percent(chosen['confidence'])}); "
                f"it gave the true digit **{chosen['true']}** {percent(chosen['probabilities'][chosen['true']], 1)}.")
    widgets.probability_chart(chosen["probabilities"], key="mis_bars", true_digit=chosen["true"])
    st.caption("Blue: the model's answer. Orange: the true digit.")
