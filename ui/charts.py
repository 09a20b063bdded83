"""Plotly figures for the pages: pure functions of numbers, no Streamlit.

Colours are chosen to read on light and dark themes alike (Streamlit's plotly
theme supplies backgrounds and text colours); fonts are large enough for a
classroom projector.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from .helpers import mosaic, percent

WINNER = "#2E86DE"  # a mid blue: readable on white and on near-black
OTHER = "rgba(128, 128, 128, 0.45)"
SECOND = "#F39C12"  # a second series (validation, compared model)
TRAIN = WINNER
DIGITS = [str(d) for d in range(10)]
PERCENT_TICKS = [0, 0.25, 0.5, 0.75, 1.0]  # a percentage axis never shows a tick above 100%


def _base(fig: go.Figure, height: int, font_size: int = 16) -> go.Figure:
    """Shared look. A legend goes under the plot (Plotly grows the bottom margin for it), where it can
    never cover the title, however many models a comparison shows."""
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=40, b=10), font=dict(size=font_size),
        legend=dict(orientation="h", yanchor="top", y=-0.3, xanchor="left", x=0),
    )
    return fig


def probability_bars(probs: Sequence[float], height: int = 320, title: str | None = None,
                     true_digit: int | None = None,
                     font_size: int = 17) -> go.Figure:
    """Ten bars, the winner highlighted, y fixed to 0..1 so bars compare across strokes.

    Redrawn on every stroke, so the figure is written as a plain spec and wrapped without
    Plotly's validation (16 ms of the server's time per stroke, holding the GIL while the
    answer waits to be sent); the spec is ours and fixed, so there is nothing to validate.
    """
    probs = np.asarray(probs, dtype=float)
    winner = int(np.argmax(probs))
    colours = [WINNER if d == winner else OTHER for d in range(10)]
    if true_digit is not None and true_digit != winner:
        colours[true_digit] = SECOND
    labels = [percent(p) if p >= 0.005 else "" for p in probs]  # same rounding as the "NN% sure" text
    spec = {
        "data": [{
            "type": "bar", "x": DIGITS, "y": probs.tolist(), "marker": {"color": colours}, "text": labels,
            "textposition": "outside", "cliponaxis": False, "textfont": {"size": font_size},
            "customdata": [percent(p, 1) for p in probs], "hovertemplate": "digit %{x}: %{customdata}<extra></extra>",
        }],
        "layout": {
            "height": height, "font": {"size": font_size}, "showlegend": False,
            "margin": {"l": 10, "r": 10, "t": 40 if title else 10, "b": 10},
            "title": {"text": title} if title else None,
            "yaxis": {"range": [0, 1.12], "tickformat": ".0%", "tickvals": PERCENT_TICKS,
                      "tickfont": {"size": font_size}},
            "xaxis": {"type": "category", "tickfont": {"size": int(font_size * 1.3)}, "fixedrange": True},
        },
    }
    if not title:
        del spec["layout"]["title"]
    return go.Figure(spec, _validate=False)


RUNNING_LABEL = "train, mean so far this epoch"
RUNNING_NOTE = ("The thin grey line is the mean over this epoch's batches so far, made while the weights still "
                "change: it starts afresh each epoch and ends on that epoch's train point. Early batches, from before "
                "the network had learned much, pull it down, so it reads lower than the network already does; the "
                "validation points (when images are held out) are measured with the weights each epoch ended with.")


def running_trace(xs: list[float], ys: list[float], epoch_values: list[float] | None) -> tuple[list, list]:
    """The within-epoch running mean, with each finished epoch's own value at its end (x = 1, 2, ...), so the
    grey line meets the per-epoch train point instead of stopping wherever the last sample fell; a gap
    (None) separates the epochs, since the mean starts afresh."""
    ends = {float(i): y for i, y in enumerate(epoch_values or [], start=1)}
    points = sorted([(x, y) for x, y in zip(xs, ys) if x not in ends] + list(ends.items()))
    out_x, out_y = [], []
    for x, y in points:
        out_x.append(x)
        out_y.append(y)
        if float(x).is_integer():
            out_x.append(None)
            out_y.append(None)
    return out_x, out_y


def history_figure(histories: dict[str, dict[str, list[float]]], metric: str, height: int = 320,
                   live: dict[str, tuple[list[float], list[float]]] | None = None,
                   epochs: int | None = None) -> go.Figure:
    """Per-epoch curves of ``metric`` ("loss" or "accuracy") for train and validation.

    ``histories`` maps a label (a model name, or "" for a single model) to its
    history dict; ``live`` adds running (fractional-epoch) traces while training.
    """
    fig = go.Figure()
    palette = [WINNER, SECOND, "#27AE60", "#8E44AD"]
    for i, (label, history) in enumerate(histories.items()):
        colour = palette[i % len(palette)]
        prefix = f"{label}: " if label else ""
        for key, dash, name in ((metric, "solid", "train"), (f"val_{metric}", "dash", "validation")):
            values = history.get(key) or []
            if not values:
                continue
            fig.add_trace(go.Scatter(
                x=list(range(1, len(values) + 1)), y=values, mode="lines+markers", name=prefix + name,
                line=dict(color=colour, dash=dash, width=3), marker=dict(size=8),
            ))
    for label, (xs, ys) in (live or {}).items():
        if xs:
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=label, marker=dict(size=4),
                                     line=dict(color="rgba(128,128,128,0.8)", width=2)))
    title = "Accuracy" if metric == "accuracy" else "Loss"
    fig.update_layout(title=title)
    longest = max((len(h.get(metric) or []) for h in histories.values()), default=0)
    span = max(epochs or 0, longest, 1)
    fig.update_xaxes(title="epoch", range=[0, span + 0.05 * span], dtick=1 if span <= 20 else None)
    if metric == "accuracy":
        fig.update_yaxes(tickformat=".0%", range=[0, 1.02], tickvals=PERCENT_TICKS)
    else:
        fig.update_yaxes(rangemode="tozero")
    return _base(fig, height)


def confusion_figure(matrix: Sequence[Sequence[float]], normalised: bool, height: int = 560,
                     selected: tuple[int, int] | None = None) -> go.Figure:
    """Rows are the true digit, columns the predicted one; cells are clickable."""
    counts = np.asarray(matrix, dtype=float)
    if normalised:
        sums = counts.sum(axis=1, keepdims=True)
        values = np.divide(counts, sums, out=np.zeros_like(counts), where=sums > 0)
        text = [[percent(v) if v >= 0.005 else ("<1%" if v > 0 else "") for v in row] for row in values]
        hover = "true %{y}, predicted %{x}: %{customdata}<extra></extra>"
    else:
        values = counts
        text = [[f"{int(v)}" if v else "" for v in row] for row in values]
        hover = "true %{y}, predicted %{x}: %{customdata:.0f} images<extra></extra>"
    # Colour by log(1 + value) so the few errors stand out next to the big diagonal; hover shows the value.
    shown = np.log1p(values * (100 if normalised else 1))
    fig = go.Figure(go.Heatmap(
        z=shown, customdata=values, x=DIGITS, y=DIGITS, text=text, texttemplate="%{text}",
        textfont=dict(size=15), colorscale="Blues", showscale=False, hoverinfo="skip",
    ))
    # Heatmap cells cannot be selected in Plotly: an almost invisible marker on each cell can.
    cells = [(t, p) for t in range(10) for p in range(10)]
    still = dict(marker=dict(opacity=0.02))
    fig.add_trace(go.Scatter(
        x=[str(p) for _, p in cells], y=[str(t) for t, _ in cells],
        customdata=[percent(values[t, p], 1) if normalised else values[t, p] for t, p in cells],
        mode="markers", marker=dict(symbol="square", size=38, color="#808080", opacity=0.02),
        selected=still, unselected=still, hovertemplate=hover, showlegend=False, name="cells",
    ))
    if selected is not None:
        true, pred = selected
        fig.add_shape(type="rect", x0=pred - 0.5, x1=pred + 0.5, y0=true - 0.5, y1=true + 0.5,
                      line=dict(color=SECOND, width=4))
    fig.update_xaxes(title="predicted digit", type="category", side="top", tickfont=dict(size=18))
    fig.update_yaxes(title="true digit", type="category", autorange="reversed", tickfont=dict(size=18))
    _base(fig, height)
    fig.update_layout(margin=dict(l=10, r=10, t=60, b=10))
    return fig


def per_digit_bars(series: dict[str, Sequence[float]], title: str = "Accuracy per digit",
                   height: int = 320, as_percent: bool = True) -> go.Figure:
    """One bar group per digit; one series per model (or per split).

    A percentage axis starts at 0 and ends at 100%, so a 94% bar looks nearly as tall as a 98% one:
    the honest picture. The printed value on each bar tells them apart.
    """
    fig = go.Figure()
    palette = [WINNER, SECOND, "#27AE60", "#8E44AD"]
    for i, (name, values) in enumerate(series.items()):
        values = list(values)
        fig.add_trace(go.Bar(
            x=DIGITS, y=values, name=name, marker_color=palette[i % len(palette)],
            text=[percent(v, 1) for v in values] if as_percent else None, textposition="outside",
            textangle=-90 if len(series) > 1 else 0, cliponaxis=False,
            hovertemplate="digit %{x}: " + ("%{text}" if as_percent else "%{y:,}") + f"<extra>{name}</extra>",
        ))
    fig.update_layout(barmode="group", title=title or None, showlegend=len(series) > 1)
    fig.update_xaxes(type="category", title="digit", tickfont=dict(size=18))
    if as_percent:
        top = 1.3 if len(series) > 1 else 1.12  # room for the printed values above the bars, no tick above 100%
        fig.update_yaxes(tickformat=".0%", range=[0, top], tickvals=PERCENT_TICKS)
    else:
        fig.update_yaxes(rangemode="tozero")
    return _base(fig, height)


def reliability_figure(reliability, height: int = 360) -> go.Figure:
    """A reliability diagram: per confidence bin, how often the answer was right, against the diagonal."""
    mids = [(lo + hi) / 2 for lo, hi in zip(reliability.edges[:-1], reliability.edges[1:])]
    shown = [(m, c, a, n) for m, c, a, n in zip(mids, reliability.confidence, reliability.accuracy,
                                                  reliability.count) if n]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfectly calibrated",
                             line=dict(color=OTHER, dash="dash")))
    fig.add_trace(go.Scatter(
        x=[c for _, c, _, _ in shown], y=[a for _, _, a, _ in shown], mode="lines+markers", name="this model",
        marker=dict(color=WINNER, size=[6 + 14 * (n / max(x[3] for x in shown)) ** 0.5 for *_, n in shown]),
        line=dict(color=WINNER), customdata=[n for *_, n in shown],
        hovertemplate="said %{x:.1%} sure, right %{y:.1%} of %{customdata:,} answers<extra></extra>",
    ))
    fig.update_xaxes(range=[0, 1.02], tickformat=".0%", title="confidence")
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%", title="accuracy")
    return _base(fig, height)


def image_grid_figure(images: np.ndarray, hover: Sequence[str], columns: int = 8, selected: int | None = None,
                      gap: int = 4) -> go.Figure:
    """Small digits in a grid that can be clicked: an almost invisible marker covers each tile.

    Tile ``i`` sits at column ``i % columns``, row ``i // columns``; a click's point carries ``i``
    as its ``customdata`` (and as its point index).
    """
    picture = mosaic(images, columns, scale=1, gap=gap, gap_value=128)
    rows = max(1, -(-len(images) // columns))
    step = 28 + gap
    centres = [((i % columns) * step + 13.5, (i // columns) * step + 13.5) for i in range(len(images))]
    fig = go.Figure(go.Heatmap(z=picture, colorscale="gray", zmin=0, zmax=255, showscale=False, hoverinfo="skip"))
    still = dict(marker=dict(opacity=0.02))
    fig.add_trace(go.Scatter(
        x=[x for x, _ in centres], y=[y for _, y in centres], customdata=list(range(len(images))), text=list(hover),
        mode="markers", marker=dict(symbol="square", size=30, color="#808080", opacity=0.02),
        selected=still, unselected=still, hovertemplate="%{text}<extra></extra>", showlegend=False, name="images",
    ))
    if selected is not None and 0 <= selected < len(images):
        x, y = centres[selected]
        fig.add_shape(type="rect", x0=x - 15.5, x1=x + 15.5, y0=y - 15.5, y1=y + 15.5,
                      line=dict(color=SECOND, width=3))
    fig.update_xaxes(visible=False, range=[-2, columns * step - gap + 1], constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", constrain="domain")
    fig.update_layout(height=58 * rows + 20, margin=dict(l=0, r=0, t=10, b=10), dragmode=False)
    return fig
