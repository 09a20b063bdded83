"""Look-inside views: the pictures a teacher would draw on the board, computed live.

Heavy results (saliency, activations) are cached per (model, drawing), so
every widget on a page reuses one computation per drawing.
"""

from __future__ import annotations

import hashlib

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from mnist_core.inspection import LayerActivation, tile
from mnist_core.preprocessing import Preprocessed
from mnist_core.presets import layer_table

from . import charts, resources
from .helpers import percent, pixelate

STEP_NOTES = {
    "canvas": "Your drawing, as the canvas sends it.",
    "cropped": "Cropped to the ink: MNIST digits were cut out of their forms the same way.",
    "scaled": "Scaled to fit a 20×20 box, keeping its shape, with smooth (anti-aliased) edges, like MNIST.",
    "centred": "Placed in 28×28 so its centre of mass is in the middle: where MNIST put every digit.",
}


def _digest(image: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(image, dtype=np.float32).tobytes()).hexdigest()


def _input(image: np.ndarray) -> np.ndarray:
    return np.asarray(image, dtype=np.float32).reshape(28, 28)


def top_two(probs) -> tuple[int, int]:
    """The winner and the runner-up."""
    order = np.argsort(-np.asarray(probs))
    return int(order[0]), int(order[1])


# The model comes in looked up once by the page (resources.ModelHandle); name and version key the caches,
# the handle itself (underscored: not hashed) does the work. Probabilities come from the page too: it has them.
@st.cache_data(max_entries=64, show_spinner=False)
def _saliency(name: str, version: int, digest: str, digits: tuple[int, ...], _image: np.ndarray,
              _model: resources.ModelHandle) -> dict[int, np.ndarray]:
    inspect = _model.inspector
    return {digit: inspect.saliency(_image, digit) for digit in digits}


@st.cache_data(max_entries=64, show_spinner=False)
def _layers(name: str, version: int, digest: str, _image: np.ndarray, _model: resources.ModelHandle) -> dict:
    inspect = _model.inspector
    return {"logits": inspect.logits(_image)[0], "activations": inspect.activations(_image)}


def probabilities(model: resources.ModelHandle, image: np.ndarray, probs=None) -> np.ndarray:
    """The page's probabilities when it has them, else the model's reading (one call)."""
    return np.asarray(probs) if probs is not None else model.predictor.reading(_input(image))[0]


POSITIVE = np.array([1.0, 0.35, 0.05])  # orange-red: this ink voted for the digit
NEGATIVE = np.array([0.1, 0.45, 1.0])  # blue: this ink voted against it


def saliency_overlay(image: np.ndarray, saliency: np.ndarray, scale: int = 10) -> np.ndarray:
    """The input in dim grey, coloured where ink pushed towards (orange) or away from (blue) the digit."""
    magnitude = np.abs(saliency)
    nonzero = magnitude[magnitude > 0]
    peak = float(np.percentile(nonzero, 98)) if nonzero.size else 1.0  # a few hot pixels must not wash out the rest
    strength = np.clip(magnitude / max(peak, 1e-8), 0, 1)[..., None]
    colour = np.where((saliency >= 0)[..., None], POSITIVE, NEGATIVE)
    grey = (np.clip(image, 0, 1) * 0.35)[..., None].repeat(3, axis=-1)
    rgb = grey * (1 - strength) + colour * strength
    return np.repeat(np.repeat((rgb * 255).astype(np.uint8), scale, 0), scale, 1)


def steps_view(steps: Preprocessed, canvas: np.ndarray | None) -> None:
    """From drawing to input, one picture per step with why MNIST does it."""
    cols = st.columns(5)
    pictures = [
        ("canvas", canvas if canvas is not None else steps.ink),
        ("cropped", steps.cropped),
        ("scaled", steps.scaled),
        ("centred", steps.centred),
    ]
    for col, (name, picture) in zip(cols, pictures):
        with col:
            st.markdown(f"**{name.capitalize()}**")
            if picture is None:
                st.caption("—")
                continue
            if name in ("scaled", "centred"):
                st.image(pixelate(picture, 8), width="stretch")
            else:
                st.image(_display(picture), width="stretch")
            st.caption(STEP_NOTES[name])
    with cols[4]:
        st.markdown("**784 numbers**")
        st.plotly_chart(_numbers_figure(steps.centred), key="steps_numbers", config={"displayModeBar": False})
        st.caption("The network receives these 28×28 = 784 brightness values, 0 (paper) to 1 (ink): "
                   "point at a pixel to read its value.")


def _display(picture: np.ndarray) -> np.ndarray:
    array = np.asarray(picture)
    if array.dtype != np.uint8:
        array = (np.clip(array, 0, 1) * 255).astype(np.uint8)
    return array


