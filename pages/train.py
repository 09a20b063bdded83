"""Train: pick a network, set its knobs, and follow the run live.

The run happens in the training worker, a separate process, so every page
(and every other visitor) keeps working while it trains; its live state comes
from the database, so every server replica shows it and can stop it.
"""

import time

import streamlit as st

from mnist_core.errors import DigitLabError, ModelError, SettingsError
from mnist_core.presets import PRESETS, build_model, get_preset, layer_table
from mnist_core.registry import check_name, suggest_name
from mnist_core.estimate import estimate_seconds
from ui import charts, classroom, knobs, long_runs, resources, search_view, widgets
from ui.boot import ensure_app
from ui.helpers import duration, esc, short_duration
from ui.search_view import name_problem, show_click_error

ensure_app()  # a fresh server's first request may bypass app.py: route it through

DEFAULT_PRESET = "cnn-quick"  # the one that trains in about a minute: best for a live class
RECENT_SECONDS = 120
LONG_KEY = "train_long"  # the "Start anyway?" question's session keys

ss = st.session_state
ss.setdefault("owner", classroom.owner())  # the per-browser name: your run stays yours after a reload


@st.cache_data(show_spinner=False, max_entries=64)
def network_layers(preset: str, hidden_units: tuple[int, ...], dropout: float, activation: str) -> list[dict]:
    settings = get_preset(preset).defaults.with_changes(hidden_units=hidden_units, dropout=dropout,
                                                        activation=activation)
    return layer_table(build_model(preset, settings))


# ---- the live view ------------------------------------------------------------
def _trace(state) -> dict:
    """Running (within-epoch) loss and accuracy samples, collected while this page watches."""
    trace = ss.get("train_trace")
    if not trace or trace["started"] != state.started:
        trace = {"started": state.started, "x": [], "loss": [], "accuracy": []}
        ss.train_trace = trace
    logs = state.batch_logs
    if state.steps and "loss" in logs:
        x = (state.epoch - 1) + state.step / state.steps
        if not trace["x"] or x > trace["x"][-1]:
            trace["x"].append(round(x, 4))
            trace["loss"].append(logs.get("loss"))
            trace["accuracy"].append(logs.get("accuracy"))
    return trace


@st.fragment(run_every=1.0)
def live_view() -> None:
    job = resources.training_job()
    state = job.state_for(ss.owner)
    if not state.active:
        st.rerun(scope="app")  # finished: redraw the page with the result and the form
    mine = state.owner == ss.owner
    st.markdown(f"#### {esc(state.describe(ss.owner))}")  # one sentence: who trains what, how far
    if state.status == "queued":
        st.progress(0.0, text="Waiting for the training worker to start the run…")
    elif state.status == "saving":
        st.progress(1.0, text="Scoring the new model on all 70,000 images and saving it…")
    elif state.status == "stopping":
        st.progress(state.fraction, text="Stopping after the current batch…")
    else:
        text = f"Epoch {state.epoch} of {state.epochs}"
        if state.steps:
            text += f" · batch {state.step:,} of {state.steps:,}"
        st.progress(state.fraction, text=text)

    elapsed = time.time() - state.started
    cols = st.columns(4)
    cols[0].metric("Done", f"{state.fraction:.0%}")
    cols[1].metric("Elapsed", f"{elapsed:.0f} s")
    if 0.03 < state.fraction < 1:
        cols[2].metric("Left (about)", f"{elapsed * (1 - state.fraction) / state.fraction:.0f} s")
    else:
        cols[2].metric("Left (about)", "…")
    acc = state.batch_logs.get("accuracy")
    cols[3].metric("Accuracy now", f"{acc:.1%}" if acc is not None else "…")

    trace = _trace(state)
    live_loss, live_acc = ({charts.RUNNING_LABEL: charts.running_trace(trace["x"], trace[m], state.history.get(m))}
                           for m in ("loss", "accuracy"))
    left, right = st.columns(2)
    with left:
        st.plotly_chart(charts.history_figure({"": state.history}, "loss", live=live_loss, epochs=state.epochs), key="live_loss",
                        config={"displayModeBar": False})
    with right:
        st.plotly_chart(charts.history_figure({"": state.history}, "accuracy", live=live_acc, epochs=state.epochs), key="live_acc",
                        config={"displayModeBar": False})
    st.caption(charts.RUNNING_NOTE)
    if state.kind == "tune":
        search_view.trials_view(state, key="live_search")
    if state.status in ("queued", "running") and classroom.can_stop(state.owner):
        kept = ("The best finished trial is kept." if state.kind == "tune"
                else "What it learned so far is kept if that was chosen at Start.")
        st.button("⏹️ Stop training", on_click=classroom.stop_run, args=(job, state.run_id), key="stop_training",
                  help=f"Stops after the current batch. {kept}")
    elif state.status in ("queued", "running"):
        st.caption("🔒 Only the person who started this run, or the teacher, can stop it.")
    if not mine:
        st.caption("Only one network trains at a time here. Everything else keeps working meanwhile.")


def last_result(state) -> None:
    """The outcome of the last run, for the person who started it (or anyone, just after)."""
    if state.status not in ("done", "stopped", "failed"):
        return
    if state.owner != ss.owner and time.time() - state.finished > RECENT_SECONDS:
        return
    message = esc(state.message)
    if state.status == "failed":
        st.error(f"**Training failed.** {message}", icon="🚫")
        return
    if state.status == "stopped" and state.card is None:
        st.warning(message, icon="⏹️")
        return
    (st.success if state.status == "done" else st.warning)(message, icon="✅" if state.status == "done" else "⏹️")
    if state.kind == "tune":
        search_view.trials_view(state, key="done_search")
    if state.card is not None:
        cols = st.columns(3)
        with cols[0]:
            widgets.link("draw", "Try it on the Draw page", icon="✏️")
        with cols[1]:
            widgets.link("evaluate", "See how it does", icon="📊")
        with cols[2]:
            widgets.link("mistakes", "Look at its mistakes", icon="🔍")


