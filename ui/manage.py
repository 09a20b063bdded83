"""Renaming and deleting trained models (shipped ones are read-only), and clearing out broken ones."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import streamlit as st

from mnist_core.errors import DigitLabError
from mnist_core.registry import ModelCard, Problem

from . import classroom, resources
from .helpers import esc
from .widgets import ACTIVE_MODEL_KEY, model_label

ss = st.session_state


def _rename(old: str) -> None:
    new = ss.get("manage_new_name", "")
    try:
        classroom.require("rename_model")
        resources.get_registry().rename(old, new)
        classroom.model_renamed(old, new.strip())
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
        classroom.require("delete_model")
        resources.get_registry().delete(name)
        classroom.model_deleted(name)
    except DigitLabError as exc:
        ss.manage_message = ("error", str(exc))
        return
    if ss.get(ACTIVE_MODEL_KEY) == name:
        ss.pop(ACTIVE_MODEL_KEY)
    ss.manage_confirm = False
    ss.manage_message = ("success", f"Deleted {name!r}.")


def _delete_broken(name: str) -> None:
    try:
        classroom.require("delete_model")
        resources.get_registry().delete(name)
    except DigitLabError as exc:
        ss.manage_message = ("error", str(exc))
        return
    ss.manage_message = ("success", f"Deleted the broken model folder {name!r}.")


def broken_folders(problems: Sequence[Problem]) -> list[str]:
    """Names of the unreadable folders among the trained models (shipped ones are not ours to delete)."""
    root = Path(resources.models_root())
    return [Path(p.folder).name for p in problems if Path(p.folder).parent == root]


def _broken_section(problems: Sequence[Problem], locked: bool) -> None:
    """Broken folders are listed above as warnings; here they can be cleared out."""
    broken = broken_folders(problems)
    if not broken:
        return
    st.markdown("**Broken model folders** (listed above; nothing can use them)")
    confirm = st.checkbox("Yes, delete a broken folder for good", key="manage_broken_confirm")
    for i, name in enumerate(broken):
        cols = st.columns([3, 1], vertical_alignment="center")
        cols[0].markdown(esc(name))
        cols[1].button("Delete", key=f"manage_broken_{i}", on_click=_delete_broken, args=(name,),
                       disabled=not confirm or locked, width="stretch")


def manage_models(cards: Sequence[ModelCard], problems: Sequence[Problem] = ()) -> None:
    """An expander to rename or delete the models trained here, and to delete broken folders."""
    mine = [c for c in cards if not c.shipped]
    with st.expander("🗂️ Manage trained models", key="manage_models"):
        kind, text = ss.pop("manage_message", (None, ""))
        if kind == "error":
            st.error(esc(text), icon="🚫")
        elif kind == "success":
            st.success(esc(text), icon="✅")
        locked = not classroom.role().unrestricted
        _broken_section(problems, locked)
        if not mine:
            st.caption("Models you train appear here; the shipped model cannot be renamed or deleted.")
            return
        if locked:
            st.caption("🔒 Renaming and deleting models needs the teacher: ask them to unlock this browser.")
        by_name = {c.name: c for c in mine}
        name = st.selectbox("Model", list(by_name), key="manage_pick", format_func=lambda n: model_label(by_name[n]))
        cols = st.columns([3, 1], vertical_alignment="bottom")
        cols[0].text_input("New name", key="manage_new_name", max_chars=64,
                           help="Letters, digits, spaces, '-', '_', '.' or brackets.")
        cols[1].button("Rename", key="manage_rename", on_click=_rename, args=(name,), width="stretch",
                       disabled=locked)
        cols = st.columns([3, 1], vertical_alignment="bottom")
        confirm = cols[0].checkbox("Yes, delete this model for good", key="manage_confirm")
        cols[1].button("Delete", key="manage_delete", on_click=_delete, args=(name,), disabled=not confirm or locked,
                       width="stretch", type="primary")
