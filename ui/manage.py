"""Renaming and deleting trained models (shipped ones are read-only)."""

from __future__ import annotations

from typing import Sequence

import streamlit as st

from mnist_core.errors import DigitLabError
from mnist_core.registry import ModelCard

from . import resources
from .helpers import esc
from .widgets import ACTIVE_MODEL_KEY, model_label

ss = st.session_state


def _rename(old: str) -> None:
    new = ss.get("manage_new_name", "")
    try:
        resources.get_registry().rename(old, new)
    except DigitLabError as exc:
        ss.manage_message = ("error", str(exc))
        return
    if ss.get(ACTIVE_MODEL_KEY) == old:
        ss[ACTIVE_MODEL_KEY] = new.strip()
    ss.manage_pick = new.strip()  # keep acting on the model just renamed
    ss.manage_new_name = ""  # and do not offer its new name again
    ss.manage_message = ("success", f"Renamed {old!r} to {new.strip()!r}.")


def _delete(name: str) -> None:
    try:
        resources.get_registry().delete(name)
    except DigitLabError as exc:
        ss.manage_message = ("error", str(exc))
        return
    if ss.get(ACTIVE_MODEL_KEY) == name:
        ss.pop(ACTIVE_MODEL_KEY)
    ss.manage_confirm = False
    ss.manage_message = ("success", f"Deleted {name!r}.")


def manage_models(cards: Sequence[ModelCard]) -> None:
    """An expander to rename or delete the models trained here."""
    mine = [c for c in cards if not c.shipped]
    with st.expander("🗂️ Manage trained models", key="manage_models"):
        kind, text = ss.pop("manage_message", (None, ""))
        if kind == "error":
            st.error(esc(text), icon="🚫")
        elif kind == "success":
            st.success(esc(text), icon="✅")
        if not mine:
            st.caption("Models you train appear here; the shipped model cannot be renamed or deleted.")
            return
        by_name = {c.name: c for c in mine}
        name = st.selectbox("Model", list(by_name), key="manage_pick", format_func=lambda n: model_label(by_name[n]))
        cols = st.columns([3, 1], vertical_alignment="bottom")
        cols[0].text_input("New name", key="manage_new_name", max_chars=64,
                           help="Letters, digits, spaces, '-', '_' or '.'.")
        cols[1].button("Rename", key="manage_rename", on_click=_rename, args=(name,), width="stretch")
        cols = st.columns([3, 1], vertical_alignment="bottom")
        confirm = cols[0].checkbox("Yes, delete this model for good", key="manage_confirm")
        cols[1].button("Delete", key="manage_delete", on_click=_delete, args=(name,), disabled=not confirm,
                       width="stretch", type="primary")
