"""The Class page's parts: gallery, model scores, fine-tuning, the teacher's settings, import and export.

Everything reads the class's database through mnist_core; the scores of a
model on the drawings are cached by (model version, drawings version), and the
gallery and scores refresh every few seconds, so the page follows the class as
drawings come in.
"""

from __future__ import annotations

import io
import logging
from dataclasses import asdict
from typing import Sequence

import numpy as np
import streamlit as st

from mnist_core import class_settings, drawings, roles
from mnist_core.database import database_url
from mnist_core.drawings import Filter
from mnist_core.errors import DigitLabError
from mnist_core.jobs import data_file
from mnist_core.evaluation import confusion_matrix
from mnist_core.presets import PRESETS
from mnist_core.registry import ModelCard, check_name

from . import charts, classroom, resources, widgets
from .helpers import esc, per_digit_accuracy, pixelate

log = logging.getLogger("digitlab.class")
ss = st.session_state
GALLERY_SIZE = 48
GALLERY_COLUMNS = 8
REFRESH_SECONDS = 5
ALL = "All"


def _database_problem(exc: Exception) -> None:
    log.warning("class database unavailable: %s", exc)
    st.error("**The class's database cannot be reached.** Drawing still works; the class's drawings will be "
             "back when the database is.", icon="🗄️")


# ---- gallery ------------------------------------------------------------------------------------
def _filter_controls(stats: drawings.Stats) -> Filter:
    c1, c2, c3 = st.columns([1, 1, 2], vertical_alignment="bottom")
    digit = c1.selectbox("Digit", [ALL, *range(10)], key="class_digit")
    wrong = c2.toggle("Only the ones it got wrong", key="class_wrong")
    models = [ALL, *sorted(stats.per_model)]
    model = c3.selectbox("Answered by", models, key="class_model")
    return Filter(digit=None if digit == ALL else int(digit), wrong_only=wrong,
                  model_name=None if model == ALL else model)


def _remove_selected() -> None:
    chosen = [int(k.split("_")[-1]) for k, v in ss.items() if isinstance(k, str) and k.startswith("class_rm_") and v]
    try:
        classroom.require("remove_drawings")
        removed = drawings.delete(chosen)
    except DigitLabError as exc:
        ss.class_message = ("error", str(exc))
        return
    for drawing_id in chosen:
        ss.pop(f"class_rm_{drawing_id}", None)
    ss.class_message = ("success", f"Removed {removed} drawing{'s' * (removed != 1)}.")
    try:
        class_settings.audit("remove-drawings", classroom.browser_id(), ",".join(map(str, chosen))[:500])
    except Exception as exc:
        log.warning("removal not audited: %s", exc)


def _message() -> None:
    kind, text = ss.pop("class_message", (None, ""))
    if kind == "error":
        st.error(esc(text), icon="🚫")
    elif kind == "success":
        st.success(esc(text), icon="✅")


@st.fragment(run_every=REFRESH_SECONDS)
def gallery(cards: Sequence[ModelCard]) -> None:
    try:
        stats = drawings.stats()
    except Exception as exc:
        _database_problem(exc)
        return
    m1, m2, m3 = st.columns(3)
    m1.metric("Labelled drawings", f"{stats.total:,}")
    m2.metric("Browsers", f"{stats.browsers:,}")
    m3.metric("The network got wrong", f"{stats.wrong:,}",
              help="Drawings whose label differs from the answer the model gave while it was drawn, including "
                   "digits it called \"not a digit\". Imported drawings had no model's answer and count for none.")
    if stats.total:
        st.caption("Per digit: " + " · ".join(f"{d}: {n}" for d, n in enumerate(stats.per_digit)))
    else:
        st.info("No drawings yet. On the Draw page, tap **✓ Right** or **✗ Wrong, it is …** after each answer.",
                icon="✏️")
        return
    selection = _filter_controls(stats)
    shown = drawings.query(selection, limit=GALLERY_SIZE)
    total = drawings.count(selection)
    st.caption(f"Showing the newest {len(shown)} of {total} matching drawings: label, then the network's answer.")
    teacher = classroom.role().unrestricted
    _message()
    with st.container(key="class_gallery"):
        for start in range(0, len(shown), GALLERY_COLUMNS):
            columns = st.columns(GALLERY_COLUMNS)
            for column, item in zip(columns, shown[start:start + GALLERY_COLUMNS]):
                with column:
                    _tile(item, teacher)
    if teacher:
        picked = sum(1 for k, v in ss.items() if isinstance(k, str) and k.startswith("class_rm_") and v)
        st.button(f"🗑️ Remove {picked} selected drawing{'s' * (picked != 1)}", key="class_remove",
                  disabled=picked == 0, on_click=_remove_selected,
                  help="For drawings with a wrong label (a 3 labelled as 8) or scribbles.")
    else:
        st.caption("🔒 Removing drawings needs the teacher.")


