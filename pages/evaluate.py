"""Evaluate: how good is a model, where does it go wrong, and how does it compare?"""

import streamlit as st

from mnist_core import tensorboard_logs
from mnist_core.evaluation import Evaluation
from ui import charts, resources, widgets
from ui.exports import export_section
from ui.boot import ensure_app
from ui.helpers import cell_indices, esc, per_digit_accuracy, percent

ensure_app()  # a fresh server's first request may bypass app.py: route it through

ss = st.session_state
SHOWN_IMAGES = 24


def _evaluation(card) -> Evaluation | None:
    try:
        return Evaluation.from_dict(card.metrics)
    except (KeyError, TypeError):
        return None


def _clicked_point(key: str) -> dict:
    """The first point of a Plotly chart's selection event, or {} when nothing was clicked."""
    event = ss.get(key)
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    return points[0] if points else {}


def _cell_clicked() -> None:
    """A click on the confusion matrix selects that cell in the two selectboxes."""
    point = _clicked_point("eval_confusion")
    try:
        ss.eval_true, ss.eval_pred = int(point["y"]), int(point["x"])
    except (KeyError, TypeError, ValueError):
        pass


def metrics_row(ev: Evaluation, other: Evaluation | None = None) -> None:
    cols = st.columns(4)
    items = [("Test accuracy", "test_accuracy", True), ("Test loss", "test_loss", False),
             ("Train accuracy", "train_accuracy", True), ("Train loss", "train_loss", False)]
    for col, (label, field, is_acc) in zip(cols, items):
        value = getattr(ev, field)
        delta = None
        if other is not None:
            diff = value - getattr(other, field)
            delta = f"{diff * 100:+.2f} points" if is_acc else f"{diff:+.4f}"
        col.metric(label, percent(value, 2) if is_acc else f"{value:.4f}", delta=delta,
                   delta_color="normal" if is_acc else "inverse", border=True)


def curves(histories: dict, key: str, note: str = widgets.NO_HISTORY) -> None:
    if not any(h.get("loss") for h in histories.values()):
        st.info(note)
        return
    if max(len(h.get("loss") or []) for h in histories.values()) == 1:
        st.caption("Trained for one epoch only, so each curve is a single point.")
    left, right = st.columns(2)
    with left:
        st.plotly_chart(charts.history_figure(histories, "loss"), key=f"{key}_loss", config={"displayModeBar": False})
    with right:
        st.plotly_chart(charts.history_figure(histories, "accuracy"), key=f"{key}_acc",
                        config={"displayModeBar": False})


def tensorboard_hint(card) -> None:
    """The exact command that opens this model's TensorBoard logs, or why there are none."""
    folder = resources.get_registry().folder(card.name)
    if not tensorboard_logs.has_logs(folder):
        st.caption("Its weights are an average of runs, which has no TensorBoard logs of its own."
                   if widgets.averaged_runs(card) else
                   "This model was saved without TensorBoard logs; models trained now get them.")
        return
    st.caption("Every epoch's scalars and weight histograms are in TensorBoard, on the computer running Digit Lab:")
    st.code(tensorboard_logs.command(folder), language="bash")


def confusion_section(card, ev: Evaluation, data) -> None:
    st.subheader("Confusion matrix")
    st.caption("Rows are the true digit, columns what the model said. Click a cell, or pick one below, "
               "to see those test images.")
    mode = st.segmented_control("Show", ["Counts", "Row-normalised (%)"], default="Counts", key="eval_mode",
                                required=True)
    normalised = mode == "Row-normalised (%)"
    ss.setdefault("eval_true", 4)
    ss.setdefault("eval_pred", 9)
    left, right = st.columns([1.2, 1], gap="large")
    with left:
        fig = charts.confusion_figure(ev.confusion, normalised, selected=(ss.eval_true, ss.eval_pred))
        st.plotly_chart(fig, key="eval_confusion", on_select=_cell_clicked, selection_mode="points",
                        config={"displayModeBar": False})
    with right:
        a, b = st.columns(2)
        true = a.selectbox("True digit", range(10), key="eval_true")
        pred = b.selectbox("Predicted digit", range(10), key="eval_pred")
        verb = "correctly recognised" if true == pred else f"taken for a {pred}"
        probs = resources.get_test_probabilities(card.name)
        if probs is None or len(probs) != len(data.y_test):
            count = ev.confusion[true][pred]
            st.markdown(f"**{count:,}** test image{'s' if count != 1 else ''} of a {true} {verb}.")
            st.info("This model was saved without its per-image results, so the images cannot be shown. "
                    "Retrain it to get them.")
            return
        hits = cell_indices(probs, data.y_test, true, pred)
        st.markdown(f"**{len(hits):,}** test image{'s' if len(hits) != 1 else ''} of a {true} {verb}.")
        if len(hits):
            shown = hits[:SHOWN_IMAGES]
            cell_images(shown, probs, data, true, pred)
            more = f"The {SHOWN_IMAGES} most confident of {len(hits):,}. " if len(hits) > SHOWN_IMAGES else ""
            st.caption(more + "Click an image (or pick it below) to see its ten probabilities.")
    if len(hits):
        image_probabilities(hits[:SHOWN_IMAGES], probs, data, true, pred)


def _image_clicked() -> None:
    """A click on the image grid picks that image in the selectbox below it."""
    try:
        ss.eval_image = int(_clicked_point("eval_cell_images")["customdata"])
    except (KeyError, TypeError, ValueError):
        pass


