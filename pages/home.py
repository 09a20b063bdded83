"""Home: what Digit Lab is, the active model, and the way to every page."""

import streamlit as st

from ui import classroom, navigation, resources, widgets
from ui.manage import manage_models
from ui.boot import ensure_app

ensure_app()  # a fresh server's first request may bypass app.py: route it through

st.title("🔢 Digit Lab")
with st.container(key="hero"):
    st.markdown(
        "Draw a digit and watch a neural network trained on MNIST, 70,000 handwritten digits, "
        "recognise it as you draw. Train your own networks right here in the browser, see where "
        "they go wrong, and compare them."
    )

cards, problems = resources.scan_models()
active = widgets.resolve_active(cards)

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("Active model")
    if active is None:
        widgets.no_models_message()
    else:
        widgets.model_card(active)
        st.caption("Change it on the Draw, Evaluate or Mistakes page; every page uses the same one.")
    job = resources.training_job().state
    if job.active:
        st.info(widgets.esc(job.describe(st.session_state.get("owner"))), icon="⏳")
    widgets.show_problems(problems)
    manage_models(cards, problems)

with right:
    classroom.teacher_panel("home")
    st.subheader("Explore")
    for page in navigation.PAGES:
        if page.name != navigation.HOME:
            with st.container(border=True):
                widgets.link(page.name, page.title, icon=page.icon)
                st.caption(page.blurb)