# ---- the settings form --------------------------------------------------------
def preset_caption(preset_name: str, available: int) -> str:
    """The preset's description and how long its defaults take here: computed by the same estimate as the
    "Estimated time" tile, never written into the description, so the two cannot disagree."""
    preset = PRESETS[preset_name]
    seconds = estimate_seconds(preset_name, preset.defaults, available)
    return f"{preset.description} With its own settings it takes {duration(seconds)} here."


def current_settings(preset_name: str, available: int):
    """The run's settings from this preset's settings dict; raises SettingsError if out of bounds."""
    return PRESETS[preset_name].settings(knobs.train_values_now(preset_name), available)


def _start_clicked() -> None:
    """Start from the knobs' current state (a callback, so a name typed just before the click counts)."""
    try:
        data = resources.get_data()
        preset_name = ss.get("train_preset", DEFAULT_PRESET)
        settings = current_settings(preset_name, len(data.x_train))
        cards, _ = resources.scan_models()
        existing = {c.name for c in cards}
        _suggest_name(preset_name, settings.epochs, existing)  # epochs sent with the click too
        name = ss.get("train_name", "")
        problem = name_problem(name, existing)
        if problem:
            raise ModelError(problem)
        classroom.check_start(preset_name, settings, len(data.x_train), [c.name for c in cards if not c.shipped])
        if long_runs.needs_asking(LONG_KEY, estimate_seconds(preset_name, settings, len(data.x_train))):
            return  # the form asks "Start anyway?" first
        resources.training_job().start(preset_name, settings, data, check_name(name), owner=ss.owner,
                                       keep_partial=ss.get("keep_partial", True))
        classroom.record_start(check_name(name))
    except DigitLabError as exc:  # TrainingBusyError included: someone was faster
        ss.train_error = str(exc)


def settings_form(data, existing: set[str]) -> None:
    names = list(PRESETS)
    available = len(data.x_train)
    left, right = st.columns([1, 1.35], gap="large")
    with left:
        st.subheader("1 · Choose a network")
        preset_name = st.radio(
            "Network", names, key=knobs.remembered("train_preset", DEFAULT_PRESET),
            format_func=lambda n: PRESETS[n].title, captions=[preset_caption(n, available) for n in names],
            label_visibility="collapsed",
        )
    with right:
        st.subheader("2 · Set the knobs")
        knobs.train_knobs(preset_name, available)
    knobs.keep("train_preset")
    try:
        settings = current_settings(preset_name, available)
    except SettingsError as exc:
        st.error(esc(exc))
        return

    st.subheader("3 · Check and start")
    info, start = st.columns([1, 1.35], gap="large")
    with info:
        try:
            rows = network_layers(preset_name, settings.hidden_units, settings.dropout, settings.activation)
        except DigitLabError as exc:
            st.error(esc(exc))
            rows = []
        m1, m2 = st.columns(2)
        m1.metric("Parameters", f"{sum(r['parameters'] for r in rows):,}")
        seconds = estimate_seconds(preset_name, settings, available)
        m2.metric("Estimated time", short_duration(seconds),
                  help=f"A rough guess for this server ({duration(seconds)}), including scoring the model afterwards.")
        st.markdown(f"**The network's {len(rows)} layers**")
        st.dataframe(rows, hide_index=True, width="stretch")

    with start:
        _suggest_name(preset_name, settings.epochs, existing)
        name = st.text_input("Model name", key="train_name", max_chars=64,
                             help="Letters, digits, spaces, '-', '_' or '.'.")
        problem = name_problem(name, existing)
        if problem:
            st.error(esc(problem), icon="✏️")
        st.checkbox("Keep what it learned so far when stopped", key=knobs.remembered("keep_partial", True))
        knobs.keep("keep_partial")
        classroom.limits_note(preset_name)
        if not long_runs.question(LONG_KEY, "This run", seconds, _start_clicked):
            st.button("▶️ Start training", type="primary", disabled=problem is not None, key="start_training",
                      on_click=_start_clicked)
        show_click_error("train_error", problem)


def _suggest_name(preset: str, epochs: int, existing: set[str]) -> None:
    """Keep suggesting a fresh default name until the person types their own."""
    untouched = "train_name" not in ss or ss.train_name == ss.get("train_name_auto")
    stale = (ss.get("train_name_for") != (preset, epochs) or ss.get("train_name") in existing
             or not ss.get("train_name"))  # Streamlit drops the box's value while the live view hides it
    if untouched and stale:
        ss.train_name = suggest_name(preset, epochs)
        ss.train_name_auto = ss.train_name
        ss.train_name_for = (preset, epochs)


# ---- page ---------------------------------------------------------------------
st.title("🏋️ Train a network")
data = widgets.require_data()
state = resources.training_job().state_for(ss.owner)
if state.active:
    refused = ss.pop("train_error", None)  # e.g. someone on another server pressed Start a moment earlier
    if refused:
        st.error(esc(refused))
    live_view()
else:
    for other in resources.training_job().others(ss.owner):  # a free slot beside someone else's run
        st.info(esc(other.describe(ss.owner)), icon="⏳")
    if state.card is not None and state.owner == ss.owner and ss.get("adopted") != state.started:
        widgets.set_active(state.card.name)  # the new model becomes this session's active model
        ss.adopted = state.started
    last_result(state)
    cards, _ = resources.scan_models()
    if search_view.mode_picker(state) == "search":
        search_view.search_form(data, {c.name for c in cards})
    else:
        settings_form(data, {c.name for c in cards})
