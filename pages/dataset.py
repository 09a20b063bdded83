"""Dataset: what MNIST looks like, and how many of each digit it has."""

import numpy as np
import streamlit as st

from mnist_core.data import class_counts
from ui import charts, widgets
from ui.boot import ensure_app
from ui.helpers import mosaic

ensure_app()  # a fresh server's first request may bypass app.py: route it through

ss = st.session_state
PER_ROW = 10


def _reshuffle() -> None:
    ss.dataset_seed = int(np.random.default_rng().integers(0, 2**31 - 1))


@st.cache_data(show_spinner=False, max_entries=16)
def example_rows(source: str, seed: int, _labels, _images) -> list[np.ndarray]:
    """One mosaic row of ten training images per digit."""
    rng = np.random.default_rng(seed)
    rows = []
    for digit in range(10):
        where = np.flatnonzero(_labels == digit)
        picked = rng.choice(where, size=min(PER_ROW, len(where)), replace=False) if len(where) else where
        rows.append(mosaic(_images[np.sort(picked)], columns=PER_ROW, scale=2, gap=2) if len(picked) else None)
    return rows


st.title("🗂️ Dataset")
data = widgets.require_data()
ss.setdefault("dataset_seed", 0)
train_counts, test_counts = class_counts(data.y_train), class_counts(data.y_test)

st.markdown(
    f"MNIST: **{len(data.y_train):,}** training and **{len(data.y_test):,}** test images of handwritten "
    "digits, each 28×28 grey pixels, white ink on black, centred by their centre of mass."
)
m = st.columns(3)
m[0].metric("Training images", f"{len(data.y_train):,}")
m[1].metric("Test images", f"{len(data.y_test):,}")
m[2].metric("Rarest digit (train)", f"{int(np.argmin(train_counts))}: {min(train_counts):,}")

left, right = st.columns([1.1, 1], gap="large")
with left:
    head, button = st.columns([3, 1], vertical_alignment="bottom")
    head.subheader("Examples of each digit")
    button.button("🔀 Others", on_click=_reshuffle, help="Show other random examples.", key="dataset_shuffle")
    rows = example_rows(data.source, ss.dataset_seed, data.y_train, data.x_train)
    for digit, row in enumerate(rows):
        label, picture = st.columns([1, 14], vertical_alignment="center")
        label.markdown(f"### {digit}")
        if row is not None:
            picture.image(row, width="stretch")
        else:
            picture.caption("No examples of this digit.")
with right:
    st.subheader("Images per digit")
    st.plotly_chart(charts.per_digit_bars({"train": train_counts, "test": test_counts}, title="",
                                          as_percent=False, height=420),
                    key="dataset_counts", config={"displayModeBar": False})
    st.dataframe(
        [{"digit": d, "train": train_counts[d], "test": test_counts[d],
          "train share": train_counts[d] / max(len(data.y_train), 1)} for d in range(10)],
        hide_index=True, width="stretch",
        column_config={"train share": st.column_config.NumberColumn(format="percent")},
    )
