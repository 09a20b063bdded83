"""Widgets drawn from a preset's knob declarations (``mnist_core.presets.Knob``).

The pages hold no preset rules: which knobs a network has, their bounds, steps,
options and help all come from presets.py. A knob's value lives in ONE place,
a plain session-state dict per preset (``train_settings[preset]`` for Train
once, ``search_settings[preset]`` for a search's knobs and ranges). Each
widget is keyed per preset and given the dict's value as its starting value;
Streamlit identifies these widgets by key, so while a widget is on screen the
person's value wins, and when Streamlit has dropped it (another preset was
shown, or the live view hid the form) the dict brings back what was set.

A Start button's callback runs before the script draws the widgets again, so a
value sent in the same message as the click (typed, then Start at once) is in
session state but not yet in the dict: the callbacks read ``*_values_now``,
which take the widgets' latest values in first.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from mnist_core.errors import SettingsError
from mnist_core.presets import PRESETS, Knob
from mnist_core.tuning import SearchRange, check_range, search_range, searchable

ss = st.session_state
TRAIN = "train_settings"  # {preset: {knob name: value}}
SEARCH = "search_settings"  # {preset: {"knobs": [search names], "ranges": {search name: [low, high] or [options]}}}
FORM = "form_settings"  # the other form fields that outlive their widgets (mode, network, trials, ...)
DEFAULT_WIDTH = 128  # a new hidden layer's width when there is no layer to copy


def train_values(preset: str) -> dict[str, Any]:
    """This preset's knob values (created from the preset's defaults on first use)."""
    store = ss.setdefault(TRAIN, {})
    if preset not in store:
        store[preset] = PRESETS[preset].start_values()
    return store[preset]


def train_key(preset: str, knob: str) -> str:
    """The session key of one Train knob's widget (per preset: two networks' knobs differ)."""
    return f"train_{preset}_{knob}"


def train_values_now(preset: str) -> dict[str, Any]:
    """``train_values`` with the values the widgets hold now (for a callback, which runs before they are drawn)."""
    values = train_values(preset)
    for knob in PRESETS[preset].knobs:
        key = train_key(preset, knob.name)
        if key not in ss:
            continue
        if knob.kind == "layers":
            values[knob.name] = _layer_widths(key, int(ss[key]), tuple(values[knob.name]))
        else:
            values[knob.name] = ss[key]
    return values


def _layer_widths(key: str, count: int, before: tuple[int, ...]) -> tuple[int, ...]:
    """Each layer's width as its widget holds it; a layer added in the same message copies the one before."""
    return tuple(ss.get(f"{key}_{i}", _layer_start(before, i)) for i in range(count))


def _layer_start(value: tuple[int, ...], i: int) -> int:
    """Layer i's starting width: as it was, or (a new layer) as wide as the last one."""
    return value[i] if i < len(value) else (value[-1] if value else DEFAULT_WIDTH)


def remembered(key: str, default: Any) -> str:
    """Seed a form widget's key from where it was left (or ``default``); call ``keep(key)`` after the widget."""
    if key not in ss:
        ss[key] = ss.setdefault(FORM, {}).get(key, default)
    return key


def keep(*keys: str) -> None:
    memory = ss.setdefault(FORM, {})
    for key in keys:
        if key in ss:
            memory[key] = ss[key]


def _grid(options: tuple, *values: Any) -> list:
    """A numeric knob's choices plus any value it holds that is off the grid (e.g. a preset's 4e-4)."""
    return sorted(set(options) | {v for v in values if v is not None})


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def knob_widget(knob: Knob, key: str, value: Any, available: int) -> Any:
    """Draw one knob as the widget its kind asks for, starting at ``value``; return the widget's value."""
    low, high = knob.bounds
    if knob.kind == "toggle":
        return st.toggle(knob.label, bool(value), key=key, help=knob.help or None)
    if knob.kind == "number":
        return st.number_input(knob.label, int(low), int(high), int(value), step=int(knob.step or 1), key=key,
                               help=knob.help or None)
    if knob.kind in ("int", "float"):
        cast = int if knob.kind == "int" else float
        top = cast(min(high, available) if knob.name == "train_limit" else high)
        low = cast(min(low, top))
        return st.slider(knob.label, low, top, cast(min(max(value, low), top)), step=cast(knob.step or 1), key=key,
                         help=knob.help or None)
    if knob.kind == "choice" and isinstance(knob.options[0], str):
        return st.selectbox(knob.label, knob.options, knob.options.index(value), key=key, help=knob.help or None)
    if knob.kind in ("log", "choice"):
        return st.select_slider(knob.label, _grid(knob.options, value), value, key=key, format_func=_fmt,
                                help=knob.help or None)
    return _layers_widget(knob, key, tuple(value))


def _layers_widget(knob: Knob, key: str, value: tuple[int, ...]) -> tuple[int, ...]:
    """How many hidden layers, then each one's width."""
    count = st.slider(knob.label, int(knob.low), int(knob.high), len(value), key=key, help=knob.help or None)
    if not count:
        return ()
    columns = st.columns(int(knob.high))
    widths = []
    for i in range(count):
        start = _layer_start(value, i)
        with columns[i]:
            widths.append(st.select_slider(f"Units, layer {i + 1}", _grid(knob.options, start), start,
                                           key=f"{key}_{i}"))
    return tuple(widths)


