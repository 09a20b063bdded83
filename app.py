"""Digit Lab: `streamlit run app.py`.

The entry point only sets the page up and routes; each page lives in pages/,
shared Streamlit helpers in ui/, and all the real work in mnist_core.
"""

import streamlit as st

from ui import classroom, style, widgets
from ui.boot import ensure_app

ensure_app()  # leave Streamlit's pages-folder mode before anything is drawn

st.set_page_config(page_title="Digit Lab", page_icon="🔢", layout="wide")
style.inject()
classroom.ensure_identity()  # this browser's anonymous id, for its drawings and its training runs
if classroom.role().class_mode:
    with st.sidebar:
        classroom.teacher_panel("sidebar")

pages = [
    st.Page("pages/home.py", title="Home", icon="🏠", url_path="", default=True),
    st.Page("pages/draw.py", title="Draw", icon="✏️", url_path="draw"),
    st.Page("pages/train.py", title="Train", icon="🏋️", url_path="train"),
    st.Page("pages/evaluate.py", title="Evaluate", icon="📊", url_path="evaluate"),
    st.Page("pages/mistakes.py", title="Mistakes", icon="🔍", url_path="mistakes"),
    st.Page("pages/dataset.py", title="Dataset", icon="🗂️", url_path="dataset"),
    st.Page("pages/look_inside.py", title="Look inside", icon="🔬", url_path="look_inside"),
    st.Page("pages/class.py", title="Class", icon="🏫", url_path="class"),
]
navigation = st.navigation(pages, position="top")
widgets.phone_nav(pages)  # on a phone Streamlit folds the top bar into a menu: keep every page one tap away
navigation.run()
