"""Class: the drawings the class labelled, how each model reads them, and teaching it our handwriting."""

import streamlit as st

from ui import class_view, classroom, resources, widgets
from ui.boot import ensure_app

ensure_app()  # a fresh server's first request may bypass app.py: route it through

st.title("🏫 Class")
st.caption("Every drawing labelled with ✓ Right or ✗ Wrong on the Draw page lands here. "
           "No names: each browser is an anonymous visitor.")
classroom.teacher_panel("class")
cards, _ = resources.scan_models()

gallery, models, teach, settings, files = st.tabs(
    ["🖼️ Drawings", "📊 How the models do", "🎓 Teach it", "⚙️ Class settings", "📦 Import / export"])
with gallery:
    class_view.gallery(cards)
with models:
    class_view.model_scores(cards)
with teach:
    class_view.teach(cards)
with settings:
    class_view.settings(cards)
with files:
    class_view.import_export()
widgets.link("draw", "Draw and label more digits", icon="✏️")
