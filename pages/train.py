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
from mnist_core.settings import ACTIVATIONS, OPTIMIZERS
from mnist_core.estimate import estimate_seconds
from ui import charts, classroom, resources, search_view, widgets
from ui.boot import ensure_app
from ui.helpers import duration, esc, short_duration
from ui.search_view import name_problem

ensure_app()  # a fresh server's first request may bypass app.py: route it through

BATCH_SIZES = [16, 32, 64, 128, 256, 512, 1024]
RATES = [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2]
UNITS = [16, 32, 64, 128, 256, 512, 1024]
MAX_HIDDEN = 4
DEFAULT_PRESET = "cnn-quick"  # the one that trains in about a minute: best for a live class
RECENT_SECONDS = 120

ss = st.session_state
ss.setdefault("owner", classroom.owner())  # the per-browser name: your run stays yours after a reload


def _nearest(options, value):
    return min(options, key=lambda o: abs(o - value))


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
    who = "You are" if mine else f"{esc(state.owner or 'Someone')} is"
    doing = "searching settings for" if state.kind == "tune" else "training"
    st.markdown(f"#### {who} {doing} **{esc(widgets.preset_title(state.preset))}** as “{esc(state.name)}”")
    st.caption(esc(state.describe()))
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
    live_loss = {"train (running)": ([x for x in trace["x"]], trace["loss"])}
    live_acc = {"train (running)": ([x for x in trace["x"]], trace["accuracy"])}
    left, right = st.columns(2)
    with left:
        st.plotly_chart(charts.history_figure({"": state.history}, "loss", live=live_loss, epochs=state.epochs), key="live_loss",
                        config={"displayModeBar": False})
    with right:
        st.plotly_chart(charts.history_figure({"": state.history}, "accuracy", live=live_acc, epochs=state.epochs), key="live_acc",
                        config={"displayModeBar": False})
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
def knob_defaults(preset_name: str, available: int) -> dict:
    """Where each knob starts for this preset: its defaults, snapped to the widgets' choices."""
    d = PRESETS[preset_name].defaults
    values = {
        "epochs": min(d.epochs, 50), "batch": _nearest(BATCH_SIZES, d.batch_size),
        "rate": _nearest(RATES, d.learning_rate), "images": min(60_000, available),
        "dropout": float(min(d.dropout, 0.8)), "val": float(min(d.validation_split, 0.3)),
        "augment": d.augment, "seed": d.seed, "layers": min(len(d.hidden_units), MAX_HIDDEN),
        "opt": d.optimizer, "act": d.activation, "sched": d.lr_schedule, "synth": float(d.synthetic_fraction),
    }
    for i in range(MAX_HIDDEN):
        values[f"units{i}"] = _nearest(UNITS, d.hidden_units[i] if i < len(d.hidden_units) else 128)
    return values


KNOB_MEMORY = "train_knob_memory"  # a plain key: survives while the live view hides the form's widgets


def remember_knobs() -> None:
    """Note every knob's position, so the form comes back as it was after a run."""
    memory = ss.setdefault(KNOB_MEMORY, {})
    for key in list(ss.keys()):
        if isinstance(key, str) and (key.startswith("train_") and key.count("_") >= 2 or key == "train_preset"):
            if key not in (KNOB_MEMORY, "train_name_auto", "train_name_for", "train_error", "train_trace"):
                memory[key] = ss[key]
    memory["keep_partial"] = ss.get("keep_partial", True)


def recalled(key: str, default):
    """A widget's starting value: where the person left it, else the preset's default."""
    return ss.get(KNOB_MEMORY, {}).get(key, default)


def knob_key(preset_name: str, name: str) -> str:
    """Each preset keeps its own knob positions (widget keys), starting from its defaults."""
    return f"train_{preset_name}_{name}"


def read_settings(preset_name: str, available: int):
    """The run's settings from the knobs' session state; raises SettingsError if out of bounds."""
    preset = PRESETS[preset_name]
    defaults = knob_defaults(preset_name, available)

    def get(name: str):
        return ss.get(knob_key(preset_name, name), defaults[name])

    hidden, dropout, activation = preset.defaults.hidden_units, preset.defaults.dropout, preset.defaults.activation
    if preset_name != "logistic":
        hidden = tuple(get(f"units{i}") for i in range(get("layers")))
        dropout = get("dropout")
    if _has_activation(preset_name):
        activation = get("act")
    images = get("images")
    return preset.defaults.with_changes(
        epochs=get("epochs"), batch_size=get("batch"), learning_rate=get("rate"), optimizer=get("opt"),
        hidden_units=hidden, dropout=dropout, activation=activation, validation_split=get("val"),
        augment=get("augment"), seed=int(get("seed")), train_limit=None if images >= available else images,
        synthetic_fraction=get("synth"), lr_schedule=get("sched"),
    )


def _has_activation(preset_name: str) -> bool:
    preset = PRESETS[preset_name]
    return (preset.kind == "dense" and preset_name != "logistic") or preset_name == "cnn-quick"


