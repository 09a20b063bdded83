"""Shared Streamlit building blocks: the model picker, result display, cards and friendly errors."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import streamlit as st

from mnist_core.averaging import averaged_runs
from mnist_core.data import ENV_VAR, MnistData
from mnist_core.errors import DatasetError, DigitLabError
from mnist_core.preprocessing import WORKING_SIDE, display_image
from mnist_core.presets import PRESETS
from mnist_core.registry import DEFAULT_MODEL, ModelCard
from mnist_core.training import stop_note

from . import charts, classroom, navigation, resources
from .helpers import esc, format_when, guess, percent, percent_number, pixelate

ACTIVE_MODEL_KEY = "model_name"  # every page reads the active model from here
PREVIEW_SIDE = 120  # the uploaded picture beside "what the network sees"


def link(page: str, label: str, icon: str | None = None) -> None:
    """A link to a page by its name in ui/navigation.py (``"draw"``, ``"train"``, ...)."""
    st.page_link(navigation.page(page).script, label=label, icon=icon)


def phone_nav(pages) -> None:
    """A row of page icons, shown only on narrow screens (ui/style.py), so no page hides behind a menu."""
    with st.container(horizontal=True, key="phone_nav", gap="small"):
        for page in pages:
            st.page_link(page, label=page.title)  # ui/style.py shows only the icon


# ---- the active model -------------------------------------------------------
def resolve_active(cards: Sequence[ModelCard]) -> ModelCard | None:
    """The session's chosen model if it still exists, else the shipped default, else the newest.

    A chosen model that vanished (someone else deleted or renamed it, or it broke)
    is announced once: the switch is remembered, so later runs stay quiet.
    """
    by_name = {c.name: c for c in cards}
    chosen = st.session_state.get(ACTIVE_MODEL_KEY)
    if chosen in by_name:
        return by_name[chosen]
    card = by_name.get(classroom.class_default() or DEFAULT_MODEL) or by_name.get(DEFAULT_MODEL) or (
        cards[0] if cards else None)
    if chosen is not None:
        model_gone_notice(chosen, card)
    if card is None:
        st.session_state.pop(ACTIVE_MODEL_KEY, None)
    else:
        st.session_state[ACTIVE_MODEL_KEY] = card.name
    return card


def model_gone_notice(gone: str, instead: ModelCard | None) -> None:
    """One toast: the visitor's model is no longer there, and what is used now."""
    then = f"Now using **{esc(instead.name)}**." if instead is not None else "There is no other model yet."
    st.toast(f"The model **{esc(gone)}** is no longer available: someone deleted or renamed it, "
             f"or it can no longer be read. {then}", icon="ℹ️")


def set_active(name: str) -> None:
    st.session_state[ACTIVE_MODEL_KEY] = name


def model_label(card: ModelCard) -> str:
    acc = percent(card.test_accuracy, 1) if card.test_accuracy is not None else "not scored"
    extra = " · shipped" if card.shipped else ""
    return f"{card.name} ({acc}{extra})"


def model_picker(cards: Sequence[ModelCard], key: str, label: str = "Model",
                 help: str | None = "The active model is shared by every page.") -> ModelCard | None:
    """Choose the active model; the choice is remembered for every page of this session."""
    if not cards:
        return None
    active = resolve_active(cards)
    by_name = {c.name: c for c in cards}
    names = list(by_name)
    if st.session_state.get(key) != active.name:
        st.session_state[key] = active.name  # follow a choice made on another page

    def changed() -> None:
        set_active(st.session_state[key])

    name = st.selectbox(label, names, key=key, format_func=lambda n: model_label(by_name[n]),
                        on_change=changed, help=help)
    return by_name.get(name, active)


def second_model_picker(cards: Sequence[ModelCard], exclude: str, key: str, label: str) -> ModelCard | None:
    """A model to compare with (not the active one, not remembered across pages)."""
    others = [c for c in cards if c.name != exclude]
    if not others:
        return None
    by_name = {c.name: c for c in others}
    if st.session_state.get(key) not in by_name:
        st.session_state[key] = others[0].name
    name = st.selectbox(label, list(by_name), key=key, format_func=lambda n: model_label(by_name[n]))
    return by_name[name]


# ---- friendly dead-end avoidance -------------------------------------------
def no_models_message() -> None:
    st.info(
        "**No model yet.** Train one on the Train page: the *Quick CNN* learns to read digits in a minute or two. "
        "It appears here as soon as it is saved.", icon="🧠",
    )
    link("train", "Train a model", icon="🏋️")


def show_problems(problems) -> None:
    """Broken models, listed (never offered in a picker) so an admin can fix or delete them."""
    for problem in problems:
        st.warning(f"A model folder could not be read and is skipped (it is not offered anywhere): "
                   f"{esc(problem.reason)}", icon="⚠️")


def dataset_error(exc: DatasetError) -> None:
    st.error(f"**The MNIST dataset is not available.** {esc(exc)}", icon="📂")
    st.markdown(
        f"Start the app with the dataset's path, for example "
        f"`{ENV_VAR}=/path/to/mnist.npz streamlit run app.py`. "
        "Drawing still works with a trained model; the other pages need the dataset."
    )
    link("draw", "Go to Draw", icon="✏️")


def require_data() -> MnistData:
    """MNIST, or a clear message and the end of this page's run."""
    try:
        return resources.get_data()
    except DatasetError as exc:
        dataset_error(exc)
        st.stop()


def load_predictor(card: ModelCard):
    """The card's Predictor, or None after showing why it could not be loaded."""
    model = load_model(card)
    return model.predictor if model is not None else None


