"""Before a long run starts, say how long and ask (Train once and Search alike).

The Start callback asks ``needs_asking`` after every other check (the name,
the teacher's limits): a run estimated at over ten minutes is not started but
noted, and ``question`` shows "This run is estimated at about 25 minutes.
Start anyway?" with Start anyway / Cancel where the Start button was. Start
anyway calls the same callback again, which now goes ahead unless the estimate
grew meanwhile (a knob was moved): then it asks again with the new figure.
"""

from __future__ import annotations

from typing import Callable

import streamlit as st

from ui.helpers import duration

LONG_RUN_SECONDS = 600.0
ss = st.session_state


def needs_asking(key: str, seconds: float) -> bool:
    """In a Start callback: True (and the question is set up) when the run is long and not yet agreed to."""
    agreed = ss.pop(f"{key}_agreed", None)
    if seconds <= LONG_RUN_SECONDS or (agreed is not None and seconds <= agreed + 1.0):
        ss.pop(f"{key}_ask", None)
        return False
    ss[f"{key}_ask"] = seconds
    return True


def question(key: str, what: str, seconds: float, on_start: Callable, args: tuple = ()) -> bool:
    """The question with its two buttons, if one is pending for the current estimate; True when shown."""
    asked = ss.get(f"{key}_ask")
    if asked is None:
        return False
    if abs(asked - seconds) > 1.0:  # a knob moved since: the question no longer fits, Start shows again
        ss.pop(f"{key}_ask", None)
        return False
    st.warning(f"{what} is estimated at {duration(asked)}. Start anyway?", icon="⏱️")
    go, stop = st.columns(2)
    go.button("Start anyway", key=f"{key}_anyway", type="primary", on_click=_agree, args=(key, on_start, args))
    stop.button("Cancel", key=f"{key}_cancel", on_click=ss.pop, args=(f"{key}_ask", None))
    return True


def _agree(key: str, on_start: Callable, args: tuple) -> None:
    ss[f"{key}_agreed"] = ss.pop(f"{key}_ask", None)
    on_start(*args)
