"""The Train page's Search mode: the search form, and the trials of a running or finished search.

A search is a "tune" run (mnist_core/runkinds.py): it goes through the same
slot, permission checks, progress and Stop as a training run. The worker
writes each finished trial into the run's history under "trials"; this module
turns them into a table and a chart of every knob against validation accuracy.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from mnist_core.errors import DigitLabError, ModelError, SettingsError
from mnist_core.estimate import estimate_seconds
from mnist_core.jobs import data_file
from mnist_core.presets import PRESETS
from mnist_core.registry import check_name, suggest_name
from mnist_core.tuning import ALGORITHMS, SearchRange, searchable
from ui import classroom, knobs, long_runs, resources
from ui.helpers import duration, esc, short_duration

ss = st.session_state
DEFAULT_PRESET = "mlp-128-64"
ALGORITHM_TITLES = {"random": "Random search", "hyperband": "Hyperband", "bayesian": "Bayesian optimisation"}
MAX_EPOCHS = 20
FORM_KEYS = ("search_preset", "search_epochs", "search_trials", "search_minutes", "search_algorithm")
LONG_KEY = "search_long"  # the "Start anyway?" question's session keys


def mode_picker(state) -> str:
    """"train" or "search": the Train page's two modes; after a search it comes back in Search mode."""
    modes = ("train", "search")
    key = knobs.remembered("train_mode", "search" if state.kind == "tune" else "train")
    mode = st.radio("Mode", modes, key=key, horizontal=True,
                    format_func={"train": "Train once", "search": "Search settings"}.get,
                    label_visibility="collapsed",
                    help="Search settings trains several networks with different knob values and keeps the best.")
    knobs.keep("train_mode")
    return mode


def plan(preset: str, epochs: int) -> tuple[Any, dict[str, SearchRange]]:
    """The base settings and the ranges of a search (the range widgets are drawn here), or SettingsError
    in one sentence."""
    ranges = knobs.search_ranges(preset)
    return PRESETS[preset].defaults.with_changes(epochs=epochs), ranges


def estimate(preset: str, settings, available: int, trials: int, minutes: float) -> float:
    """Seconds the whole search may take: one trial's estimate times the trials, capped by the budget."""
    return min(estimate_seconds(preset, settings, available) * trials, 60.0 * minutes)


def _start_clicked(available: int, data) -> None:
    try:
        preset = ss.search_preset
        ranges = knobs.ranges_of(preset, knobs.search_values_now(preset))
        settings = PRESETS[preset].defaults.with_changes(epochs=ss.search_epochs)
        cards, _ = resources.scan_models()
        problem = name_problem(ss.get("search_name", ""), {c.name for c in cards})
        if problem:
            raise ModelError(problem)
        name = check_name(ss.search_name)
        trials, minutes = int(ss.search_trials), float(ss.search_minutes)
        seconds = estimate(preset, settings, available, trials, minutes)
        classroom.check_start(preset, settings, available, [c.name for c in cards if not c.shipped], seconds=seconds)
        if long_runs.needs_asking(LONG_KEY, seconds):
            return  # the form asks "Start anyway?" first
        options = {"trials": trials, "max_minutes": minutes, "algorithm": ss.search_algorithm,
                   "knobs": {n: k.to_dict() for n, k in ranges.items()}, "data": data_file(data)}
        resources.training_job().start_run("tune", owner=ss.owner, preset=preset, name=name,
                                           settings=settings.to_dict(), epochs=settings.epochs, options=options)
        classroom.record_start(name)
    except DigitLabError as exc:  # TrainingBusyError and PermissionDenied included
        ss.search_error = str(exc)


def search_form(data, existing: set[str]) -> None:
    """Pick a network, the knobs to search and their ranges, trials, time budget and algorithm; Start a
    "tune" run."""
    names = list(PRESETS)
    available = len(data.x_train)
    left, right = st.columns([1, 1.35], gap="large")
    with left:
        st.subheader("1 · Choose a network")
        preset = st.selectbox("Network", names, key=knobs.remembered("search_preset", DEFAULT_PRESET),
                              format_func=lambda n: PRESETS[n].title)
        st.caption(esc(PRESETS[preset].description))
        epochs = st.slider("Epochs per trial", 1, MAX_EPOCHS,
                           key=knobs.remembered("search_epochs", min(PRESETS[preset].defaults.epochs, 5)),
                           help="Every trial trains this long (Hyperband gives promising trials more).")
    found = searchable(preset)
    values = knobs.search_values(preset)
    with right:
        st.subheader("2 · What to search")
        values["knobs"] = st.multiselect(
            "Knobs to search", list(found), [n for n in values["knobs"] if n in found], key=knobs.search_knobs_key(preset),
            format_func=lambda n: knobs.search_label(found[n]),
            help="Each trial picks a value for every chosen knob inside its range below; the other settings "
                 "stay at the network's defaults.")
        problem_with_ranges = None
        try:
            settings, _ = plan(preset, epochs)
        except SettingsError as exc:
            problem_with_ranges = exc
        c1, c2 = st.columns(2)
        trials = c1.slider("Trials", 2, 20, key=knobs.remembered("search_trials", 10),
                           help="How many networks with different settings to train and compare.")
        minutes = c2.number_input("Time budget (minutes)", 1, 120, step=1, key=knobs.remembered("search_minutes", 10),
                                  help="The search ends when the budget is spent; "
                                  "the trial running then is stopped and the best finished one is kept.")
        st.radio("Algorithm", ALGORITHMS, key=knobs.remembered("search_algorithm", "random"),
                 format_func=ALGORITHM_TITLES.get, horizontal=True,
                 help="Random tries settings at random; Hyperband trains many briefly and the best longer; "
                      "Bayesian optimisation guesses the next settings from the trials so far.")
    knobs.keep(*FORM_KEYS)
    if problem_with_ranges is not None:
        st.error(esc(problem_with_ranges))
        return
    st.subheader("3 · Check and start")
    info, start = st.columns([1, 1.35], gap="large")
    seconds = estimate(preset, settings, available, trials, minutes)
    info.metric("Estimated time", short_duration(seconds),
                help=f"One trial's estimate times {trials} trials, capped by the budget ({duration(seconds)}).")
    with start:
        if ss.get("search_name_for") != preset or not ss.get("search_name") or ss.get("search_name") in existing:
            ss.search_name = suggest_name(preset, epochs).replace(f" {epochs}ep ", " search ")
            ss.search_name_for = preset
        name = st.text_input("Name of the best model", key="search_name", max_chars=64)
        problem = name_problem(name, existing)
        if problem:
            st.error(esc(problem), icon="✏️")
        classroom.limits_note(preset)
        if not long_runs.question(LONG_KEY, "This search", seconds, _start_clicked, (available, data)):
            st.button("🔎 Start the search", type="primary", disabled=problem is not None, key="start_search",
                      on_click=_start_clicked, args=(available, data))
        show_click_error("search_error", problem)