def load_model(card: ModelCard) -> resources.ModelHandle | None:
    """The card's model looked up once for this run (version, predictor, inspector on demand), or None
    after showing why it could not be loaded."""
    try:
        return resources.lookup(card.name)
    except DigitLabError as exc:
        st.error(f"**This model could not be loaded.** {esc(exc)}", icon="🚫")
        st.markdown("Pick another model above, or train a new one.")
        link("train", "Train a model", icon="🏋️")
        return None


# ---- model card ---------------------------------------------------------------
def preset_title(preset: str) -> str:
    p = PRESETS.get(preset)
    return p.title if p else preset


NO_HISTORY = "No training curves were recorded for this model."


def no_history_note(card: ModelCard) -> str:
    """Why a model shows no training curves: an average of runs has none of its own."""
    runs = averaged_runs(card)
    if runs:
        return (f"This model's weights are the mean of {runs} training runs' weights, so it has no training "
                "curves of its own.")
    return NO_HISTORY


def model_card(card: ModelCard, title: str | None = None) -> None:
    """Name, network, accuracy and when it was trained, in a bordered box."""
    with st.container(border=True):
        if title:
            st.caption(title)
        st.markdown(f"### {esc(card.name)}")
        st.markdown(f"**{esc(preset_title(card.preset))}** network")
        cols = st.columns(3)
        acc = card.test_accuracy
        cols[0].metric("Test accuracy", percent(acc, 2) if acc is not None else "—")
        partial = card.stopped_early and card.epochs_run > 0
        cols[1].metric("Epochs", f"{card.epochs_run:g}" if partial else f"{card.epochs_done}")
        cols[2].metric("Parameters", f"{card.parameters:,}" if card.parameters else "—")
        facts = [f"trained {format_when(card.created)}"]
        runs = averaged_runs(card)
        if runs:
            facts.append(f"the weights of {runs} training runs averaged")
        if card.train_seconds:
            facts.append(f"{card.train_seconds:.0f} s of training")
        if card.stopped_early:
            epochs = int(card.settings.get("epochs") or 0)
            facts.append(stop_note(card.epochs_run, epochs) if partial and epochs else "stopped early")
        if card.shipped:
            facts.append("ships with Digit Lab")
        st.caption(" · ".join(facts))


def report_table(report: dict[str, dict[str, float]]) -> None:
    """The classification report, every row on screen (the averages too), percentages by the one rule."""
    rows = [{"digit": key, **{k: percent_number(row[k], 1) for k in ("precision", "recall", "f1")},
             "support": row["support"]} for key, row in report.items()]
    share = st.column_config.NumberColumn
    st.dataframe(rows, hide_index=True, width="stretch", height=TABLE_ROW * (len(rows) + 1) + 3, column_config={
        "precision": share(format="%.1f%%"),
        "recall": share(format="%.1f%%"),
        "f1": share("F1", format="%.1f%%"),
        "support": share("images", format="localized"),
    })


TABLE_ROW = 35  # st.dataframe's row height in pixels


# ---- digits and probabilities -----------------------------------------------
def digit_image(image: np.ndarray, caption: str | None = None, scale: int = 10, width="content") -> None:
    """A 28x28 image shown big with crisp square pixels (white ink on black, as the network sees it)."""
    st.image(pixelate(image, scale), caption=caption, width=width)


def upload_preview(image) -> None:
    """The uploaded picture, small and 8-bit so any browser shows it; one sentence if even that fails."""
    try:
        st.image(display_image(image, PREVIEW_SIDE), caption="Your picture", width="content")
    except (OSError, ValueError, DigitLabError):
        st.caption("Your picture cannot be shown here, but the network reads it as shown above.")


def displayable(image) -> np.ndarray:
    """A drawing (array) as it is, or an upload as an 8-bit array a page can show."""
    if isinstance(image, np.ndarray):
        return image
    return np.asarray(display_image(image, WORKING_SIDE))


def probability_chart(probs, key: str, height: int = 320, true_digit: int | None = None,
                      font_size: int = 17) -> None:
    st.plotly_chart(charts.probability_bars(probs, height=height, true_digit=true_digit, font_size=font_size),
                    key=key, config={"displayModeBar": False})


def answer_text(probs) -> None:
    """The big answer: 'Prediction: 7', 'NN% sure' and, when unsure, what else it might be."""
    g = guess(probs)
    with st.container(key="prediction"):
        st.markdown(g.headline)
    with st.container(key="confidence"):
        st.markdown(g.confidence_text)
    if not g.sure:
        st.warning(
            f"**Not sure.** It might also be a {g.runner_up} ({percent(g.runner_up_confidence)}). "
            "Try drawing bigger, in the middle, with one clear stroke.", icon="🤔",
        )


def not_a_digit_text(reading) -> None:
    """A declined drawing: say so plainly, and show the best guess small (never as "Prediction: N")."""
    g = guess(reading.probabilities)
    with st.container(key="not_a_digit"):
        st.markdown("### That does not look like a digit")
    st.caption(f"Best guess, if it is one: {g.digit} ({percent(g.confidence)}). "
               f"Digit score {percent(reading.digit_score)}: Look inside explains why.")


def empty_hint(reason: str, source: str = "canvas") -> None:
    """What an empty canvas shows: a friendly hint, never a guess."""
    with st.container(key="draw_hint"):
        if source == "upload":
            st.markdown("No digit found in this picture.")
            st.caption("Use a picture of one dark digit on light paper (or light on dark), cropped close. "
                       "Or remove it and draw a digit on the canvas.")
        else:
            st.markdown("✏️ Draw a digit in the box")
            st.caption("The network guesses while you draw: no button to press.")
    if reason and not reason.lower().startswith("the canvas is empty"):
        st.caption(reason)