def train_knobs(preset: str, available: int) -> dict[str, Any]:
    """The preset's knobs as widgets (two columns, the layers below, the rest under "More options");
    returns the preset's settings dict, updated from the widgets."""
    values = train_values(preset)
    knobs = PRESETS[preset].knobs
    first = [k for k in knobs if not k.more and k.kind != "layers"]
    layers = [k for k in knobs if not k.more and k.kind == "layers"]
    more = [k for k in knobs if k.more]

    def draw(knob: Knob) -> None:
        values[knob.name] = knob_widget(knob, train_key(preset, knob.name), values[knob.name], available)

    columns = st.columns(2)
    half = -(-len(first) // 2)
    for i, knob in enumerate(first):
        with columns[i // half]:
            draw(knob)
    for knob in layers:
        draw(knob)
    if more:
        with st.expander("More options"):
            columns = st.columns(2)
            for i, knob in enumerate(more):
                with columns[i % 2]:
                    draw(knob)
    return values


# ---- search ranges ----------------------------------------------------------------------
def search_values(preset: str) -> dict[str, Any]:
    """This preset's search: which knobs, and each one's range (created from presets.py's ``search``)."""
    store = ss.setdefault(SEARCH, {})
    if preset not in store:
        knobs = searchable(preset)
        store[preset] = {"knobs": [n for n, k in knobs.items() if k.search_first],
                         "ranges": {n: list(k.search) for n, k in knobs.items()}}
    return store[preset]


def search_knobs_key(preset: str) -> str:
    """The session key of the "Knobs to search" choice; each network keeps its own (their knobs differ)."""
    return f"search_{preset}_knobs"


def range_key(preset: str, knob: str) -> str:
    return f"search_{preset}_{knob}_range"


def search_values_now(preset: str) -> dict[str, Any]:
    """``search_values`` with the knobs and ranges the widgets hold now (for the Start callback)."""
    values = search_values(preset)
    values["knobs"] = list(ss.get(search_knobs_key(preset), values["knobs"]))
    for name in values["knobs"]:
        if range_key(preset, name) in ss:
            values["ranges"][name] = _as_range(ss[range_key(preset, name)])
    return values


def _as_range(picked: Any) -> list:
    """A range widget's value as the dict keeps it: [low, high] or the options (one pick is [it, it])."""
    return list(picked) if isinstance(picked, (tuple, list)) else [picked, picked]


def search_label(knob: Knob) -> str:
    return "Units, first hidden layer" if knob.kind == "layers" else knob.label


def range_widget(knob: Knob, key: str, value: list) -> list:
    """A numeric knob as a two-ended slider inside its bounds; a categorical one as the options to try."""
    label = search_label(knob)
    if knob.kind in ("int", "float"):
        cast = int if knob.kind == "int" else float
        low, high = knob.bounds
        return list(st.slider(label, cast(low), cast(high), tuple(cast(v) for v in value), step=cast(knob.step or 1),
                              key=key))
    if knob.kind == "log":
        return _as_range(st.select_slider(label, _grid(knob.options, *value), tuple(value), key=key, format_func=_fmt))
    return st.multiselect(label, list(knob.options), list(value), key=key, format_func=_fmt,
                          placeholder="Choose the values to try")


def search_ranges(preset: str) -> dict[str, SearchRange]:
    """The chosen knobs' range widgets, in two columns; returns ``ranges_of(preset)``."""
    values = search_values(preset)
    knobs = searchable(preset)
    columns = st.columns(2)
    for i, name in enumerate(n for n in values["knobs"] if n in knobs):
        with columns[i % 2]:
            values["ranges"][name] = range_widget(knobs[name], range_key(preset, name), values["ranges"][name])
    return ranges_of(preset)


def ranges_of(preset: str, values: dict[str, Any] | None = None) -> dict[str, SearchRange]:
    """The search's ranges as ``values`` (default: the dict) holds them, each checked against its knob's
    bounds: SettingsError in one sentence (no knob chosen, a range whose two ends meet, no option left)."""
    values = search_values(preset) if values is None else values
    knobs = searchable(preset)
    chosen = {}
    for name in (n for n in values["knobs"] if n in knobs):
        knob, wanted = knobs[name], values["ranges"][name]
        numeric = knob.ranged
        if numeric and wanted[0] == wanted[1]:
            raise SettingsError(f"{search_label(knob)}: pick two different ends for the range to search.")
        if not numeric and not wanted:
            raise SettingsError(f"{search_label(knob)}: pick at least one value to try.")
        chosen[name] = search_range(knob, *wanted) if numeric else search_range(knob, choices=tuple(wanted))
    if not chosen:
        raise SettingsError("Choose at least one knob to search.")
    return {name: check_range(preset, wanted) for name, wanted in chosen.items()}