def _numbers_figure(centred: np.ndarray) -> go.Figure:
    # 784 printed values are unreadable at this size: the values are in the hover instead
    fig = go.Figure(go.Heatmap(z=np.round(centred, 2), colorscale="gray", showscale=False, zmin=0, zmax=1,
                               hovertemplate="row %{y}, column %{x}: %{z:.2f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", visible=False)
    fig.update_xaxes(visible=False)
    fig.update_layout(height=220, margin=dict(l=0, r=0, t=0, b=0))
    return fig


def why_view(model: resources.ModelHandle, image: np.ndarray, key: str, probs=None, scale: int = 10) -> None:
    """Saliency for the winner and the runner-up: 'why 7 and not 1?'."""
    image = _input(image)
    probs = probabilities(model, image, probs)
    winner, runner = top_two(probs)
    saliency = _saliency(model.name, model.version, _digest(image), (winner, runner), image, model)
    cols = st.columns(2)
    for col, digit in zip(cols, (winner, runner)):
        with col:
            label = "Why" if digit == winner else "Why not"
            st.markdown(f"**{label} {digit}** ({percent(probs[digit])})")
            st.image(saliency_overlay(image, saliency[digit], scale), width=min(28 * scale, 320))
    st.caption("**Integrated gradients** fade the drawing in from a blank image and add up, pixel by pixel, "
               "how much each bit of ink moved the score. Orange ink pushed the network towards that digit, "
               "blue ink pushed it away: compare the two pictures to see which strokes decided between them.")


TEACHING_KINDS = ("Conv2D", "Dense")  # the layers whose activations teach something, shown by default
MAIN_KINDS = ("Conv2D", "MaxPooling2D", "AveragePooling2D", "Flatten", "Dense")  # a box in the diagram each
HELPER_NOTES = {"BatchNormalization": "batch norm", "Activation": "activation", "Dropout": "dropout",
                "ReLU": "ReLU", "Softmax": "softmax"}


def _shape(row: dict) -> str:
    return row["output shape"].replace("None, ", "").strip("()").rstrip(",").replace(", ", "×")


def architecture_nodes(rows: list[dict]) -> list[dict]:
    """The diagram's boxes: one per main layer, with the helper layers after it (batch norm, dropout…)
    folded into its box as a note, so a 22-layer CNN reads as 9 boxes."""
    nodes: list[dict] = []
    for row in rows:
        kind = str(row["type"])
        if kind in MAIN_KINDS or not nodes:
            nodes.append({"type": kind, "shape": _shape(row), "parameters": int(row["parameters"]), "notes": []})
        else:
            node = nodes[-1]
            note = HELPER_NOTES.get(kind, kind)
            if note not in node["notes"]:
                node["notes"].append(note)
            node["parameters"] += int(row["parameters"])
            node["shape"] = _shape(row)
    return nodes


def architecture_view(model) -> None:
    rows = layer_table(model)
    total = sum(r["parameters"] for r in rows)
    nodes = architecture_nodes(rows)
    tall = len(nodes) > 6  # many boxes read better top to bottom, at full size, than squeezed into a row
    dot = [f"digraph {{ rankdir={'TB' if tall else 'LR'}; nodesep=0.25; ranksep=0.3;",
           '  node [shape=box, style="rounded,filled", fillcolor="#EAF2FB", color="#2E86DE", '
           'fontname="Helvetica", fontsize=16];',
           '  input [label="input\n28×28×1"];']
    previous = "input"
    for i, node in enumerate(nodes):
        notes = f"\n+ {', '.join(node['notes'])}" if node["notes"] else ""
        dot.append(f'  l{i} [label="{node["type"]} → {node["shape"]}{notes}\n{node["parameters"]:,} params"];')
        dot.append(f"  {previous} -> l{i};")
        previous = f"l{i}"
    dot.append("}")
    # a tall diagram sits beside its notes; a short one spans the page above them
    diagram, notes = st.columns([1, 1.4], gap="large") if tall else (st.container(), st.container())
    diagram.graphviz_chart("\n".join(dot), width="content" if tall else "stretch")
    with notes:
        st.caption(f"{total:,} trainable numbers in all. Each box is one layer that transforms the picture; "
                   "helpers such as batch norm and dropout are folded into the box before them.")
        with st.expander(f"All {len(rows)} layers, one per row"):
            st.dataframe(rows, hide_index=True, width="stretch")


def weights_view(model: resources.ModelHandle, units: int) -> None:
    kind, weights = model.inspector.first_layer_weights()
    if kind == "dense":
        shown = weights[:units]
        st.image(pixelate(tile(shown, columns=min(8, len(shown))), 6), width="stretch")
        st.caption(f"Each square is one first-layer unit's 784 weights laid out as 28×28 (first {len(shown)} of "
                   f"{len(weights)}): bright = this pixel's ink excites the unit, dark = it inhibits it.")
    elif kind == "conv":
        shown = weights[:units]
        st.image(pixelate(tile(shown, columns=min(8, len(shown))), 24), width="stretch")
        st.caption(f"The first convolution's {len(weights)} filters ({weights.shape[1]}×{weights.shape[2]}): "
                   "each slides over the image looking for its little pattern of light and dark.")
    else:
        st.info("This network has no first layer with pictureable weights.")


def activations_view(model: resources.ModelHandle, image: np.ndarray, probs=None, max_maps: int = 16) -> None:
    image = _input(image)
    result = _layers(model.name, model.version, _digest(image), image, model)
    every = st.toggle("Show every layer (pooling, batch norm, dropout…)", key="inside_all_layers",
                      help="By default only the layers that learn something: convolutions and dense layers.")
    shown = [act for act in result["activations"]
             if act.kind not in ("Flatten", "InputLayer") and (every or act.kind in TEACHING_KINDS)]
    last = result["activations"][-1].name if result["activations"] else None
    for act in shown:
        with st.container(border=True):
            st.markdown(f"**{act.name}** · {act.kind} · output {tuple(act.values.shape)}")
            _activation(act, max_maps, digits=act.name == last and act.values.size == 10)
    output_scores(result["logits"], probabilities(model, image, probs), zoomed=model.predictor.zooms)


def _activation(act: LayerActivation, max_maps: int, digits: bool = False) -> None:
    values = act.values
    if act.is_spatial:
        maps = np.transpose(values, (2, 0, 1))[:max_maps]
        st.image(pixelate(tile(maps, columns=8, symmetric=False), max(2, 84 // values.shape[0])), width="stretch")
        st.caption(f"First {len(maps)} of {values.shape[2]} feature maps: bright where the filter found its pattern.")
        return
    flat = values.ravel()
    if digits:  # the output layer: one bar per digit, labelled
        fig = go.Figure(go.Bar(x=charts.DIGITS, y=flat, marker_color=charts.WINNER,
                               hovertemplate="digit %{x}: %{y:.3f}<extra></extra>"))
        fig.update_xaxes(type="category", title="digit", tickfont=dict(size=16))
        fig.update_layout(height=200, margin=dict(l=0, r=0, t=0, b=0), bargap=0.2)
    else:
        fig = go.Figure(go.Bar(y=flat, marker_color=charts.WINNER, hovertemplate="unit %{x}: %{y:.3f}<extra></extra>"))
        fig.update_layout(height=160, margin=dict(l=0, r=0, t=0, b=0), bargap=0.05)
        fig.update_xaxes(visible=False)
    st.plotly_chart(fig, key=f"act_{act.name}", config={"displayModeBar": False})
    if digits:
        st.caption("The output layer: one number per digit; the biggest wins.")
    else:
        active = int((flat > 0).sum())
        st.caption(f"{active} of {flat.size} units are active (above zero) for this input.")


ZOOMED_READING = ("This model reads every digit three times, as it is and zoomed out and in by a tenth, and "
                  "averages the three answers: the probabilities can differ a little from the softmax of these "
                  "scores, which are for the input as it is.")


def output_scores(logits: np.ndarray, probs: np.ndarray, zoomed: bool = False) -> None:
    winner = int(np.argmax(probs))
    st.markdown("**The ten output scores, before and after softmax**")
    cols = st.columns(2)
    fig = go.Figure(go.Bar(x=charts.DIGITS, y=logits, marker_color=[charts.WINNER if d == winner
                                                                      else charts.OTHER for d in range(10)]))
    fig.update_layout(height=260, margin=dict(l=0, r=0, t=30, b=0), title="Scores (logits)")
    fig.update_xaxes(type="category", title="digit", tickfont=dict(size=16))
    cols[0].plotly_chart(fig, key="logits_bars", config={"displayModeBar": False})
    cols[1].plotly_chart(charts.probability_bars(probs, height=260, title="Probabilities"), key="softmax_bars",
                         config={"displayModeBar": False})
    st.caption("Softmax turns any scores into probabilities that add up to 100%: the biggest score wins, "
               "and big gaps between scores become near-certainty.")
    if zoomed:
        st.caption(ZOOMED_READING)


def digit_check_view(reading) -> None:
    """Is it a digit at all? The detector's verdict, its score and, for a declined input, why."""
    from mnist_core.detector import explain

    if reading.digit_score is None:
        return
    with st.container(key="digit_check"):
        if reading.reason == "not a digit":
            st.warning(f"**Not a digit.** {explain(reading)}", icon="🤷")
        else:
            st.caption(explain(reading))