def show_click_error(key: str, problem: str | None) -> None:
    """The error a Start click left under ``key``, once; not when it is the name problem said above the button."""
    error = ss.pop(key, None)
    if error and error != problem:
        st.error(esc(error))


def name_problem(name: str, existing: set[str]) -> str | None:
    """Why a model name cannot be used (both modes of the Train page ask), or None."""
    try:
        clean = check_name(name)
    except ModelError as exc:
        return str(exc)
    return "A model with this name already exists: choose another name." if clean in existing else None


# ---- the trials ----------------------------------------------------------------------
def trials_of(state) -> list[dict[str, Any]]:
    trials = state.history.get("trials") if state.history else None
    return [t for t in trials if isinstance(t, dict)] if isinstance(trials, list) else []


def current_trial(state) -> dict[str, Any] | None:
    trial = state.history.get("trial") if state.history else None
    return trial if isinstance(trial, dict) else None


def _shown(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.3g}")
    return value


def trial_rows(trials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per trial: its settings, validation accuracy (%), epochs, seconds and status."""
    names = sorted({k for t in trials for k in t.get("values", {})})
    rows = []
    for t in trials:
        accuracy = t.get("val_accuracy")
        row = {"trial": t.get("number")}
        row.update({n: _shown(t.get("values", {}).get(n)) for n in names})
        row.update({"validation accuracy": None if accuracy is None else round(100 * accuracy, 2),
                    "epochs": t.get("epochs"), "time (s)": round(t.get("seconds", 0.0)), "status": t.get("status")})
        rows.append(row)
    return rows


def knobs_figure(trials: list[dict[str, Any]], height: int = 300) -> go.Figure:
    """Every knob against validation accuracy: one panel per knob, one point per finished trial."""
    scored = [t for t in trials if t.get("val_accuracy") is not None]
    names = sorted({k for t in scored for k in t.get("values", {})})
    fig = make_subplots(rows=1, cols=max(1, len(names)), shared_yaxes=True, subplot_titles=names or None)
    best = max((t["val_accuracy"] for t in scored), default=None)
    for i, name in enumerate(names, start=1):
        points = [t for t in scored if name in t.get("values", {})]
        fig.add_trace(go.Scatter(
            x=[t["values"][name] for t in points], y=[100 * t["val_accuracy"] for t in points], mode="markers",
            marker=dict(size=11, color=["#d62728" if t["val_accuracy"] == best else "#1f77b4" for t in points]),
            text=[f"trial {t.get('number')}" for t in points], hovertemplate="%{text}: %{y:.2f}%<extra></extra>",
            showlegend=False), row=1, col=i)
        if name == "learning_rate":
            fig.update_xaxes(type="log", row=1, col=i)
        elif all(isinstance(t["values"][name], str) for t in points) or name in ("batch_size", "units"):
            fig.update_xaxes(type="category", row=1, col=i)
    fig.update_yaxes(title_text="validation accuracy (%)", row=1, col=1)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def trials_view(state, key: str = "search") -> None:
    """The finished trials so far as a table and a chart (the best one in red), or a note that none is done."""
    trials = trials_of(state)
    trial = current_trial(state)
    if state.active and trial:
        values = ", ".join(f"{k} = {_shown(v)}" for k, v in trial.get("values", {}).items())
        st.caption(f"Trial {trial.get('number')} of {trial.get('total')} is training: {esc(values)}")
    if not trials:
        st.info("No trial has finished yet: the table and chart fill in as trials end.", icon="⏳")
        return
    st.markdown(f"**Trials finished: {len(trials)}**")
    st.dataframe(trial_rows(trials), hide_index=True, width="stretch", key=f"{key}_trials")
    if any(t.get("val_accuracy") is not None for t in trials):
        st.plotly_chart(knobs_figure(trials), key=f"{key}_knobs", config={"displayModeBar": False})
