"""The Evaluate page's downloads: the .keras file and TensorFlow Lite (float, int8) with their parity table.

Converting takes seconds to a minute, so it happens on a button press, with a
progress bar, and the result is kept for the whole server, keyed by model name
and version (folder modification time): a retrained model is converted anew,
and thirty pupils pressing the same button convert once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import streamlit as st

from mnist_core.errors import DigitLabError
from mnist_core.export import GOALS, ParityReport, TfliteExport, export_tflite
from mnist_core.registry import MODEL_FILE, ModelCard
from ui import resources

VARIANTS = {"float": False, "int8": True}
KEPT_EXPORTS = 12
REQUEST_KEY = "export_request"


class ExportStore:
    """Finished exports by (folder, model, version, variant): a few, shared, thread-safe."""

    def __init__(self, limit: int = KEPT_EXPORTS) -> None:
        self.converting = threading.Lock()  # one conversion at a time: it takes both cores
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple, TfliteExport] = OrderedDict()
        self.limit = limit

    def get(self, key: tuple) -> TfliteExport | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
            return self._items.get(key)

    def put(self, key: tuple, value: TfliteExport) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.limit:
                self._items.popitem(last=False)


@st.cache_resource(show_spinner=False)
def _store() -> ExportStore:
    return ExportStore()


def _key(card: ModelCard, variant: str) -> tuple:
    return resources.models_root(), resources.shipped_root(), card.name, resources.model_version(card.name), variant


def _convert(card: ModelCard, variant: str, data) -> TfliteExport:
    """Convert under the server-wide lock, showing progress; another session may have done it meanwhile."""
    store, key = _store(), _key(card, variant)
    bar = st.progress(0.0, text="Starting (after any other export on this server)…")
    with store.converting:
        done = store.get(key)
        if done is not None:
            bar.empty()
            return done
        folder = resources.get_registry().folder(card.name)
        exported = export_tflite(
            resources.get_predictor(card.name).model, data, int8=VARIANTS[variant],
            keras_probs=resources.get_test_probabilities(card.name),
            keras_size=(folder / MODEL_FILE).stat().st_size,
            progress=lambda fraction, text: bar.progress(min(max(fraction, 0.0), 1.0), text=text),
        )
        store.put(key, exported)
    bar.empty()
    return exported


def _file_stem(card: ModelCard) -> str:
    return card.name.replace(" ", "_")


def _keras_bytes(card: ModelCard):
    folder = resources.get_registry().folder(card.name)
    return lambda: (folder / MODEL_FILE).read_bytes()


def parity_rows(reports: list[ParityReport]) -> list[dict]:
    rows = []
    for r in reports:
        agreement, gap = GOALS[r.variant]
        rows.append({
            "TFLite": r.variant, "same answer as Keras": r.agreement, "Keras accuracy": r.keras_accuracy,
            "TFLite accuracy": r.tflite_accuracy, "difference (points)": round(r.accuracy_gap_points, 2),
            "size (KB)": round(r.size_bytes / 1024, 1), "ms per image": round(r.latency_ms, 3),
            "goal": ("✅ met" if r.meets_goal else "❌ not met") + f" (≥ {agreement:.1%}, ≤ {gap} points)",
        })
    return rows


def _request(variant: str) -> None:
    """A callback, not the button's return value: the request survives a rerun before the page is drawn."""
    st.session_state[REQUEST_KEY] = variant


def _variant_column(card: ModelCard, variant: str, data) -> TfliteExport | None:
    exported = _store().get(_key(card, variant))
    label = "float" if variant == "float" else "int8 (full-integer)"
    if exported is None:
        st.button(f"Convert to .tflite ({label})", key=f"export_{variant}", width="stretch",
                  on_click=_request, args=(variant,))
    if exported is None and st.session_state.pop(REQUEST_KEY, None) == variant:
        try:
            exported = _convert(card, variant, data)
        except (DigitLabError, OSError) as exc:
            st.error(str(exc))
            return None
    if exported is not None:
        st.download_button(f"Download .tflite ({label})", exported.content, icon="📱", width="stretch",
                           file_name=f"{_file_stem(card)}{'-int8' if variant == 'int8' else ''}.tflite",
                           mime="application/octet-stream", on_click="ignore", key=f"download_{variant}")
    return exported


def export_section(card: ModelCard, data) -> None:
    """Three downloads side by side, and the parity table of whatever has been converted."""
    st.subheader("Download the model")
    st.caption("`.keras` for Keras and TensorFlow; `.tflite` for phones and small boards. Converting checks the "
               "TFLite model against Keras on all test images (this takes a while; the result is kept).")
    left, middle, right = st.columns(3)
    with left:
        try:
            st.download_button("Download .keras", _keras_bytes(card), icon="💾", width="stretch",
                               file_name=f"{_file_stem(card)}.keras", mime="application/octet-stream",
                               on_click="ignore", key="download_keras")
        except DigitLabError as exc:
            st.error(str(exc))
    reports = []
    for column, variant in ((middle, "float"), (right, "int8")):
        with column:
            exported = _variant_column(card, variant, data)
            if exported is not None:
                reports.append(exported.report)
    if reports:
        st.dataframe(parity_rows(reports), hide_index=True, width="stretch", column_config={
            "same answer as Keras": st.column_config.NumberColumn(format="percent"),
            "Keras accuracy": st.column_config.NumberColumn(format="percent"),
            "TFLite accuracy": st.column_config.NumberColumn(format="percent"),
        })
        st.caption(f"On {reports[0].images:,} MNIST test images; time per image with batch size one, one thread, "
                   f"through the {reports[0].runtime} interpreter. The .keras file is "
                   f"{reports[0].keras_size_bytes / 1024:,.0f} KB.")
