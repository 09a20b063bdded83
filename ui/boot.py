"""Make sure every run goes through app.py and its st.navigation.

Streamlit treats a folder called pages/ beside the main script as the old
(v1) multipage layout until the first st.navigation call. On a fresh server
whose first visitor opens /draw directly, that router would run pages/draw.py
on its own: no page config, no styling, the old sidebar. So app.py and every
page call ensure_app() first: when it finds Streamlit still in pages-folder
mode, it switches to st.navigation mode and reruns, which lands on the same
page (a page is identified by its url_path, the same in both modes).

It also applies, once per server process, the two process-wide settings the
app relies on: Keras state kept between runs, and websocket messages sent at
once (TCP_NODELAY).
"""

import asyncio
import os
import socket
import sys

import streamlit as st

try:
    from streamlit.runtime.pages_manager import PagesManager
except ImportError:  # a future Streamlit without the v1 router: nothing to do
    PagesManager = None


def ensure_app() -> None:
    keep_keras_state()
    send_messages_at_once()
    if PagesManager is not None and getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()


def keep_keras_state() -> None:
    """Stop Streamlit from calling ``keras.backend.clear_session()`` after every script run.

    Streamlit does that by default because most apps build Keras models inside
    their script. Digit Lab builds them once and shares them between sessions,
    so the per-run clean-up only costs time (a full garbage collection on every
    stroke: measured 11 s median answers with 30 pupils drawing, 58 ms
    without), and it resets Keras's layer-name counters under the training
    thread while that thread is building a model, which made training fail
    with "unique names" errors under load. The matplotlib part of the
    clean-up is kept.
    """
    try:
        from streamlit.runtime.scriptrunner import script_runner
    except ImportError:
        return
    original = getattr(script_runner, "_clean_problem_modules", None)
    if original is None or getattr(original, "digitlab_patched", False):
        return

    def clean_without_keras() -> None:
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:
            try:
                plt.close("all")
            except Exception:  # the same tolerance as Streamlit's own clean-up
                pass

    clean_without_keras.digitlab_patched = True
    script_runner._clean_problem_modules = clean_without_keras


def _nodelay(sock: socket.socket) -> None:
    """asyncio's own rule for TCP transports, without its ``proto`` check (see send_messages_at_once)."""
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def send_messages_at_once() -> bool:
    """Turn Nagle's algorithm off for the server's websockets (TCP_NODELAY), as asyncio means to.

    asyncio sets TCP_NODELAY on a TCP connection only when its socket reports ``proto ==
    IPPROTO_TCP``; uvicorn, Streamlit's server, binds its listening socket with ``proto`` 0 and the
    accepted connections inherit it (uvicorn issue #3149). So every small message that follows an
    unacknowledged one (a run's first deltas after its ``new_session``) waits for the browser's
    delayed ACK: about 40 ms on Linux, measured on every stroke. Connections accepted from now on
    get the option from asyncio; the ones already open (the first visitor's, which started this
    app) get it here. True the first time, in each process."""
    current = getattr(asyncio.base_events, "_set_nodelay", None)
    if current is None or getattr(current, "digitlab_patched", False):
        return False
    _nodelay.digitlab_patched = True
    asyncio.base_events._set_nodelay = _nodelay
    try:
        descriptors = os.listdir("/proc/self/fd")  # Linux; elsewhere only new connections change
    except OSError:
        return True
    for name in descriptors:
        try:
            if not os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                continue
            with socket.socket(fileno=os.dup(int(name))) as sock:  # a duplicate: closing it keeps the original
                _nodelay(sock)
        except OSError:  # closed meanwhile, or not an inet stream socket
            continue
    return True