def _tile(item: drawings.StoredDrawing, teacher: bool) -> None:
    st.image(pixelate(item.pixels.astype(np.float32) / 255.0, 3), width="stretch")
    st.caption(f"**{item.label}** · {drawings.verdict(item)}")
    if teacher:
        st.checkbox("remove", key=f"class_rm_{item.id}", label_visibility="visible")


# ---- how the models do --------------------------------------------------------------------------
@st.cache_data(max_entries=16, show_spinner="Scoring the model on the class's drawings…")
def _class_probabilities(name: str, model_version: int, drawings_version: tuple[int, int],
                         url: str) -> tuple[np.ndarray, np.ndarray]:
    from mnist_core.data import to_model_input

    x, y, _ = drawings.arrays(url=url)
    predictor = resources.get_predictor(name)
    probs = predictor.predict_batch(to_model_input(x), reading=True) if len(x) else np.zeros((0, 10))
    return probs.astype(np.float32), y.astype(np.int64)


def class_scores(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities, labels) of model ``name`` on every stored drawing; cached until either changes."""
    url = database_url()
    return _class_probabilities(name, resources.model_version(name), drawings.version(url), url)


@st.fragment(run_every=REFRESH_SECONDS)
def model_scores(cards: Sequence[ModelCard]) -> None:
    if not cards:
        widgets.no_models_message()
        return
    left, right = st.columns(2)
    with left:
        card = widgets.model_picker(cards, key="pick_class")
    with right:
        other = widgets.second_model_picker(cards, exclude=card.name, key="class_compare",
                                            label="Compare with") if len(cards) > 1 else None
    try:
        probs, labels = class_scores(card.name)
        other_scores = class_scores(other.name) if other is not None else None
    except DigitLabError as exc:
        st.error(esc(exc), icon="🚫")
        return
    except Exception as exc:
        _database_problem(exc)
        return
    if not len(labels):
        st.info("No drawings yet: label some on the Draw page and they are scored here at once.", icon="✏️")
        return
    matrix = confusion_matrix(labels, probs.argmax(axis=1))
    accuracy = float((probs.argmax(axis=1) == labels).mean())
    c1, c2, c3 = st.columns(3)
    c1.metric(f"{card.name} on the class", f"{accuracy:.1%}", help="Share of the class's drawings it reads right.")
    c2.metric("on MNIST test", f"{card.test_accuracy:.2%}" if card.test_accuracy is not None else "—")
    series = {card.name: per_digit_accuracy(matrix)}
    if other_scores is not None:
        other_probs, other_labels = other_scores
        other_accuracy = float((other_probs.argmax(axis=1) == other_labels).mean())
        c3.metric(f"{other.name} on the class", f"{other_accuracy:.1%}",
                  delta=f"{(other_accuracy - accuracy) * 100:+.1f} points")
        series[other.name] = per_digit_accuracy(confusion_matrix(other_labels, other_probs.argmax(axis=1)))
    st.caption(f"{len(labels):,} drawings. Updates by itself as the class labels more.")
    st.plotly_chart(charts.per_digit_bars(series, title="Accuracy per digit on the class's drawings"),
                    key="class_per_digit", config={"displayModeBar": False})
    st.markdown(f"**Confusion matrix of {esc(card.name)}** (rows: the label, columns: the answer)")
    st.plotly_chart(charts.confusion_figure(matrix, normalised=False, height=480), key="class_confusion",
                    config={"displayModeBar": False})


# ---- teaching it our handwriting --------------------------------------------------------------
def _start_finetune(base: str) -> None:
    from mnist_core.finetune import FinetuneSettings

    try:
        classroom.require("finetune")
        name = check_name(ss.get("finetune_name", ""))
        cards = resources.scan_models()[0]
        if name in {c.name for c in cards}:
            raise DigitLabError(f"A model called {name!r} already exists; choose another name.")
        classroom.check_new_model([c.name for c in cards if not c.shipped])  # the same limits as training
        settings = FinetuneSettings(epochs=int(ss.get("finetune_epochs", 4))).check()
        resources.training_job().start_run(
            "finetune", owner=classroom.owner(), preset=f"fine-tune of {base}", name=name,
            settings=asdict(settings), epochs=settings.epochs,
            options={"base": base, "db": database_url(), "data": data_file(resources.get_data())})
        classroom.record_start(name)
        class_settings.audit("finetune", classroom.browser_id(), f"{base} -> {name}")
    except DigitLabError as exc:
        ss.finetune_error = str(exc)


def teach(cards: Sequence[ModelCard]) -> None:
    st.markdown("**Teach it our handwriting.** Fine-tunes a model on the class's drawings, mixed with MNIST so it "
                "does not forget, and keeps a fifth of each digit's drawings aside to show before and after.")
    state = resources.training_job().state
    if state.active:
        st.info(esc(state.describe(st.session_state.get("owner"))), icon="⏳")
        widgets.link("train", "Follow it on the Train page (progress and Stop)", icon="🏋️")
        return
    if state.card is not None and "finetune" in state.card.metrics and state.status in ("done", "stopped"):
        from mnist_core.finetune import describe

        st.success(f"{esc(state.message)} {esc(describe(state.card.metrics['finetune']))}.", icon="🎓")
    role = classroom.role()
    if not role.unrestricted:
        st.caption("🔒 Fine-tuning needs the teacher: ask them to unlock this browser.")
        return
    if not cards:
        widgets.no_models_message()
        return
    by_name = {c.name: c for c in cards}
    base = st.selectbox("Start from", list(by_name), key="finetune_base",
                        format_func=lambda n: widgets.model_label(by_name[n]))
    c1, c2 = st.columns([3, 1])
    ss.setdefault("finetune_name", f"{base[:40]} class")
    c1.text_input("New model's name", key="finetune_name", max_chars=64)
    c2.number_input("Epochs", 1, 20, 4, key="finetune_epochs")
    try:
        count = drawings.count()
    except Exception as exc:
        _database_problem(exc)
        return
    st.caption(f"{count:,} labelled drawings will be used.")
    st.button("🎓 Teach it our handwriting", type="primary", key="finetune_start", on_click=_start_finetune,
              args=(base,), disabled=count < 20, help="Runs in the training slot, with progress and Stop.")
    error = ss.pop("finetune_error", None)
    if error:
        st.error(esc(error), icon="🚫")


# ---- the teacher's settings ----------------------------------------------------------------------
def _save_limits() -> None:
    try:
        limits = roles.Limits.from_dict({
            "allowed_presets": ss.get("limit_presets", []), "max_minutes": ss.get("limit_minutes"),
            "models_per_pupil": ss.get("limit_per_pupil"), "total_models": ss.get("limit_total"),
        }, known_presets=PRESETS)
        roles.save_limits(limits, classroom.role(), classroom.browser_id())
    except DigitLabError as exc:
        ss.settings_message = ("error", str(exc))
        return
    classroom.forget_limits_cache()
    ss.settings_message = ("success", "Saved the class limits.")


def _save_default(by_name: dict) -> None:
    name = ss.get("class_default_pick")
    try:
        card = by_name.get(name)
        classroom.set_class_default(None if name == ALL else name, card.metrics if card else None)
    except DigitLabError as exc:
        ss.settings_message = ("error", str(exc))
        return
    ss.settings_message = ("success", f"The class's default model is now {name if name != ALL else 'the shipped one'}.")


def settings(cards: Sequence[ModelCard]) -> None:
    role = classroom.role()
    if not role.class_mode:
        st.caption("One-person mode: no teacher key is set (`DIGITLAB_TEACHER_KEY`), so everything is allowed.")
    limits = classroom.limits()
    kind, text = ss.pop("settings_message", (None, ""))
    if kind:
        (st.error if kind == "error" else st.success)(esc(text))
    editable = role.class_mode and role.teacher
    st.markdown("**What pupils may start**")
    st.multiselect("Networks pupils may train", list(PRESETS), default=list(limits.allowed_presets),
                   key="limit_presets", disabled=not editable, format_func=lambda n: PRESETS[n].title)
    c1, c2, c3 = st.columns(3)
    c1.number_input("Longest estimated run (minutes)", 0.5, 600.0, float(limits.max_minutes), step=0.5,
                    key="limit_minutes", disabled=not editable)
    c2.number_input("Models per pupil", 0, 100, int(limits.models_per_pupil), key="limit_per_pupil",
                    disabled=not editable)
    c3.number_input("Trained models on the server, in all", 1, 10_000, int(limits.total_models), key="limit_total",
                    disabled=not editable)
    if editable:
        st.button("Save the limits", key="limit_save", on_click=_save_limits)
    elif role.class_mode:
        st.caption("🔒 The teacher sets these.")

    st.markdown("**The class's default model** (what every new visitor draws with)")
    by_name = {c.name: c for c in cards}
    current = classroom.class_default()
    options = [ALL, *by_name]
    index = options.index(current) if current in options else 0
    st.selectbox("Default model", options, index=index, key="class_default_pick",
                 format_func=lambda n: "the shipped model" if n == ALL else widgets.model_label(by_name[n]),
                 disabled=not role.unrestricted)
    if role.unrestricted:
        st.button("Make it the default", key="class_default_save", on_click=_save_default, args=(by_name,),
                  help="A fine-tuned model that forgot more than 0.3 points of MNIST is refused.")
    if editable:
        with st.expander("Recent teacher events"):
            for event in class_settings.recent_events(20):
                st.caption(f"{event.created:%Y-%m-%d %H:%M:%S} · {esc(event.action)} · {esc(event.detail)}")


# ---- import and export -----------------------------------------------------------------------------
@st.cache_data(max_entries=4, show_spinner=False)
def _export(kind: str, drawings_version: tuple[int, int], url: str) -> bytes:
    buffer = io.BytesIO()
    (drawings.export_npz if kind == "npz" else drawings.export_csv)(buffer, url=url)
    return buffer.getvalue()


def _import() -> None:
    upload = ss.get("class_import_file")
    if upload is None:
        return
    try:
        classroom.require("import_drawings")
        added, known = drawings.import_file(upload.name, data=upload.getvalue())
    except DigitLabError as exc:
        ss.import_message = ("error", str(exc))
        return
    note = f", {known} were already there" if known else ""
    ss.import_message = ("success", f"Imported {added} drawing{'s' * (added != 1)} from {upload.name}{note}.")


def import_export() -> None:
    url = database_url()
    try:
        version = drawings.version(url)
    except Exception as exc:
        _database_problem(exc)
        return
    st.markdown(f"**Download the class's {version[0]:,} drawings**")
    c1, c2 = st.columns(2)
    c1.download_button("⬇️ npz (MNIST's layout: x, y)", _export("npz", version, url), file_name="class-drawings.npz",
                       mime="application/octet-stream", key="class_export_npz", on_click="ignore")
    c2.download_button("⬇️ CSV (label, pixel0 … pixel783)", _export("csv", version, url),
                       file_name="class-drawings.csv", mime="text/csv", key="class_export_csv", on_click="ignore")
    st.markdown("**Import drawings** from such a file (or MNIST's own npz)")
    if not classroom.role().unrestricted:
        st.caption("🔒 Importing needs the teacher.")
        return
    st.file_uploader("npz or CSV file", type=["npz", "csv"], key="class_import_file")
    st.button("Import", key="class_import", on_click=_import)
    kind, text = ss.pop("import_message", (None, ""))
    if kind:
        (st.error if kind == "error" else st.success)(esc(text))