def cell_images(shown, probs, data, true: int, pred: int) -> None:
    """The cell's most confident images as a clickable grid."""
    cell = (true, pred, len(shown))
    if ss.get("eval_image_cell") != cell:  # a new cell: start from its first image
        ss.eval_image_cell, ss.eval_image = cell, 0
    hover = [f"test image {i}: {percent(probs[i, pred])} sure it is a {pred}" for i in shown]
    fig = charts.image_grid_figure(data.x_test[shown], hover, selected=ss.get("eval_image", 0))
    st.plotly_chart(fig, key="eval_cell_images", on_select=_image_clicked, selection_mode="points",
                    config={"displayModeBar": False})


def image_probabilities(shown, probs, data, true: int, pred: int) -> None:
    """One image of the cell, big, with its ten probabilities (as on the Mistakes page)."""
    pick = st.selectbox("Image", range(len(shown)), key="eval_image",
                        format_func=lambda i: f"#{i + 1}: test image {shown[i]} ({percent(probs[shown[i], pred])} sure)")
    index = int(shown[pick if pick is not None and pick < len(shown) else 0])
    left, right = st.columns([1, 2.2], gap="large")
    with left:
        widgets.digit_image(data.x_test[index], scale=8, caption=f"Test image {index}: labelled {true}")
    with right:
        said = f"The model said **{pred}** ({percent(probs[index, pred])})"
        if true != pred:
            said += f"; it gave the true digit **{true}** {probs[index, true]:.1%}"
        st.markdown(said + ".")
        widgets.probability_chart(probs[index], key="eval_image_bars", true_digit=true)
        st.caption("Blue: the model's answer." + (" Orange: the true digit." if true != pred else ""))


def report_section(ev: Evaluation) -> None:
    left, right = st.columns([1, 1.2], gap="large")
    with left:
        st.subheader("Classification report")
        widgets.report_table(ev.report)
        st.caption("Precision: of the images it called *d*, how many were *d*. "
                   "Recall: of the real *d*s, how many it found.")
    with right:
        st.subheader("Accuracy per digit")
        st.plotly_chart(charts.per_digit_bars({"accuracy": per_digit_accuracy(ev.confusion)}, title=""),
                        key="eval_per_digit", config={"displayModeBar": False})


def calibration_section(card, data) -> None:
    """Reliability diagram: is "NN% sure" right NN% of the time on the test set?"""
    from mnist_core.calibration import reliability

    probs = resources.get_test_probabilities(card.name)
    if probs is None or len(probs) != len(data.y_test):
        return
    rel = reliability(probs, data.y_test.astype(int))
    st.subheader("Calibration")
    left, right = st.columns([1.2, 1], gap="large")
    with left:
        st.plotly_chart(charts.reliability_figure(rel), key="eval_reliability", config={"displayModeBar": False})
    with right:
        st.markdown(f"Expected calibration error on the test set: **{rel.ece:.2%}**.")
        temperature = card.temperature
        fitted = card.calibration.get("fitted_on") if isinstance(card.calibration, dict) else None
        if fitted:
            st.caption(f"Answers are grouped by how sure the model said it was; a calibrated model's points lie "
                       f"on the diagonal. Its confidence is softened by a temperature of {temperature:.2f}, "
                       f"fitted after training on {esc(fitted)}.")
        else:
            st.caption("Answers are grouped by how sure the model said it was; a calibrated model's points lie "
                       "on the diagonal. This model has no fitted temperature.")


def compare_section(card, ev: Evaluation, cards) -> None:
    st.subheader("Compare with another model")
    other_card = widgets.second_model_picker(cards, card.name, key="eval_other", label="Second model")
    if other_card is None:
        st.info("Train a second model to compare it with this one.")
        widgets.link("train", "Train a model", icon="🏋️")
        return
    other = _evaluation(other_card)
    if other is None:
        st.warning(f"{esc(other_card.name)} has no evaluation to compare.")
        return
    st.caption(f"Deltas show **{esc(card.name)}** minus **{esc(other_card.name)}**.")
    metrics_row(ev, other)
    curves({card.name: card.history, other_card.name: other_card.history}, key="cmp")
    st.plotly_chart(
        charts.per_digit_bars({card.name: per_digit_accuracy(ev.confusion),
                               other_card.name: per_digit_accuracy(other.confusion)}),
        key="cmp_per_digit", config={"displayModeBar": False},
    )


st.title("📊 Evaluate")
cards, _ = resources.scan_models()
if not cards:
    widgets.no_models_message()
    st.stop()
card = widgets.model_picker(cards, key="pick_evaluate")
ev = _evaluation(card)
if ev is None:
    st.error(f"**{esc(card.name)}** has no evaluation results in its card. Retrain it on the Train page.")
    widgets.link("train", "Train a model", icon="🏋️")
    st.stop()

metrics_row(ev)
st.caption(f"Scored on {ev.test_count:,} test images the model never saw, and {ev.train_count:,} training images.")
st.subheader("Training curves")
curves({"": card.history}, key="eval", note=widgets.no_history_note(card))
tensorboard_hint(card)
data = widgets.require_data()
confusion_section(card, ev, data)
report_section(ev)
calibration_section(card, data)
export_section(card, data)
compare_section(card, ev, cards)