def _start_clicked() -> None:
    """Start from the knobs' current state (a callback, so a name typed just before the click counts)."""
    try:
        data = resources.get_data()
        preset_name = ss.get("train_preset", DEFAULT_PRESET)
        settings = read_settings(preset_name, len(data.x_train))
        name = ss.get("train_name", "")
        cards, _ = resources.scan_models()
        problem = name_problem(name, {c.name for c in cards})
        if problem:
            raise ModelError(problem)
        classroom.check_start(preset_name, settings, len(data.x_train), [c.name for c in cards if not c.shipped])
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
            "Network", names, index=names.index(recalled("train_preset", DEFAULT_PRESET)), key="train_preset",
            format_func=lambda n: PRESETS[n].title, captions=[PRESETS[n].description for n in names],
            label_visibility="collapsed",
        )
    preset = PRESETS[preset_name]
    start_at = {name: recalled(knob_key(preset_name, name), value)
                for name, value in knob_defaults(preset_name, available).items()}

    def key(name: str) -> str:
        return knob_key(preset_name, name)

    with right:
        st.subheader("2 · Set the knobs")
        c1, c2 = st.columns(2)
        with c1:
            epochs = st.slider("Epochs", 1, 50, start_at["epochs"], key=key("epochs"),
                               help="How many times the network sees every training image.")
            st.select_slider("Batch size", BATCH_SIZES, start_at["batch"], key=key("batch"),
                             help="Images per weight update.")
            st.select_slider("Learning rate", RATES, start_at["rate"], key=key("rate"),
                             format_func=lambda r: f"{r:g}", help="How big each update step is.")
            limit_max = min(60_000, available)
            st.slider("Training images", min(1_000, limit_max), limit_max, start_at["images"], step=1_000,
                      key=key("images"), help="Use only the first N training images: faster, less accurate.")
        with c2:
            has_hidden = preset_name != "logistic"
            if has_hidden:
                st.slider("Dropout", 0.0, 0.8, start_at["dropout"], step=0.05, key=key("dropout"),
                          help="Randomly silences this share of units while training, against overfitting.")
            st.slider("Validation split", 0.0, 0.3, start_at["val"], step=0.05, key=key("val"),
                      help="Held out from training to draw the validation curves.")
            st.toggle("Augment (random shifts, rotations, strokes)", start_at["augment"], key=key("augment"))
            st.number_input("Random seed", 0, 2**31 - 1, start_at["seed"], step=1, key=key("seed"),
                            help="Same seed and settings give the same network.")
        if has_hidden:
            layers = st.slider("Hidden dense layers", 0, MAX_HIDDEN, start_at["layers"], key=key("layers"),
                               help="Fully connected layers before the output layer." +
                               (" They come after the convolutions." if preset.kind == "conv" else ""))
            if layers:
                unit_cols = st.columns(MAX_HIDDEN)
                for i in range(layers):
                    with unit_cols[i]:
                        st.select_slider(f"Units, layer {i + 1}", UNITS, start_at[f"units{i}"], key=key(f"units{i}"))
        with st.expander("More options"):
            o1, o2 = st.columns(2)
            o1.selectbox("Optimizer", OPTIMIZERS, OPTIMIZERS.index(start_at["opt"]), key=key("opt"))
            if _has_activation(preset_name):
                o2.selectbox("Activation", ACTIVATIONS, ACTIVATIONS.index(start_at["act"]), key=key("act"))
            o1.toggle("Learning-rate decay (cosine)", start_at["sched"], key=key("sched"))
            o2.slider("Extra synthetic pen digits", 0.0, 0.5, start_at["synth"], step=0.05, key=key("synth"),
                      help="Adds computer-drawn digits, as a share of the training set.")

    try:
        settings = read_settings(preset_name, available)
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
        _suggest_name(preset_name, epochs, existing)
        name = st.text_input("Model name", key="train_name", max_chars=64,
                             help="Letters, digits, spaces, '-', '_' or '.'.")
        problem = name_problem(name, existing)
        if problem:
            st.error(esc(problem), icon="✏️")
        st.checkbox("Keep what it learned so far when stopped", value=recalled("keep_partial", True), key="keep_partial")
        classroom.limits_note(preset_name)
        st.button("▶️ Start training", type="primary", disabled=problem is not None, key="start_training",
                  on_click=_start_clicked)
        error = ss.pop("train_error", None)
        if error:
            st.error(esc(error))
    remember_knobs()


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
        st.info(esc(other.describe()), icon="⏳")
    if state.card is not None and state.owner == ss.owner and ss.get("adopted") != state.started:
        widgets.set_active(state.card.name)  # the new model becomes this session's active model
        ss.adopted = state.started
    last_result(state)
    cards, _ = resources.scan_models()
    if search_view.mode_picker(state) == "search":
        search_view.search_form(data, {c.name for c in cards})
    else:
        settings_form(data, {c.name for c in cards})
