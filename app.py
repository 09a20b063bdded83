"""Digit Lab: `streamlit run app.py`.

The entry point only sets the page up and routes; each page lives in pages/,
shared Streamlit helpers in ui/, and all the real work in mnist_core.
"""

import streamlit as st

from ui import classroom, navigation, style, widgets
from ui.boot import ensure_app

ensure_app()  # leave Streamlit's pages-folder mode before anything is drawn

st.set_page_config(page_title="Digit Lab", page_icon="🔢", layout="wide")
style.inject()
classroom.ensure_identity()  # this browser's anonymous id, for its drawings and its training runs
if classroom.role().class_mode:
    with st.sidebar:
        classroom.teacher_panel("sidebar")

pages = navigation.streamlit_pages()  # the one list of pages: ui/navigation.py
router = st.navigation(pages, position="top")
widgets.phone_nav(pages)  # on a phone Streamlit folds the top bar into a menu: keep every page one tap away
router.run()
