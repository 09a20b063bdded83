"""Make sure every run goes through app.py and its st.navigation.

Streamlit treats a folder called pages/ beside the main script as the old
(v1) multipage layout until the first st.navigation call. On a fresh server
whose first visitor opens /draw directly, that router would run pages/draw.py
on its own: no page config, no styling, the old sidebar. So app.py and every
page call ensure_app() first: when it finds Streamlit still in pages-folder
mode, it switches to st.navigation mode and reruns, which lands on the same
page (a page is identified by its url_path, the same in both modes).
"""

import streamlit as st

try:
    from streamlit.runtime.pages_manager import PagesManager
except ImportError:  # a future Streamlit without the v1 router: nothing to do
    PagesManager = None


def ensure_app() -> None:
    if PagesManager is not None and getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()
